"""A one-sheet xlsx written as plain sheet XML, streamed into the zip row by row.

Measured on 200,000 attempts (bench/ranking.py, bench/README.md): openpyxl's write-only mode
and xlsxwriter's constant-memory mode spend most of a national round's export building a cell
object per value; this writes each row's XML directly, in constant memory. Numbers are number
cells, text is inline-string cells (Excel, LibreOffice and openpyxl read them as text, never
as formulas), an empty value is no cell. Text a spreadsheet would evaluate is quoted by the
callers (quizapp/spreadsheets.py), as for every export.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import BinaryIO
from xml.sax.saxutils import escape

from quizapp.spreadsheets import FORMULA_STARTS

# Characters XML 1.0 cannot carry (C0 controls but tab, newline and CR; FFFE, FFFF); dropped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
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
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_END = "</sheetData></worksheet>"
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
    count = 0
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=_text(title[:31]).replace('"', "&quot;")))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            batch: list[str] = []
            for row in rows:
                count += 1
                batch.append(_row(count, row))
                if len(batch) == _BATCH:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            sheet.write(("".join(batch) + _SHEET_END).encode())
    return count


def _row(number: int, values: Iterable[object]) -> str:
    # The hot loop of a national round's export (bench/ranking.py): exact type tests first,
    # text escaped only when it holds a character XML would read otherwise.
    line = str(number)
    cells = [f'<row r="{line}">']
    for column, value in enumerate(values):
        kind = type(value)
        if kind is str:
            if value:  # "" is no cell; the references of the others keep their columns
                cells.append(_text_cell(f"{_column(column)}{line}", value))
        elif kind is int or kind is float:
            cells.append(f'<c r="{_column(column)}{line}"><v>{value!r}</v></c>')
        elif value is None:
            continue
        elif kind is bool:
            cells.append(f'<c r="{_column(column)}{line}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            cells.append(f'<c r="{_column(column)}{line}"><v>{value}</v></c>')
        elif value != "":
            cells.append(_text_cell(f"{_column(column)}{line}", str(value)))
    cells.append("</row>")
    return "".join(cells)


def _text_cell(where: str, value: str) -> str:
    if value.startswith(FORMULA_STARTS):
        value = "'" + value  # safe_cell's rule, applied to every text cell
    if _SPECIAL.search(value):
        value = _text(value)
    return f'<c r="{where}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


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
