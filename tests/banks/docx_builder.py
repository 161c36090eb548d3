"""Word files for the tests, written with python-docx the way organisers' files are made."""

from __future__ import annotations

import io
import zlib
from struct import pack

import docx
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Pt, RGBColor

GREY = "404040"
RED = "FF0000"


def run_format(run, style: dict) -> None:
    for name in ("bold", "italic", "underline"):
        if name in style:
            setattr(run, name, style[name])
    if "color" in style:
        run.font.color.rgb = RGBColor.from_string(style["color"])
    if "highlight" in style:
        run.font.highlight_color = style["highlight"]


class Doc:
    """``para("plain", ("bold text", {"bold": True}), …)`` adds one paragraph of runs."""

    def __init__(self) -> None:
        self.document = docx.Document()

    def para(self, *runs, style: str | None = None):
        paragraph = self.document.add_paragraph(style=style)
        for item in runs:
            text, fmt = (item, {}) if isinstance(item, str) else item
            if text == "\n":
                paragraph.add_run().add_break()
                continue
            run_format(paragraph.add_run(text), fmt)
        return paragraph

    def blank(self):
        return self.document.add_paragraph()

    def heading(self, text: str):
        return self.document.add_heading(text, level=1)

    def picture(self, data: bytes, paragraph=None):
        paragraph = paragraph if paragraph is not None else self.document.add_paragraph()
        paragraph.add_run().add_picture(io.BytesIO(data), width=Pt(40))
        return paragraph

    def table(self, rows: list[list[object]]):
        table = self.document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
        for cells, row in zip(table.rows, rows, strict=True):
            for cell, value in zip(cells.cells, row, strict=False):
                text, fmt = (value, {}) if isinstance(value, str) else value
                paragraph = cell.paragraphs[0]
                run_format(paragraph.add_run(text), fmt)
        return table

    def question(self, stem: str, options: list[str], marked=(), *, mark: dict | None = None,
                 label: dict | None = None, text: dict | None = None, letter_only: bool = False):
        """A question with its options one a line; options in ``marked`` get ``mark``."""
        mark = mark if mark is not None else {"bold": True}
        self.para(stem)
        for index, option in enumerate(options):
            letter_fmt = dict(label or {})
            text_fmt = dict(text or {})
            if index in marked:
                letter_fmt.update(mark)
                if not letter_only:
                    text_fmt.update(mark)
            self.para(("ABCDEFGH"[index] + ".", letter_fmt), (" ", text_fmt), (option, text_fmt))

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def png(width: int = 4, height: int = 3, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small valid PNG, without Pillow (so the test does not depend on the picture code)."""
    raw = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


__all__ = ["GREY", "RED", "WD_COLOR_INDEX", "Doc", "png"]
