"""One certificate as a PDF: A4 landscape, laid out as Vietnamese certificates of merit are.

At the top left the body above and the organising body, at the top right the national heading
(contests/documents.py) with the optional logo or seal between them, then the title, the person and the award,
the contest and round; at the bottom left the QR code of the verification page with its address
and the certificate's number, at the bottom right the place and date and the first signer's
block, with room for the signature and the seal.

The text is set in Liberation Serif 2 (metric-compatible with Times New Roman, which Vietnamese
official documents use; it has every Vietnamese letter), shipped in ``fonts/`` with its licence
(SIL OFL 1.1) and embedded as subsets, so no reader needs a font of its own. ReportLab parses
each font once per process and subsets it for each PDF in a few milliseconds: a thousand
certificates take seconds, not minutes (bench/certificates.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD, ITALIC = "CertSerif", "CertSerif-Bold", "CertSerif-Italic"
WIDTH, HEIGHT = landscape(A4)
MARGIN = 28
# The red of Vietnamese certificates' frames and titles, and the ink of the text.
RED = Color(0.62, 0.07, 0.07)
INK = Color(0.08, 0.08, 0.12)
GREY = Color(0.35, 0.35, 0.38)
QR_SIZE = 74
QR_MASK = 2
LOGO_SIZE = 62


@dataclass(frozen=True)
class Sheet:
    """Everything printed on one certificate, as text ready to print."""

    title: str  # "GIẤY CHỨNG NHẬN"
    parent_body: str | None
    organising_body: str
    heading: tuple[str, ...]  # the national heading's lines
    holder_name: str
    holder_unit: str | None
    achievement: str  # "Đã đạt" or "Đã tham gia"
    award: str | None  # "Giải Nhất"; None on a participation certificate
    contest: str  # "Cuộc thi “Tìm hiểu …”"
    round_line: str  # "Vòng thi: Tuần 1"
    place_and_date: str
    signer_capacity: str | None  # "T/M BAN TỔ CHỨC"
    signer_title: str
    signer_name: str | None
    code: str  # as printed: "K7QM-3XNA-8PDE"
    url: str  # the verification page, absolute
    logo: bytes | None = None  # PNG


@cache
def _fonts() -> None:
    """Set ReportLab up once per process, on first use (nothing at import)."""
    for name, file in ((REGULAR, "LiberationSerif-Regular.ttf"), (BOLD, "LiberationSerif-Bold.ttf"),
                       (ITALIC, "LiberationSerif-Italic.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    # Streams as binary, not ASCII85 (ReportLab's default, for 1990s mail): a quarter smaller and
    # quicker. The process's one ReportLab user is this module.
    rl_config.useA85 = 0


@lru_cache(maxsize=4)
def _image(png: bytes) -> ImageReader:
    # A batch prints the same logo on every certificate: decoded once.
    return ImageReader(io.BytesIO(png))


def render(sheet: Sheet) -> bytes:
    """The certificate's PDF."""
    _fonts()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=1, invariant=1)
    pdf.setTitle(f"{sheet.title} - {sheet.holder_name}")
    pdf.setAuthor(sheet.organising_body)
    pdf.setSubject(f"{sheet.contest} - {sheet.round_line}")
    _frame(pdf)
    _header(pdf, sheet)
    if sheet.logo:
        # Between the two header blocks, where an emblem or seal stands on printed certificates.
        pdf.drawImage(_image(sheet.logo), (WIDTH - LOGO_SIZE) / 2, HEIGHT - MARGIN - 16 - LOGO_SIZE, LOGO_SIZE,
                      LOGO_SIZE, preserveAspectRatio=True, anchor="c", mask="auto")
    _body(pdf, sheet, HEIGHT - 152)
    _verification(pdf, sheet)
    _signature(pdf, sheet)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _frame(pdf: Canvas) -> None:
    """A double frame with corner squares, as printed certificates have."""
    pdf.setStrokeColor(RED)
    pdf.setLineWidth(3)
    pdf.rect(MARGIN - 10, MARGIN - 10, WIDTH - 2 * (MARGIN - 10), HEIGHT - 2 * (MARGIN - 10))
    pdf.setLineWidth(0.8)
    pdf.rect(MARGIN - 4, MARGIN - 4, WIDTH - 2 * (MARGIN - 4), HEIGHT - 2 * (MARGIN - 4))
    pdf.setFillColor(RED)
    for x in (MARGIN - 14, WIDTH - MARGIN + 6):
        for y in (MARGIN - 14, HEIGHT - MARGIN + 6):
            pdf.rect(x, y, 8, 8, stroke=0, fill=1)


def _centred_lines(pdf: Canvas, lines: list[tuple[str, str, float]], centre: float, top: float,
                   width: float) -> float:
    """Each (text, font, size) centred on ``centre``, wrapped to ``width``; returns the baseline
    under the last line."""
    y = top
    for text, font, size in lines:
        for part in simpleSplit(text, font, size, width):
            pdf.setFont(font, size)
            pdf.drawCentredString(centre, y, part)
            y -= size * 1.25
    return y


def _underline(pdf: Canvas, centre: float, y: float, length: float) -> None:
    pdf.setLineWidth(0.7)
    pdf.setStrokeColor(INK)
    pdf.line(centre - length / 2, y, centre + length / 2, y)


