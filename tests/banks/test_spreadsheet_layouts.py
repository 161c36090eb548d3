"""The spreadsheet layouts Vietnamese organisers really hold (issue 12, items 3, 4 and 8 for .xlsx):
header aliases, all options in one cell, answers as letters or numbers, formula cells, a column
asking to keep the option order, and pictures anchored in a question's row.

Every file is generated here (openpyxl, csv); pictures are tiny PNGs made with Pillow.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image

from quizapp.banks.formats import parse_file
from quizapp.text import clean_text
from tests.banks.test_bank_import import (
    as_stored,
    assert_refused,
    bank_questions,
    import_file,
    rewrite_sheet_xml,
    with_cached_values,
)

# --- helpers ------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[object]], *, formulas: bool = False, pictures: dict[str, bytes] | None = None) -> bytes:
    """A workbook from ``rows`` (row 1 first) with ``pictures`` anchored at cells ("E2")."""
    workbook = Workbook()
    sheet = workbook.active
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str) and value.startswith("=") and not formulas:
                cell.data_type = "s"
    for anchor, data in (pictures or {}).items():
        sheet.add_image(SheetImage(io.BytesIO(data)), anchor)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["" if cell is None else cell for cell in row]
                                                          for row in rows])
    return buffer.getvalue().encode("utf-8")


def png(colour: tuple[int, int, int], size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def parsed(rows: list[list[object]], extension: str = ".xlsx", **options):
    data = xlsx_bytes(rows, **options) if extension == ".xlsx" else csv_bytes(rows)
    return parse_file(f"ngan-hang{extension}", data)


def short(question) -> tuple:
    return question.topic, question.text, tuple(question.options), sorted(question.correct), question.multiple


BOTH = pytest.mark.parametrize("extension", [".xlsx", ".csv"])

# --- the real layouts ---------------------------------------------------------------------------

ONE_CELL_ROWS = [
    ["STT", "Hạng mục", "Nội dung", "Phương án trả lời", "Đáp án"],
    [1, "Lịch sử Đảng", "Câu 1: Đảng Cộng sản Việt Nam ra đời năm nào?",
     "A. 1925\nB. 1930\nC. 1945\nD. 1954", "B"],
    [2, "Lịch sử Đảng", "Câu 2. Những ai dự Hội nghị thành lập Đảng?",
     "A. Nguyễn Ái Quốc; B. Trịnh Đình Cửu\nC. Lê Duẩn", "A, B"],
    [3, "Pháp luật", "Hiến pháp hiện hành được thông qua năm nào?", "A) 1992\r\nB) 2013", "B"],
]


@BOTH
def test_all_options_in_one_cell_layout(extension):
    result = parsed(ONE_CELL_ROWS, extension)
    assert result.errors == []
    assert [short(question) for question in result.questions] == [
        ("Lịch sử Đảng", "Đảng Cộng sản Việt Nam ra đời năm nào?", ("1925", "1930", "1945", "1954"), [1], False),
        ("Lịch sử Đảng", "Những ai dự Hội nghị thành lập Đảng?", ("Nguyễn Ái Quốc", "Trịnh Đình Cửu", "Lê Duẩn"),
         [0, 1], True),
        ("Pháp luật", "Hiến pháp hiện hành được thông qua năm nào?", ("1992", "2013"), [1], False),
    ]
    first, second, _ = result.questions
    assert "đã bỏ số thứ tự 'Câu 1:' ở đầu câu hỏi" in first.notes
    assert "đã bỏ số thứ tự 'Câu 2.' ở đầu câu hỏi" in second.notes
    assert "có 2 đáp án (A, B): câu nhiều lựa chọn" in second.notes


def test_a_semicolon_inside_an_option_is_not_a_split():
    rows = [["Câu hỏi", "Phương án trả lời", "Đáp án"],
            ["Quy định ở đâu?", "A. Điều 5 điểm a; b) khoản 2\nB. Điều 6; C là gì", "A"]]
    [question] = parsed(rows).questions
    assert question.options == ["Điều 5 điểm a; b) khoản 2", "Điều 6; C là gì"]


def test_unlabelled_lines_in_one_cell_are_the_options_in_order():
    rows = [["Nội dung", "Phương án trả lời", "Đáp án"], ["Thủ đô?", "Hà Nội\nHuế\nĐà Nẵng", "1"]]
    [question] = parsed(rows).questions
    assert (question.options, question.correct) == (["Hà Nội", "Huế", "Đà Nẵng"], {0})
    assert "phương án không có nhãn A., B., …: lấy theo thứ tự các dòng trong ô" in question.notes


def test_label_without_a_space_is_read_with_a_note():
    rows = [["Câu hỏi", "Phương án trả lời", "Đáp án"], ["Giờ nào?", "A.12 giờ\nB. 14 giờ", "A"]]
    result = parsed(rows)
    assert result.errors == []
    [question] = result.questions
    assert question.options == ["12 giờ", "14 giờ"]
    assert any("nhãn phương án A viết liền" in note for note in question.notes)


@pytest.mark.parametrize(("cell", "phrase"), [
    ("A. Hà Nội\nHuế", "dòng 'Huế' không có nhãn"),
    ("A. Hà Nội\nC. Huế", "nhãn C sai thứ tự, cần B"),
    ("A. Hà Nội\nA. Huế", "nhãn A sai thứ tự, cần B"),
])
def test_bad_labels_in_one_cell_are_refused_at_the_row(cell, phrase):
    rows = [["Câu hỏi", "Phương án trả lời", "Đáp án"], ["Thủ đô?", "A. X\nB. Y", "A"], ["Cố đô?", cell, "A"]]
    result = parsed(rows)
    assert [(line, message) for line, message in result.errors if phrase in message] == [
        (3, next(message for _, message in result.errors if phrase in message))]
    assert len(result.errors) == 1


def test_options_in_one_cell_and_in_columns_together_are_refused():
    rows = [["Câu hỏi", "Phương án trả lời", "A", "B", "Đáp án"], ["Thủ đô?", "A. X\nB. Y", "X", "Y", "A"]]
    assert parsed(rows).errors == [
        (1, "dùng một cột Phương án trả lời (mỗi phương án một dòng) hoặc các cột A, B, …, không dùng cả hai")]


OPTION_FAMILIES = {
    "Lựa chọn A": (["STT", "Chủ đề", "Câu hỏi", "Lựa chọn A", "Lựa chọn B", "Lựa chọn C", "Đáp án"], "B"),
    "PA A": (["STT", "Lĩnh vực", "Nội dung câu hỏi", "PA A", "PA B", "PA C", "Đáp án đúng"], "B"),
    "Câu trả lời A": (["Hạng mục", "Nội dung", "Câu trả lời A", "Câu trả lời B", "Câu trả lời C", "Đáp án đúng"], "B"),
    # "Đáp án A" is an option column, "Đáp án" alone the answer.
    "Đáp án A": (["Chủ đề", "Câu hỏi", "Đáp án A", "Đáp án B", "Đáp án C", "Đáp án"], "B"),
    "Phương án A / Đúng": (["Chủ đề", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đúng"], 2),
}


@BOTH
@pytest.mark.parametrize(("header", "answer"), OPTION_FAMILIES.values(), ids=OPTION_FAMILIES.keys())
def test_option_column_families(extension, header, answer):
    with_number = header[0] == "STT"
    row = ([7] if with_number else []) + ["Lịch sử", "Bác Hồ ra đi tìm đường cứu nước năm nào?",
                                          "1910", "1911", "1930", answer]
    result = parsed([header, row], extension)
    assert result.errors == []
    assert [short(question) for question in result.questions] == [
        ("Lịch sử", "Bác Hồ ra đi tìm đường cứu nước năm nào?", ("1910", "1911", "1930"), [1], False)]


@BOTH
def test_labels_typed_in_option_columns_are_removed_with_a_note(extension):
    rows = [["Câu hỏi", "Lựa chọn A", "Lựa chọn B", "Lựa chọn C", "Đáp án"],
            ["1. Thủ đô?", "A. Hà Nội", "B. Huế", "C.Đà Nẵng", "A"],
            # Only one option "labelled", and with its own letter: a name, kept.
            ["Ai?", "A. Lincoln", "Washington", "", "A"],
            # Labels that do not match their column are text.
            ["Chữ nào?", "B. thứ hai", "A. thứ nhất", "", "A"]]
    result = parsed(rows, extension)
    assert result.errors == []
    first, second, third = result.questions
    assert (first.text, first.options) == ("Thủ đô?", ["Hà Nội", "Huế", "Đà Nẵng"])
    assert "đã bỏ số thứ tự '1.' ở đầu câu hỏi" in first.notes
    assert "đã bỏ nhãn A., B., … ở đầu phương án" in first.notes
    assert any("nhãn phương án C viết liền" in note for note in first.notes)
    assert (second.options, second.notes) == (["A. Lincoln", "Washington"], [])
    assert (third.options, third.notes) == (["B. thứ hai", "A. thứ nhất"], [])


def test_header_names_ignore_case_accents_and_spacing():
    header = ["stt", "HANG MUC", "noi dung", "phuong an tra loi", "DAP AN DUNG", "giu thu tu"]
    result = parsed([header, [1, "Chung", "Thủ đô?", "A. Hà Nội\nB. Huế", "a", "x"]])
    assert result.errors == []
    assert short(result.questions[0]) == ("Chung", "Thủ đô?", ("Hà Nội", "Huế"), [0], False)


def test_unknown_header_is_still_reported():
    result = parsed([["Câu hỏi", "Lựa chọn A", "Lựa chọn B", "Đáp án", "Ghi chú"], ["Q?", "x", "y", "A", ""]])
    assert result.errors == [(1, "cột không xác định: 'Ghi chú'")]


# --- answers ------------------------------------------------------------------------------------


@BOTH
def test_answers_as_letters_or_numbers(extension):
    answers = ["A", "A, C", "AC", "A;C", 3, "1, 3", "2;4", "1 2"]
    rows = [["Câu hỏi", "A", "B", "C", "D", "Đáp án"]] + [
        [f"Câu hỏi số {index}?", "Một", "Hai", "Ba", "Bốn", answer] for index, answer in enumerate(answers)]
    result = parsed(rows, extension)
    assert result.errors == []
    assert [(sorted(question.correct), question.multiple) for question in result.questions] == [
        ([0], False), ([0, 2], True), ([0, 2], True), ([0, 2], True), ([2], False), ([0, 2], True), ([1, 3], True),
        ([0, 1], True)]
    assert "đáp án ghi bằng số: 1 là A, 2 là B, 3 là C, …" in result.notes
    # Once for the file, not on every row (a 390-row sheet would bury the notes that matter).
    assert not any("ghi bằng số" in note for question in result.questions for note in question.notes)
    assert result.questions[5].correct == {0, 2}


def test_numbered_answers_do_not_add_the_file_note_when_none_is_a_number():
    result = parsed([["Câu hỏi", "A", "B", "Đáp án"], ["Thủ đô?", "Hà Nội", "Huế", "A"]])
    assert result.notes == []
    assert result.questions[0].notes == []


@pytest.mark.parametrize(("answer", "phrase"), [
    (9, "đáp án '9' không hợp lệ: số phương án phải từ 1 đến 8"),
    ("0", "đáp án '0' không hợp lệ: số phương án phải từ 1 đến 8"),
    ("12", "đáp án '12' không hợp lệ"),
    ("A, 2", "đáp án 'A, 2' không hợp lệ"),
    (1.3, "Excel có thể đã đọc '1,3' thành số thập phân"),
])
def test_unreadable_answers_are_refused_at_their_row(answer, phrase):
    result = parsed([["Câu hỏi", "A", "B", "C", "Đáp án"], ["Câu nào?", "Một", "Hai", "Ba", answer]])
    assert len(result.errors) == 1 and result.errors[0][0] == 2 and phrase in result.errors[0][1], result.errors


def test_a_number_beyond_the_options_is_refused():
    result = parsed([["Câu hỏi", "A", "B", "Đáp án"], ["Câu nào?", "Một", "Hai", 4]])
    assert result.errors == [(2, "đáp án '4': không có phương án thứ 4 (câu có 2 phương án)")]


def test_an_explicit_multiple_column_still_decides_without_a_note():
    rows = [["Câu hỏi", "A", "B", "C", "Đáp án", "Nhiều lựa chọn"], ["Trụ cột?", "Một", "Hai", "Ba", "1,2", "x"]]
    [question] = parsed(rows).questions
    assert (question.correct, question.multiple) == ({0, 1}, True)
    assert not any("câu nhiều lựa chọn" in note for note in question.notes)


# --- keeping the option order -------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("header", ["Giữ thứ tự", "Không đảo", "Cố định thứ tự", "KHONG DAO"])
def test_keep_order_column(extension, header):
    rows = [["Câu hỏi", "A", "B", "C", "Đáp án", header]] + [
        [f"Hỏi thứ {index} với ô {flag!r}?", "Một", "Hai", "Tất cả các ý trên", "C", flag]
        for index, flag in enumerate(["x", "có", 1, "true", "TRUE", None, "không", 0])]
    result = parsed(rows, extension)
    assert result.errors == []
    assert [question.fixed_order for question in result.questions] == [True] * 5 + [False] * 3
    assert result.questions[0].notes == ["giữ nguyên thứ tự phương án (theo cột Giữ thứ tự)"]


def test_keep_order_cell_that_is_neither_yes_nor_no_is_refused():
    result = parsed([["Câu hỏi", "A", "B", "Đáp án", "Giữ thứ tự"], ["Q?", "x", "y", "A", "có lẽ"]])
    assert result.errors == [(2, "cột Giữ thứ tự 'có lẽ': ghi x (giữ nguyên thứ tự phương án) hoặc để trống")]


# --- formula cells ------------------------------------------------------------------------------


def test_category_computed_by_a_formula_is_read_as_its_saved_value():
    rows = [["STT", "Mã", "Câu hỏi", "A", "B", "Đáp án"]]
    # The topic column computes the category from a code, as real banks do; the header is "Hạng mục".
    rows[0][1] = "Hạng mục"
    rows += [[1, '=IF(1=1,"Lịch sử","Khác")', "Năm 1930?", "Đảng ra đời", "Khác", "A"],
             [2, '=IF(1=1,"Pháp luật","Khác")', "Năm 2013?", "Hiến pháp", "Khác", "A"]]
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {"B2": ("str", "Lịch sử"), "B3": ("str", "Pháp luật")})
    result = parse_file("cong-thuc.xlsx", data)
    assert result.errors == []
    assert [question.topic for question in result.questions] == ["Lịch sử", "Pháp luật"]


def test_formula_with_no_saved_value_is_refused_at_its_cell():
    rows = [["Hạng mục", "Câu hỏi", "A", "B", "Đáp án"],
            ['=IF(1=1,"Lịch sử","Khác")', "Năm 1930?", "Đảng ra đời", "Khác", "A"],
            ['=IF(1=1,"Pháp luật","Khác")', "Năm 2013?", "Hiến pháp", "Khác", "A"]]
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {"A2": ("str", "Lịch sử")})
    result = parse_file("cong-thuc.xlsx", data)
    assert result.errors == [(3, "ô A3 có công thức nhưng chưa có giá trị đã tính; mở tệp bằng Excel, để Excel "
                                 "tính lại rồi lưu")]
    assert [question.line for question in result.questions] == [2]


def test_formula_whose_saved_result_is_empty_text_is_an_empty_cell():
    rows = [["Chủ đề", "Câu hỏi", "A", "B", "Đáp án"], ['=IF(1=2,"x","")', "Năm 1930?", "Đảng ra đời", "Khác", "A"]]
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {"A2": ("str", "")})
    result = parse_file("cong-thuc.xlsx", data)
    assert result.errors == []
    assert result.questions[0].topic == "Chung"


def test_formula_error_value_is_refused_at_its_cell():
    rows = [["Chủ đề", "Câu hỏi", "A", "B", "Đáp án"], ["=VLOOKUP(1,Z1:Z2,2)", "Năm 1930?", "Đảng", "Khác", "A"]]
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {"A2": ("e", "#N/A")})
    result = parse_file("cong-thuc.xlsx", data)
    assert result.errors == [(2, "ô A2 có lỗi công thức #N/A; sửa công thức trong Excel rồi lưu lại")]


def test_picture_placed_in_a_cell_is_named_not_read_as_text():
    rows = [["Câu hỏi", "A", "B", "Đáp án", "Hình ảnh"], ["Đây là ai?", "Bác Hồ", "Bác Tôn", "A", "ảnh"]]
    # The cell as Excel 365 writes a picture placed in it (openpyxl spells the text either way).
    data = rewrite_sheet_xml(xlsx_bytes(rows), lambda xml: re.sub(
        r'<c r="E2" t="inlineStr"><is><t>[^<]*</t></is></c>', '<c r="E2" t="e" vm="1"><v>#VALUE!</v></c>', xml))
    result = parse_file("anh-trong-o.xlsx", data)
    assert [line for line, _ in result.errors] == [2]
    assert "ô E2 chứa ảnh đặt trong ô" in result.errors[0][1]


# --- pictures -----------------------------------------------------------------------------------

PICTURE_HEADER = ["STT", "Chủ đề", "Câu hỏi", "A", "B", "Đáp án", "Hình ảnh"]
RED, BLUE = png((200, 0, 0)), png((0, 0, 200))


def picture_rows(count: int) -> list[list[object]]:
    return [PICTURE_HEADER] + [[n, "Địa lý", f"Đây là tỉnh số {n} nào?", "Hà Giang", "Cao Bằng", "A", None]
                               for n in range(1, count + 1)]


def test_picture_anchored_in_a_row_goes_with_that_question():
    result = parse_file("anh.xlsx", xlsx_bytes(picture_rows(3), pictures={"G2": RED, "C4": BLUE}))
    assert result.errors == []
    first, second, third = result.questions
    assert (first.picture, first.picture_name) == (RED, "image1.png")
    assert second.picture is None and second.picture_name is None
    assert third.picture == BLUE, "any column of the row"


def test_picture_spanning_rows_belongs_to_the_row_of_its_top_left_corner():
    data = xlsx_bytes(picture_rows(2), pictures={"G2": RED})

    def two_cell(xml: bytes) -> bytes:
        return (xml.replace(b"<oneCellAnchor>", b"<twoCellAnchor>").replace(b"</oneCellAnchor>", b"</twoCellAnchor>")
                .replace(b'<ext cx="38100" cy="28575"/>',
                         b"<to><col>8</col><colOff>0</colOff><row>2</row><rowOff>0</rowOff></to>"))

    data = rewrite_member(data, "xl/drawings/drawing1.xml", two_cell)
    result = parse_file("anh.xlsx", data)
    assert result.errors == []
    assert [question.picture for question in result.questions] == [RED, None]


def test_two_pictures_in_one_row_are_refused():
    result = parse_file("anh.xlsx", xlsx_bytes(picture_rows(2), pictures={"G2": RED, "E2": BLUE}))
    assert result.errors == [(2, "dòng này có 2 ảnh (image1.png, image2.png); mỗi câu hỏi chỉ được một ảnh")]
    assert [question.line for question in result.questions] == [3], "the row with two is not imported"


def test_picture_outside_every_question_row_is_refused():
    result = parse_file("anh.xlsx", xlsx_bytes(picture_rows(1), pictures={"G1": RED, "G4": BLUE}))
    assert result.errors == [
        (1, "ảnh image1.png không nằm trong dòng của câu hỏi nào; đặt ảnh vào dòng của câu hỏi"),
        (4, "ảnh image2.png không nằm trong dòng của câu hỏi nào; đặt ảnh vào dòng của câu hỏi"),
    ]


@BOTH
def test_picture_column_naming_a_picture_that_is_not_there_is_refused(extension):
    rows = picture_rows(2)
    rows[2][-1] = "ban-do-ha-giang.png"
    result = parsed(rows, extension)
    assert result.errors == [(3, "cột Hình ảnh ghi 'ban-do-ha-giang.png' nhưng dòng này không có ảnh; chèn ảnh "
                                 "vào dòng của câu hỏi (chỉ tệp .xlsx mang được ảnh)")]


def test_picture_column_text_names_the_picture_that_is_there():
    rows = picture_rows(1)
    rows[1][-1] = "ban-do.png"
    [question] = parse_file("anh.xlsx", xlsx_bytes(rows, pictures={"G2": RED})).questions
    assert (question.picture, question.picture_name) == (RED, "ban-do.png")


def test_picture_that_inflates_like_a_bomb_is_refused_before_it_is_read():
    data = xlsx_bytes(picture_rows(1), pictures={"G2": RED})
    data = rewrite_member(data, "xl/media/image1.png", lambda _: b"\0" * (3 * 1024 * 1024))
    result = parse_file("bom.xlsx", data)
    assert [line for line, _ in result.errors] == [0]
    assert "tệp Excel bị nén bất thường (xl/media/image1.png" in result.errors[0][1]


def test_damaged_drawing_part_is_reported_not_raised():
    data = rewrite_member(xlsx_bytes(picture_rows(1), pictures={"G2": RED}), "xl/drawings/drawing1.xml",
                          lambda xml: xml[: len(xml) // 2])
    result = parse_file("hong.xlsx", data)
    assert [line for line, _ in result.errors] == [0]
    assert "tệp Excel có phần bị hỏng" in result.errors[0][1]
    assert result.questions == []


def test_drawing_part_with_an_external_entity_is_not_resolved():
    doctype = b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/hostname">]>'

    def change(xml: bytes) -> bytes:
        start = xml.index(b"<wsDr")
        return xml[:start] + doctype + xml[start:].replace(b"<oneCellAnchor>", b"&e;<oneCellAnchor>", 1)

    result = parse_file("thuc-the.xlsx", rewrite_member(xlsx_bytes(picture_rows(1), pictures={"G2": RED}),
                                                         "xl/drawings/drawing1.xml", change))
    assert result.errors == []
    assert [question.picture for question in result.questions] == [RED]


def test_missing_picture_part_is_reported_at_its_row():
    data = xlsx_bytes(picture_rows(1), pictures={"G2": RED})
    data = rewrite_member(data, "xl/media/image1.png", None)
    result = parse_file("thieu-anh.xlsx", data)
    assert result.errors == [(2, "ảnh 'Image 1' liên kết ra ngoài tệp hoặc bị thiếu; chèn lại ảnh vào tệp "
                                 "(Insert → Pictures → This Device)")]


WPS_CELL_IMAGES = (
    '<etc:cellImages xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:etc="http://www.wps.cn/officeDocument/2017/etCustomData"><etc:cellImage><xdr:pic><xdr:nvPicPr>'
    '<xdr:cNvPr id="2" name="ID_5F0C1B2E" descr="ban-do"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
    '<a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr/></xdr:pic>'
    '</etc:cellImage></etc:cellImages>'
)
WPS_CELL_IMAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
    'Target="media/image9.png"/></Relationships>'
)


def with_wps_cell_picture(rows: list[list[object]], cell: str, picture: bytes) -> bytes:
    """A workbook as WPS Office saves a picture put "in a cell": a DISPIMG formula whose saved value is
    its own text, and the picture in xl/cellimages.xml under the id the formula names."""
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {cell: ("str", '=DISPIMG("ID_5F0C1B2E",1)')})

    def add_relationship(xml: bytes) -> bytes:
        return xml.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://www.wps.cn/officeDocument/'
                                                 b'2020/cellImage" Target="cellimages.xml"/></Relationships>')

    data = rewrite_member(data, "xl/_rels/workbook.xml.rels", add_relationship)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/cellimages.xml", WPS_CELL_IMAGES)
        archive.writestr("xl/_rels/cellimages.xml.rels", WPS_CELL_IMAGE_RELS)
        archive.writestr("xl/media/image9.png", picture)
    return buffer.getvalue()


def test_wps_picture_in_a_cell_goes_with_its_question():
    rows = picture_rows(2)
    rows[1][-1] = '=_xlfn.DISPIMG("ID_5F0C1B2E",1)'
    result = parse_file("wps.xlsx", with_wps_cell_picture(rows, "G2", RED))
    assert result.errors == []
    first, second = result.questions
    assert (first.picture, first.picture_name) == (RED, "image9.png")
    assert second.picture is None


def test_wps_picture_in_the_question_cell_leaves_the_text_alone():
    rows = [["Câu hỏi", "A", "B", "Đáp án"], ['=_xlfn.DISPIMG("ID_5F0C1B2E",1)', "Hà Giang", "Cao Bằng", "A"]]
    result = parse_file("wps.xlsx", with_wps_cell_picture(rows, "A2", RED))
    assert result.errors == [(2, "thiếu nội dung câu hỏi")]


def test_wps_picture_missing_from_the_file_is_refused():
    rows = picture_rows(1)
    rows[1][-1] = '=_xlfn.DISPIMG("ID_5F0C1B2E",1)'
    data = with_cached_values(xlsx_bytes(rows, formulas=True), {"G2": ("str", '=DISPIMG("ID_5F0C1B2E",1)')})
    result = parse_file("wps.xlsx", data)
    assert result.errors == [(2, "ảnh ID_5F0C1B2E (ảnh trong ô của WPS) không có trong tệp; chèn lại ảnh")]


def rewrite_member(data: bytes, name: str, change) -> bytes:
    """The archive with member ``name`` passed through ``change`` (None: removed)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                if change is None:
                    continue
                content = change(content)
            target.writestr(item, content)
    return buffer.getvalue()


