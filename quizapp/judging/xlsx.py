"""xlsx written as plain sheet XML, streamed into the zip row by row.

Measured on 200,000 attempts (bench/ranking.py, bench/README.md): openpyxl's write-only mode
and xlsxwriter's constant-memory mode spend most of a national round's export building a cell
object per value; this writes each row's XML directly, in constant memory. Numbers are number
cells, text is inline-string cells (Excel, LibreOffice and openpyxl read them as text, never
as formulas), an empty value is no cell; a ``datetime`` is a date-time cell (dd/mm/yyyy
hh:mm:ss, to the second), a ``date`` a date cell, a ``timedelta`` a duration cell ([m]:ss).
Text a spreadsheet would evaluate is quoted by the callers (quizapp/spreadsheets.py), as for
every export, and again here.

A sheet may have a header (``Workbook.add_sheet(header=True)``): bold, frozen above the rows,
with a filter over the table and column widths, which is what people expect of a report
they sort and filter; rows written after the table (``after``) stay outside its filter.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import BinaryIO
from xml.sax.saxutils import escape

from quizapp.spreadsheets import FORMULA_STARTS

# Characters XML 1.0 cannot carry (C0 controls but tab, newline and CR; FFFE, FFFF); dropped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets>{sheets}</sheets>{names}</workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}'
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
# Cell styles, by their index in cellXfs: 0 plain, 1 the header (bold, wrapped, centred
# vertically), 2 a date-time, 3 a date, 4 a duration. Number formats 164-166 are custom.
_BOLD, _DATETIME, _DATE, _DURATION = 1, 2, 3, 4
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/><numFmt numFmtId="166" formatCode="[m]:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
# A header row holds three lines of wrapped text.
_HEADER_HEIGHT = 45
# Excel's day 0 (the 1900 date system, as Excel counts past its leap-year bug).
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.toordinal()
# Rows gathered before each write into the zip.
_BATCH = 1000
# zlib level of the sheet: see bench/README.md (level 1 is a third of level 6's time on a national round's
# export and makes the file about a tenth bigger).
COMPRESSION = 1
# Text that must be escaped for XML: markup characters, CR (kept as a reference) and what XML 1.0 cannot carry.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_xlsx(rows: Iterable[Iterable[object]], stream: BinaryIO, title: str = "Sheet1") -> int:
    """Write ``rows`` (the header first) as the one sheet ``title`` of an xlsx; return how
    many rows were written. Every text cell is made safe (quizapp/spreadsheets.py ``safe_cell``)."""
    with Workbook(stream) as book:
        return book.add_sheet(title, rows)


class Workbook:
    """An xlsx being written into ``stream``, one sheet after the other; the workbook's own
    parts are written when it closes, once every sheet is known."""

    def __init__(self, stream: BinaryIO) -> None:
        self.archive = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION)
        self.titles: list[str] = []
        self.filters: list[str] = []  # the defined names of the sheets' filters

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, _exc, _traceback) -> None:
        if exc_type is None:
            self.close()
        else:  # a half-written workbook is no file: leave its parts out
            self.archive.close()

    def add_sheet(self, title: str, rows: Iterable[Iterable[object]], *, header: bool = False,
                  widths: Sequence[float] = (), after: Iterable[Iterable[object]] = ()) -> int:
        """Write a sheet of ``rows`` then ``after``; return how many of ``rows`` were written.
        With ``header``, the first row is bold and frozen, and a filter spans it and ``rows``."""
        number = len(self.titles) + 1
        title = _ILLEGAL.sub("", title)[:31] or f"Sheet{number}"
        self.titles.append(title)
        rows = iter(rows)
        count = 0
        with self.archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_START + _view(number, header) + _columns(widths) + "<sheetData>").encode())
            columns = 0
            if header:
                first = next(rows, None)
                if first is not None:
                    first = list(first)
                    columns, count = len(first), 1
                    sheet.write(_row(1, first, _BOLD, _HEADER_HEIGHT).encode())
            batch: list[str] = []
            for row in rows:
                count += 1
                batch.append(_row(count, row))
                if len(batch) == _BATCH:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            line = count
            for row in after:
                line += 1
                batch.append(_row(line, row))
            ending = "</sheetData>"
            if header and columns:
                area = f"A1:{_column(columns - 1)}{max(count, 1)}"
                ending += f'<autoFilter ref="{area}"/>'
                quoted = title.replace("'", "''")
                self.filters.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{number - 1}" '
                                    f'hidden="1">{_text(_quoted_area(quoted, area))}</definedName>')
            sheet.write(("".join(batch) + ending + "</worksheet>").encode())
        return count

    def close(self) -> None:
        numbers = range(1, len(self.titles) + 1)
        self.archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>' for n in numbers)))
        self.archive.writestr("_rels/.rels", _ROOT_RELS)
        self.archive.writestr("xl/workbook.xml", _WORKBOOK.format(
            sheets="".join(f'<sheet name="{_text(title).replace(chr(34), "&quot;")}" sheetId="{n}" r:id="rId{n}"/>'
                           for n, title in zip(numbers, self.titles, strict=True)),
            names=f"<definedNames>{''.join(self.filters)}</definedNames>" if self.filters else ""))
        self.archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(sheets="".join(
            f'<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>' for n in numbers)))
        self.archive.writestr("xl/styles.xml", _STYLES)
        self.archive.close()


def _quoted_area(title: str, area: str) -> str:
    """``'Xếp hạng'!$A$1:$N$201``: a sheet's area as a defined name holds it."""
    first, last = area.split(":")
    return f"'{title}'!{_absolute(first)}:{_absolute(last)}"


