"""The sheet-XML xlsx writer (quizapp/judging/xlsx.py) read back by openpyxl: cell types kept,
text escaped, characters XML cannot carry dropped, and no text cell starting a formula, whoever
made the rows."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from quizapp.judging import xlsx
from quizapp.judging.rows import local_text


def read_back(rows) -> list[tuple]:
    stream = io.BytesIO()
    assert xlsx.write_xlsx(iter(rows), stream, "Xếp hạng <1>") == len(rows)
    book = load_workbook(io.BytesIO(stream.getvalue()), read_only=True)
    assert book.sheetnames == ["Xếp hạng <1>"]
    return list(book.active.iter_rows(values_only=True))


def test_cells_keep_their_types_and_text_is_escaped():
    rows = [["Hạng", "Tên"],
            [1, "Trần & Lê <b>", 2.5, True, Decimal("3.25"), None, "", "dòng\r\nmới", "a\x01b", 7]]
    header, row = read_back(rows)
    assert header == ("Hạng", "Tên")
    assert row == (1, "Trần & Lê <b>", 2.5, True, 3.25, None, None, "dòng\r\nmới", "ab", 7)


def test_no_text_cell_starts_a_formula_whoever_made_the_rows():
    starts = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "'=already safe"]
    (row,) = read_back([starts])
    assert row == ("'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'=already safe")


def test_local_text_is_the_text_strftime_gave():
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    for moment in (datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC), datetime(2026, 12, 31, 17, 0, 0),
                   datetime(2027, 6, 30, 23, 59, 59, 1000, tzinfo=UTC)):
        aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        assert local_text(moment, zone) == aware.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S.%f")[:-3]