# --- end to end ---------------------------------------------------------------------------------


def test_real_layout_with_pictures_imports_from_the_command_line(app, runner, tmp_path):
    path = tmp_path / "that.xlsx"
    path.write_bytes(xlsx_bytes(ONE_CELL_ROWS, pictures={"C2": RED}))
    result = import_file(runner, path, "--bank", "that")
    assert result.exit_code == 0, result.output
    assert [(stored.topic, stored.text, stored.correct) for stored in bank_questions(app, "that")] == [
        ("Lịch sử Đảng", "Đảng Cộng sản Việt Nam ra đời năm nào?", frozenset({1})),
        ("Lịch sử Đảng", "Những ai dự Hội nghị thành lập Đảng?", frozenset({0, 1})),
        ("Pháp luật", "Hiến pháp hiện hành được thông qua năm nào?", frozenset({1})),
    ]


def test_real_layout_with_a_bad_row_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "sai.xlsx"
    rows = [*ONE_CELL_ROWS, [4, "Pháp luật", "Câu 4: Luật nào?", "A. Luật A\nC. Luật C", "5"]]
    path.write_bytes(xlsx_bytes(rows))
    assert_refused(import_file(runner, path, "--bank", "sai"), path,
                   [(5, "nhãn C sai thứ tự, cần B"), (5, "đáp án '5': không có phương án thứ 5 (câu có 2 phương án)")])