def _absolute(reference: str) -> str:
    letters = reference.rstrip("0123456789")
    return f"${letters}${reference[len(letters):]}"


def _view(number: int, frozen: bool) -> str:
    selected = ' tabSelected="1"' if number == 1 else ""
    if not frozen:
        return f'<sheetViews><sheetView workbookViewId="0"{selected}/></sheetViews>'
    return (f'<sheetViews><sheetView workbookViewId="0"{selected}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>')


def _columns(widths: Sequence[float]) -> str:
    if not widths:
        return ""
    return "<cols>" + "".join(f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
                              for n, width in enumerate(widths, start=1)) + "</cols>"


def _row(number: int, values: Iterable[object], style: int = 0, height: int = 0) -> str:
    # The hot loop of a national round's export (bench/ranking.py): exact type tests first,
    # text escaped only when it holds a character XML would read otherwise.
    line = str(number)
    cells = [f'<row r="{line}" ht="{height}" customHeight="1">' if height else f'<row r="{line}">']
    styled = f' s="{style}"' if style else ""
    for column, value in enumerate(values):
        kind = type(value)
        if kind is str:
            if value:  # "" is no cell; the references of the others keep their columns
                cells.append(_text_cell(f"{_column(column)}{line}", value, styled))
        elif kind is int or kind is float:
            cells.append(f'<c r="{_column(column)}{line}"{styled}><v>{value!r}</v></c>')
        elif value is None:
            continue
        elif kind is datetime:
            # Local wall-clock time, as people read it; whole seconds (no milliseconds shown or kept).
            days = value.toordinal() - _EPOCH_DAY + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
            cells.append(f'<c r="{_column(column)}{line}" s="{_DATETIME}"><v>{days!r}</v></c>')
        elif kind is date:
            cells.append(f'<c r="{_column(column)}{line}" s="{_DATE}"><v>{value.toordinal() - _EPOCH_DAY}</v></c>')
        elif kind is timedelta:
            cells.append(f'<c r="{_column(column)}{line}" s="{_DURATION}"><v>{value.total_seconds() / 86400!r}</v></c>')
        elif kind is bool:
            cells.append(f'<c r="{_column(column)}{line}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            cells.append(f'<c r="{_column(column)}{line}"><v>{value}</v></c>')
        elif value != "":
            cells.append(_text_cell(f"{_column(column)}{line}", str(value), styled))
    cells.append("</row>")
    return "".join(cells)


def _text_cell(where: str, value: str, styled: str = "") -> str:
    if value.startswith(FORMULA_STARTS):
        value = "'" + value  # safe_cell's rule, applied to every text cell
    if _SPECIAL.search(value):
        value = _text(value)
    return f'<c r="{where}"{styled} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


@cache
def _column(index: int) -> str:
    """A, B, …, Z, AA, … for 0, 1, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    # A raw CR would be read back as a line feed (XML end-of-line handling): kept as a reference.
    return escape(_ILLEGAL.sub("", value), {"\r": "&#13;"})