def _header(pdf: Canvas, sheet: Sheet) -> None:
    """The issuing body (left) and the national heading (right), each underlined as Decree
    30/2020 draws them."""
    pdf.setFillColor(INK)
    left, right, top = MARGIN + 170, WIDTH - MARGIN - 190, HEIGHT - MARGIN - 26
    lines = ([(sheet.parent_body.upper(), REGULAR, 12)] if sheet.parent_body else [])
    lines.append((sheet.organising_body.upper(), BOLD, 12))
    bottom = _centred_lines(pdf, lines, left, top, 320)
    _underline(pdf, left, bottom + 7, 70)
    # The document's number stands under the issuing body, as on every official paper.
    _centred_lines(pdf, [(f"Số: {sheet.code}", REGULAR, 12)], left, bottom - 8, 320)
    heading = [(sheet.heading[0], BOLD, 12), *((line, BOLD, 13) for line in sheet.heading[1:])]
    bottom = _centred_lines(pdf, heading, right, top, 360)
    last = sheet.heading[-1]
    _underline(pdf, right, bottom + 7, pdfmetrics.stringWidth(last, BOLD, 13 if len(sheet.heading) > 1 else 12))


def _body(pdf: Canvas, sheet: Sheet, top: float) -> None:
    centre, width = WIDTH / 2, WIDTH - 2 * MARGIN - 80
    pdf.setFillColor(RED)
    y = _centred_lines(pdf, [(sheet.title.upper(), BOLD, 32)], centre, top, width) - 10
    pdf.setFillColor(INK)
    y = _centred_lines(pdf, [("Chứng nhận", ITALIC, 17)], centre, y, width) - 10
    y = _centred_lines(pdf, [(sheet.holder_name, BOLD, 26)], centre, y, width) - 4
    if sheet.holder_unit:
        y = _centred_lines(pdf, [(f"Đơn vị: {sheet.holder_unit}", REGULAR, 15)], centre, y, width)
    y -= 10
    if sheet.award:
        lead = f"{sheet.achievement} "
        award = sheet.award.upper()
        x = centre - (pdfmetrics.stringWidth(lead, ITALIC, 17) + pdfmetrics.stringWidth(award, BOLD, 22)) / 2
        pdf.setFont(ITALIC, 17)
        pdf.drawString(x, y, lead)
        pdf.setFillColor(RED)
        pdf.setFont(BOLD, 22)
        pdf.drawString(x + pdfmetrics.stringWidth(lead, ITALIC, 17), y, award)
        pdf.setFillColor(INK)
        y -= 30
    else:
        y = _centred_lines(pdf, [(sheet.achievement, ITALIC, 17)], centre, y, width) - 4
    y = _centred_lines(pdf, [(sheet.contest, REGULAR, 16)], centre, y, width - 120)
    _centred_lines(pdf, [(sheet.round_line, ITALIC, 15)], centre, y, width)


def _verification(pdf: Canvas, sheet: Sheet) -> None:
    """The QR code of the verification page (drawn as vector squares: sharp at any print size)
    and its address under it."""
    # A fixed mask: segno would otherwise try all eight and score them, 40 ms of a certificate's
    # 60; any mask scans.
    qr = segno.make(sheet.url, error="m", mask=QR_MASK, micro=False)
    modules = qr.matrix
    size = len(modules)
    x0, y0 = MARGIN + 22, MARGIN + 44
    pdf.setFillColor(white)
    pdf.rect(x0 - 4, y0 - 4, QR_SIZE + 8, QR_SIZE + 8, stroke=0, fill=1)
    # One rectangle per run of dark modules, in module units (whole numbers) written straight
    # into the page: ReportLab's own rect() formats every coordinate in Python, 30 ms a page.
    runs = []
    for row, line in enumerate(modules):
        column = 0
        while column < size:
            if not line[column]:
                column += 1
                continue
            start = column
            while column < size and line[column]:
                column += 1
            runs.append(f"{start} {size - row - 1} {column - start} 1 re")
    pdf.saveState()
    pdf.translate(x0, y0)
    pdf.scale(QR_SIZE / size, QR_SIZE / size)
    pdf.setFillColor(INK)
    pdf.addLiteral("\n".join(runs) + "\nf")
    pdf.restoreState()
    pdf.setFillColor(GREY)
    pdf.setFont(REGULAR, 9)
    pdf.drawString(x0, y0 - 14, "Tra cứu giấy chứng nhận tại:")
    pdf.drawString(x0, y0 - 25, sheet.url)


def _signature(pdf: Canvas, sheet: Sheet) -> None:
    """Place and date, the capacity and title of the first signer, room to sign and stamp, the name."""
    centre, width = WIDTH - MARGIN - 175, 330
    pdf.setFillColor(INK)
    y = _centred_lines(pdf, [(sheet.place_and_date, ITALIC, 14)], centre, MARGIN + 168, width) - 2
    lines = [(sheet.signer_capacity, BOLD, 13)] if sheet.signer_capacity else []
    lines.append((sheet.signer_title.upper(), BOLD, 13))
    _centred_lines(pdf, lines, centre, y, width)
    if sheet.signer_name:
        _centred_lines(pdf, [(sheet.signer_name, BOLD, 14)], centre, MARGIN + 24, width)