# --- property: whatever alias family writes the bank, the same questions come back --------------

FAMILIES = {
    "ours": (["Chủ đề", "Câu hỏi"], "{}", "Đáp án", False),
    "one cell": (["Hạng mục", "Nội dung"], None, "Đáp án", True),
    "Lựa chọn": (["Lĩnh vực", "Câu hỏi"], "Lựa chọn {}", "Đáp án đúng", False),
    "Đáp án X": (["Chủ đề", "Nội dung câu hỏi"], "Đáp án {}", "Đáp án", False),
    "PA": (["Hạng mục", "Câu hỏi"], "PA {}", "Đúng", False),
    "Câu trả lời": (["Chủ đề", "Nội dung"], "Câu trả lời {}", "Đáp án đúng", False),
    "Phương án": (["Lĩnh vực", "Câu hỏi"], "Phương án {}", "Đáp án", False),
}
SPELLINGS = [
    lambda name: name, str.upper, str.lower,
    lambda name: "".join(ch for ch in unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
                         if not unicodedata.combining(ch)),
    lambda name: unicodedata.normalize("NFD", name),
    lambda name: f"  {name} ",
]
WORDS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạềếểễệòóỏõọờớởỡợ"
text = st.text(WORDS + " ", min_size=1, max_size=25).map(clean_text).filter(bool)


