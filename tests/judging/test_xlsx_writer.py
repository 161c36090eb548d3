"""The sheet-XML xlsx writer (quizapp/judging/xlsx.py) read back by openpyxl: cell types kept,
text escaped, characters XML cannot carry dropped, and no text cell starting a formula, whoever
made the rows."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
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


def test_a_headed_sheet_is_bold_frozen_filtered_and_typed_and_sheets_follow_it():
    stream = io.BytesIO()
    moment = datetime(2026, 12, 1, 1, 42, 19)
    with xlsx.Workbook(stream) as book:
        assert book.add_sheet("Bạn's sheet", iter([["Hạng", "Lúc", "Ngày sinh", "Thời gian"],
                                                    [1, moment, date(1987, 3, 4), timedelta(seconds=1073)],
                                                    [2, moment + timedelta(seconds=1), None, timedelta(seconds=59)]]),
                              header=True, widths=(7, 20), after=[["Tổng", 2]]) == 3
        assert book.add_sheet("Thông tin", [["Cuộc thi", "Thử"]], widths=(30,)) == 1
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    assert workbook.sheetnames == ["Bạn's sheet", "Thông tin"]
    sheet = workbook.worksheets[0]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Hạng", "Lúc", "Ngày sinh", "Thời gian"],
        [1, moment, datetime(1987, 3, 4), timedelta(seconds=1073)],
        [2, moment + timedelta(seconds=1), None, timedelta(seconds=59)],
        ["Tổng", 2, None, None]]
    assert [cell.font.b for cell in sheet[1]] == [True] * 4 and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D3"  # the rows after it left out
    assert (sheet["B2"].number_format, sheet["C2"].number_format, sheet["D2"].number_format) == (
        "dd/mm/yyyy hh:mm:ss", "dd/mm/yyyy", "[m]:ss")
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (7, 20)
    info = workbook.worksheets[1]
    assert info.freeze_panes is None and info.auto_filter.ref is None and info["A1"].value == "Cuộc thi"


def test_a_header_with_no_rows_still_makes_a_workbook():
    stream = io.BytesIO()
    with xlsx.Workbook(stream) as book:
        assert book.add_sheet("Xếp hạng", [["Hạng", "Họ và tên"]], header=True) == 1
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    assert list(sheet.iter_rows(values_only=True)) == [("Hạng", "Họ và tên")] and sheet.auto_filter.ref == "A1:B1"