@st.composite
def banks(draw):
    stems = draw(st.lists(text, min_size=1, max_size=4, unique_by=str.casefold))
    questions = []
    for stem in stems:
        count = draw(st.integers(2, 6))
        options = draw(st.lists(text, min_size=count, max_size=count, unique_by=str.casefold))
        correct = draw(st.sets(st.integers(0, count - 1), min_size=1, max_size=count))
        questions.append((draw(text), stem + "?", options, correct))
    return questions


def write_answer(correct: set[int], style: int) -> object:
    letters = ["ABCDEFGH"[index] for index in sorted(correct)]
    numbers = [index + 1 for index in sorted(correct)]
    if style == 0:
        return ", ".join(letters)
    if style == 1:
        return "".join(letters)
    if style == 2:
        return ";".join(letters)
    return numbers[0] if len(numbers) == 1 else ", ".join(map(str, numbers))


def family_rows(bank, family: str, spelling, answer_style: int, row_numbers: bool) -> list[list[object]]:
    lead, option_column, answer_column, one_cell = FAMILIES[family]
    width = max(len(options) for _, _, options, _ in bank)
    options_header = ["Phương án trả lời"] if one_cell else [option_column.format(letter) for letter in
                                                              "ABCDEFGH"[:width]]
    header = (["STT"] if row_numbers else []) + [*lead, *options_header, answer_column]
    rows = [[spelling(name) for name in header]]
    for number, (topic, question, options, correct) in enumerate(bank, start=1):
        if one_cell:
            cells = ["\n".join(f"{'ABCDEFGH'[index]}. {option}" for index, option in enumerate(options))]
        else:
            cells = [*options, *[None] * (width - len(options))]
        rows.append(([number] if row_numbers else []) + [topic, question, *cells, write_answer(correct, answer_style)])
    return rows


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank=banks(), family=st.sampled_from(sorted(FAMILIES)), spelling=st.sampled_from(SPELLINGS),
       answer_style=st.integers(0, 3), row_numbers=st.booleans(), extension=st.sampled_from([".xlsx", ".csv"]))
def test_every_alias_family_reads_the_same_questions(bank, family, spelling, answer_style, row_numbers, extension):
    result = parsed(family_rows(bank, family, spelling, answer_style, row_numbers), extension)
    assert result.errors == []
    assert [short(question) for question in result.questions] == [
        (topic, question, tuple(options), sorted(correct), len(correct) > 1)
        for topic, question, options, correct in bank]


def test_the_canonical_family_matches_the_stored_layout():
    # The project's own layout (what `banks export` writes) stays one of the families.
    rows = family_rows([("Chung", "Thủ đô?", ["Hà Nội", "Huế"], {0})], "ours", SPELLINGS[0], 0, False)
    assert rows[0] == ["Chủ đề", "Câu hỏi", "A", "B", "Đáp án"]
    assert [as_stored(question).text for question in parsed(rows).questions] == ["Thủ đô?"]


@BOTH
def test_answers_written_with_a_dot_brackets_or_a_label_are_read(extension):
    answers = ["B.", "(A)", "Đáp án C", "ĐA: D", "b", "A., C."]
    rows = [["Câu hỏi", "A", "B", "C", "D", "Đáp án"]] + [
        [f"Câu hỏi thứ {index}?", "Một", "Hai", "Ba", "Bốn", answer] for index, answer in enumerate(answers)]
    result = parsed(rows, extension)
    assert result.errors == []
    assert [sorted(question.correct) for question in result.questions] == [[1], [0], [2], [3], [1], [0, 2]]
