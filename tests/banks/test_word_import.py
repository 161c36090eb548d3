"""Word (.docx) banks as organisers write them (issue 12 items 1 and 4; docs/bank-formats.md).

Every file is generated here with python-docx: each marking style (bold, underline, colour,
highlight, on the text or only the letter, with marks every option carries to ignore), each
layout (one option a line, two a line, in a table, `Câu N:`/`Câu N.`, unnumbered with blank
paragraphs, Aiken typed into Word with `[1]` prefixes, `Đáp án:` lines), the problems a file
must report (missing and ambiguous marks, stray lines) and pictures.
"""

from __future__ import annotations

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from quizapp.banks.formats import parse_file
from quizapp.banks.formats.common import check_question
from quizapp.banks.models import Question
from quizapp.extensions import db
from tests.banks.docx_builder import GREY, RED, WD_COLOR_INDEX, Doc, png

OPTIONS = ["Hà Nội", "Huế", "Sài Gòn", "Đà Nẵng"]


def parse(doc: Doc, name: str = "ngan-hang.docx"):
    return parse_file(name, doc.bytes())


def keys(result) -> list[set[int]]:
    return [question.correct for question in result.questions]


def numbered(mark: dict | None = None, *, count: int = 4, separator: str = ":", **options) -> Doc:
    """``count`` questions `Câu N:` whose key (N-1) % 4 carries ``mark``."""
    doc = Doc()
    for number in range(1, count + 1):
        doc.question(f"Câu {number}{separator} Thủ đô số {number} của nước ta là thành phố nào?",
                     [f"{option} {number}" for option in OPTIONS], {(number - 1) % 4}, mark=mark, **options)
    return doc


# --- the marking, chosen from the file as a whole ------------------------------------------------


def test_bold_option_text_is_the_key_with_numbers_stripped_and_noted():
    result = parse(numbered())
    assert result.errors == []
    assert keys(result) == [{0}, {1}, {2}, {3}]
    first = result.questions[0]
    assert first.line == "Câu 1" and first.number == 1
    assert first.text == "Thủ đô số 1 của nước ta là thành phố nào?"
    assert first.options == ["Hà Nội 1", "Huế 1", "Sài Gòn 1", "Đà Nẵng 1"]
    assert first.marking == "chữ đậm" and first.multiple is False
    assert "đã bỏ số thứ tự 'Câu 1:'" in first.notes
    assert "Đáp án được đánh dấu bằng chữ đậm ở 4/4 câu" in result.notes


def test_underline_only_on_the_letter():
    result = parse(numbered({"underline": True}, letter_only=True))
    assert result.errors == [] and keys(result) == [{0}, {1}, {2}, {3}]
    assert result.questions[0].marking == "gạch chân ở chữ cái phương án"


def test_red_text_among_dark_grey_text():
    doc = numbered({"color": RED}, label={"color": GREY}, text={"color": GREY})
    result = parse(doc)
    assert result.errors == [] and keys(result) == [{0}, {1}, {2}, {3}]
    assert result.questions[0].marking == "chữ màu đỏ"


def test_highlight():
    result = parse(numbered({"highlight": WD_COLOR_INDEX.YELLOW}))
    assert result.errors == [] and keys(result) == [{0}, {1}, {2}, {3}]
    assert result.questions[0].marking == "tô nền vàng"


def test_marks_every_option_carries_are_ignored():
    # Every label bold, every text dark grey: the key is the option whose text is bold too.
    doc = numbered({"bold": True}, label={"bold": True, "color": GREY}, text={"color": GREY})
    result = parse(doc)
    assert result.errors == [] and keys(result) == [{0}, {1}, {2}, {3}]
    assert "Đáp án được đánh dấu bằng chữ đậm ở 4/4 câu" in result.notes


def test_missing_and_ambiguous_marks_are_reported_per_question_and_nothing_imports(runner, app, tmp_path):
    # Like a real bank: most keys bold, one question with every option bold, two with none.
    doc = Doc()
    for number in range(1, 11):
        marked = {number % 4} if number <= 7 else ({0, 1, 2, 3} if number == 8 else set())
        doc.question(f"Câu {number}: Câu hỏi thứ {number}?", [f"{option} {number}" for option in OPTIONS], marked)
    result = parse(doc)
    assert sorted(result.errors) == [
        ("Câu 10", "không thấy đáp án được đánh dấu (chữ đậm)"),
        ("Câu 8", "mọi phương án đều được đánh dấu (chữ đậm), không rõ đáp án nào đúng"),
        ("Câu 9", "không thấy đáp án được đánh dấu (chữ đậm)"),
    ]
    assert "Đáp án được đánh dấu bằng chữ đậm ở 7/10 câu" in result.notes
    path = tmp_path / "thieu-dap-an.docx"
    path.write_bytes(doc.bytes())
    output = runner.invoke(args=["banks", "import", str(path)])
    assert output.exit_code == 1
    assert f"{path}:Câu 9: không thấy đáp án được đánh dấu (chữ đậm)" in output.output
    with app.app_context():
        assert db.session.scalars(select(Question)).all() == []


def test_two_marked_options_make_a_multiple_select_question_with_a_note():
    doc = numbered()
    doc.question("Câu 5: Những thành phố nào trực thuộc trung ương?", OPTIONS, {0, 3})
    result = parse(doc)
    assert result.errors == []
    last = result.questions[-1]
    assert last.correct == {0, 3} and last.multiple
    assert "2 phương án được đánh dấu: nhập thành câu nhiều lựa chọn" in last.notes


def test_a_file_without_any_mark_says_so():
    result = parse(numbered(mark={}, count=3))
    assert [message for _line, message in result.errors] == [
        "không thấy đáp án: không có dòng 'Đáp án:' và không nhận ra cách đánh dấu (chữ đậm, gạch chân, màu chữ, "
        "tô nền)"] * 3
    assert "Không nhận ra cách đánh dấu đáp án trong tệp" in result.notes


# --- layouts --------------------------------------------------------------------------------------


def test_cau_n_dot_and_two_options_a_line():
    doc = Doc()
    doc.para("Câu 1. Ngày Quốc khánh nước ta là ngày nào?")
    doc.para("A. 19/8/1945\t", ("B. 2/9/1945", {"bold": True}))
    doc.para("C. 23/9/1945    D. 6/1/1946")
    doc.para("Câu 2. Năm nào Bác Hồ ra đi tìm đường cứu nước?")
    doc.para(("A. 1911", {"bold": True}), "\tB. 1920\tC. 1930\tD. 1941")
    result = parse(doc)
    assert result.errors == []
    assert [question.options for question in result.questions] == [
        ["19/8/1945", "2/9/1945", "23/9/1945", "6/1/1946"], ["1911", "1920", "1930", "1941"]]
    assert keys(result) == [{1}, {0}]
    assert "đã bỏ số thứ tự 'Câu 1.'" in result.questions[0].notes


def test_options_in_a_table():
    doc = Doc()
    doc.para("Câu 1: Thủ đô của nước ta?")
    doc.table([["A. Hà Nội", ("B. Huế", {"bold": True})], ["C. Sài Gòn", "D. Đà Nẵng"]])
    doc.para("Câu 2: Sông nào dài nhất Việt Nam?")
    doc.table([["A", "Sông Hồng", "B", "Sông Mê Kông"], [("C", {"underline": True}), ("Sông Đồng Nai", {"bold": True}),
                                                          "D", "Sông Đà"]])
    result = parse(doc)
    assert result.errors == []
    assert [question.options for question in result.questions] == [
        ["Hà Nội", "Huế", "Sài Gòn", "Đà Nẵng"], ["Sông Hồng", "Sông Mê Kông", "Sông Đồng Nai", "Sông Đà"]]
    assert keys(result) == [{1}, {2}]


def test_unnumbered_questions_separated_by_blank_paragraphs_are_located_by_paragraph():
    doc = Doc()
    doc.para("BỘ CÂU HỎI TRẮC NGHIỆM")  # a title: not a question
    doc.blank()
    doc.question("Thủ đô của nước ta là thành phố nào?", OPTIONS, {0})  # paragraphs 3-7
    doc.blank()
    doc.question("Cố đô của nước ta là thành phố nào?", OPTIONS, {1})  # paragraphs 9-13
    doc.blank()
    doc.question("Thành phố nào không có biển?", OPTIONS, set())  # paragraphs 15-19
    result = parse(doc)
    assert result.errors == [("đoạn 15", "không thấy đáp án được đánh dấu (chữ đậm)")]
    assert [question.line for question in result.questions] == ["đoạn 3", "đoạn 9"]
    assert [question.number for question in result.questions] == [None, None]
    assert keys(result) == [{0}, {1}]
    assert "bỏ qua 1 đoạn trước câu hỏi đầu tiên" in result.notes


def test_unnumbered_question_with_a_blank_paragraph_before_its_options():
    doc = Doc()
    doc.para("Thủ đô của nước ta là thành phố nào?")
    doc.blank()
    doc.question("", OPTIONS, {0})
    doc.document.paragraphs[2].text = ""  # the empty stem paragraph question() wrote: blank too
    doc.blank()
    doc.question("Cố đô của nước ta là thành phố nào?", OPTIONS, {1})
    result = parse(doc)
    assert result.errors == [] and keys(result) == [{0}, {1}]
    assert [question.text for question in result.questions] == [
        "Thủ đô của nước ta là thành phố nào?", "Cố đô của nước ta là thành phố nào?"]


def test_aiken_typed_into_word_with_level_prefixes():
    doc = Doc()
    for number, answer in ((1, "B"), (2, "D"), (3, "A")):
        doc.para(f"[1] Câu hỏi Aiken số {number}?")
        for index, option in enumerate(OPTIONS):
            doc.para(f"{'ABCD'[index]}. {option}")
        doc.para(f"ANSWER: {answer}")
    result = parse(doc)
    assert result.errors == []
    assert keys(result) == [{1}, {3}, {0}]
    assert [question.text for question in result.questions][0] == "Câu hỏi Aiken số 1?"
    # "[1]" on every question is a level, not a number: located by paragraph.
    assert [question.line for question in result.questions] == ["đoạn 1", "đoạn 7", "đoạn 13"]
    assert result.questions[0].marking == "dòng ANSWER:"
    assert "đã bỏ số thứ tự '[1]'" in result.questions[0].notes


def test_answer_lines_extras_topics_and_a_label_without_space():
    doc = Doc()
    doc.heading("Lịch sử")
    doc.para("Câu 1: Bác Hồ đọc Tuyên ngôn độc lập lúc mấy giờ?")
    doc.para("A.12 giờ")
    doc.para("B. 14 giờ")
    doc.para("Đáp án: B")
    doc.para("Giải thích: Chiều 2/9/1945.")
    doc.para("Nguồn: Tuyên ngôn độc lập")
    doc.para("Độ khó: khó")
    doc.para("Chủ đề: Địa lý")
    doc.para("Câu 2: Những tỉnh nào giáp Trung Quốc?")
    for index, option in enumerate(["Hà Giang", "Cao Bằng", "Cà Mau", "Lào Cai"]):
        doc.para(f"{'ABCD'[index]}) {option}")
    doc.para("Đáp án: A, B, D")
    result = parse(doc)
    assert result.errors == []
    first, second = result.questions
    assert (first.topic, first.options, first.correct, first.explanation, first.source, first.difficulty) == (
        "Lịch sử", ["12 giờ", "14 giờ"], {1}, "Chiều 2/9/1945.", "Tuyên ngôn độc lập", 3)
    assert "phương án A viết liền sau nhãn ('A.12 giờ'): đã đọc là '12 giờ'" in first.notes
    assert first.marking == "dòng Đáp án:"
    assert (second.topic, second.correct, second.multiple) == ("Địa lý", {0, 1, 3}, True)


def test_a_stray_line_is_reported_at_its_question_and_paragraph():
    doc = numbered(count=2)
    doc.para("Câu 3: Câu hỏi?")
    doc.para(("A. Có", {"bold": True}))
    doc.para("B. Không")
    doc.para("dòng lạ ở đây")
    result = parse(doc)
    assert result.errors == [("Câu 3", "đoạn 14 'dòng lạ ở đây' không phải phương án (A. …), dòng Đáp án: "
                                       "hay câu hỏi mới")]


def test_options_out_of_order_are_reported():
    doc = Doc()
    doc.para("Câu 1: Câu hỏi?")
    doc.para(("A. Có", {"bold": True}))
    doc.para("C. Không")
    result = parse(doc)
    assert ("Câu 1", "đoạn 3: phương án C không đúng thứ tự (sau A phải là B)") in result.errors


def test_soft_line_breaks_split_options():
    doc = Doc()
    doc.para("Câu 1: Thủ đô?", "\n", "A. Hà Nội", "\n", ("B. Huế", {"bold": True}))
    result = parse(doc)
    assert result.errors == [] and result.questions[0].options == ["Hà Nội", "Huế"] and keys(result) == [{1}]


def test_automatic_list_numbers_are_read_as_word_prints_them():
    document = docx.Document()
    for number in range(1, 3):
        document.add_paragraph(f"Câu hỏi số {number}?", style="List Number")
        for index, option in enumerate(OPTIONS[:2]):
            document.add_paragraph(f"{'AB'[index]}. {option}").runs[0].bold = index == 1
    doc = Doc()
    doc.document = document
    result = parse(doc)
    assert result.errors == []
    assert [question.line for question in result.questions] == ["Câu 1", "Câu 2"]
    assert result.questions[1].text == "Câu hỏi số 2?" and keys(result) == [{1}, {1}]


def test_an_answer_table_inside_the_file_decides_the_keys():
    doc = Doc()
    for number in range(1, 4):
        doc.question(f"Câu {number}: Câu hỏi {number}?", OPTIONS, ())
    doc.para("ĐÁP ÁN")
    doc.table([["Câu", "Đáp án"], ["1", "C"], ["2", "A"], ["3", "D"]])
    result = parse(doc)
    assert result.errors == [] and keys(result) == [{2}, {0}, {3}]
    assert result.questions[0].marking == "tệp đáp án"
    assert "Đáp án lấy từ bảng đáp án ở 3/3 câu" in result.notes


# --- pictures ----------------------------------------------------------------------------------


def test_pictures_in_a_question_and_what_cannot_be_imported():
    red, blue = png(colour=(255, 0, 0)), png(colour=(0, 0, 255))
    doc = Doc()
    doc.para("Câu 1: Đây là di tích nào?")
    doc.picture(red)
    doc.para(("A. Cột cờ Lũng Cú", {"bold": True}))
    doc.para("B. Dinh họ Vương")
    doc.picture(blue, doc.para("Câu 2: Hai hình: hình nào là bản đồ?"))
    doc.picture(red)
    doc.para("A. Hình 1")
    doc.picture(blue, doc.para(("B. Hình 2", {"bold": True})))
    result = parse(doc)
    assert result.errors == []
    first, second = result.questions
    assert first.picture == red and first.picture_name.endswith(".png") and first.notes == ["đã bỏ số thứ tự 'Câu 1:'"]
    assert second.picture == blue
    assert any(note.startswith("không nhập được hình") and "mỗi câu chỉ có một hình" in note for note in second.notes)
    assert any(note.startswith("không nhập được hình") and "ở phương án B" in note for note in second.notes)


# --- what a tester found with real-shaped files (QA of issue 12) ---------------------------------

KEY_TITLES = ["ĐÁP ÁN THAM KHẢO", "ĐÁP ÁN ĐỀ THI", "Đáp án và hướng dẫn chấm", "PHẦN ĐÁP ÁN",
              "Bảng đáp án trắc nghiệm", "III. ĐÁP ÁN", "dap an tham khao", "ĐÁP ÁN", "BẢNG ĐÁP ÁN"]


def unmarked_with_key(title: str, table: list[list[str]], *, blank: bool = False) -> Doc:
    doc = Doc()
    for number in range(1, 4):
        doc.question(f"Câu {number}: Câu hỏi {number}?", OPTIONS, ())
    if blank:
        doc.blank()
    doc.para(title)
    doc.table(table)
    return doc


@pytest.mark.parametrize("title", KEY_TITLES)
@pytest.mark.parametrize("table", [
    [["Câu", "Đáp án"], ["1", "C"], ["2", "A"], ["3", "D"]],
    [["Câu", "1", "2", "3"], ["Đáp án", "C", "A", "D"]],
], ids=["down", "across"])
def test_any_title_naming_the_key_above_the_answer_table_is_skipped(title, table):
    result = parse(unmarked_with_key(title, table))
    assert result.errors == []
    assert keys(result) == [{2}, {0}, {3}]
    assert result.questions[2].options == OPTIONS


def test_a_key_title_after_a_blank_paragraph_is_skipped_too():
    result = parse(unmarked_with_key("ĐÁP ÁN THAM KHẢO", [["Câu", "Đáp án"], ["1", "C"], ["2", "A"], ["3", "D"]],
                                     blank=True))
    assert result.errors == [] and keys(result) == [{2}, {0}, {3}]


def test_a_line_above_the_answer_table_that_is_no_title_is_still_reported():
    result = parse(unmarked_with_key("Ghi chú của tổ ra đề", [["Câu", "Đáp án"], ["1", "C"], ["2", "A"],
                                                              ["3", "D"]]))
    # Reported once, at the question; the key's row for question 3 is not called a stranger.
    assert result.errors == [("Câu 3", "đoạn 16 'Ghi chú của tổ ra đề' không phải phương án (A. …), dòng Đáp án: "
                                       "hay câu hỏi mới")]


def test_the_last_questions_own_answer_line_above_the_table_is_not_a_title():
    doc = unmarked_with_key("Đáp án: B", [["Câu", "Đáp án"], ["1", "C"], ["2", "A"], ["3", "D"]])
    result = parse(doc)
    assert result.errors == [("Câu 3", "đáp án đánh dấu trong tệp câu hỏi (B) khác tệp đáp án (D)")]


QUESTION_TABLE = [
    ["STT", "Nội dung câu hỏi", "A", "B", "C", "D", "Đáp án"],
    ["1", "Đảng Cộng sản Việt Nam ra đời năm nào?", "1925", "1930", "1945", "1954", "B"],
    ["2", "Thủ đô của nước ta là?", "Hà Nội", "Huế", "Sài Gòn", "Cả A và B đều đúng", "A"],
    ["3", "Hiến pháp hiện hành được thông qua năm nào?", "1992", "2001", "2013", "2015", "C"],
]


def test_a_table_with_one_question_a_row_is_read_like_a_spreadsheet():
    doc = Doc()
    doc.para("ĐỀ THI TÌM HIỂU LỊCH SỬ")
    doc.table(QUESTION_TABLE)
    result = parse(doc)
    assert result.errors == []
    assert [question.line for question in result.questions] == ["Câu 1", "Câu 2", "Câu 3"]
    assert [question.number for question in result.questions] == [1, 2, 3]
    assert keys(result) == [{1}, {0}, {2}]
    assert result.questions[1].options == ["Hà Nội", "Huế", "Sài Gòn", "Cả A và B đều đúng"]
    assert result.questions[1].fixed_order is True
    assert result.questions[0].marking == "cột Đáp án của bảng"
    assert "bảng 1: mỗi hàng một câu hỏi, đọc như tệp Excel (cột Đáp án)" in result.notes


def test_a_question_table_reports_each_problem_once_at_its_question():
    rows = [list(row) for row in QUESTION_TABLE]
    rows[2][6] = "Z"
    rows[3][0] = ""  # without a number in every row, rows are located by the table's row
    doc = Doc()
    doc.table(rows)
    result = parse(doc)
    assert result.errors == [("bảng 1 hàng 3", "đáp án 'Z' không hợp lệ: ghi chữ cái A–H, ví dụ A hoặc A,C, "
                                               "hoặc số 1–8")]


def test_an_unnumbered_question_names_the_paragraph_of_its_problem_once():
    doc = Doc()
    doc.para("Thủ đô của nước ta là?")
    doc.para(("A. Hà Nội", {"bold": True}))
    doc.para("C. Huế")
    result = parse(doc)
    assert ("đoạn 3", "phương án C không đúng thứ tự (sau A phải là B)") in result.errors
    assert all("đoạn" not in message for _line, message in result.errors)


def test_picture_notes_say_where_the_picture_is_not_what_word_calls_it():
    red, blue = png(colour=(255, 0, 0)), png(colour=(0, 0, 255))
    doc = Doc()
    doc.picture(blue, doc.para("Câu 1: Hai hình: hình nào là bản đồ?"))
    doc.picture(red)
    doc.para(("A. Hình 1", {"bold": True}))
    doc.picture(blue, doc.para("B. Hình 2"))
    doc.para("Câu 2: Câu không có hình?")
    doc.para("A. Có")
    doc.para(("B. Không", {"bold": True}))
    result = parse(doc)
    assert result.errors == []
    assert result.questions[0].notes == [
        "đã bỏ số thứ tự 'Câu 1:'",
        "không nhập được hình thứ 2 của câu: mỗi câu chỉ có một hình (đã lấy hình thứ 1)",
        "không nhập được hình ở phương án B: chỉ câu hỏi được có hình",
    ]


def test_the_summary_says_the_key_came_from_answer_lines():
    doc = Doc()
    for number, answer in ((1, "B"), (2, "A")):
        doc.para(f"Câu {number}: Câu hỏi {number}?")
        doc.para("A. Có")
        doc.para("B. Không")
        doc.para(f"Đáp án: {answer}")
    doc.para("Câu 3: Câu hỏi 3?")
    doc.para("A. Có")
    doc.para("B. Không")
    doc.para("ANSWER: A")
    result = parse(doc)
    assert result.errors == []
    assert result.notes == ["Đáp án lấy từ dòng 'Đáp án:' ở 2/3 câu", "Đáp án lấy từ dòng 'ANSWER:' ở 1/3 câu"]


def test_a_key_table_answering_every_question_leaves_no_note_that_marks_are_missing():
    result = parse(unmarked_with_key("ĐÁP ÁN", [["Câu", "Đáp án"], ["1", "C"], ["2", "A"], ["3", "D"]]))
    assert result.notes == ["Đáp án lấy từ bảng đáp án ở 3/3 câu"]


# --- files that are not Word banks ---------------------------------------------------------------


def test_old_word_and_damaged_files_are_refused_on_line_1():
    old = parse_file("cu.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert old.errors == [(1, "đây là tệp Word 97–2003 (.doc); hãy mở bằng Word và lưu thành .docx")]
    damaged = parse_file("hong.docx", numbered().bytes()[:3000])
    assert [line for line, _message in damaged.errors] == [1]
    assert damaged.errors[0][1].startswith("không đọc được tệp Word .docx")


def test_a_document_without_questions_says_how_to_write_one():
    doc = Doc()
    doc.para("Chỉ có một dòng chữ.")
    result = parse(doc)
    assert result.questions == []
    assert result.errors[0][1].startswith("không thấy câu hỏi nào")


def test_cli_imports_a_word_bank(runner, app, tmp_path):
    path = tmp_path / "thu-do.docx"
    path.write_bytes(numbered({"color": RED}).bytes())
    output = runner.invoke(args=["banks", "import", str(path)])
    assert output.exit_code == 0, output.output
    assert "Đã nhập 4 câu hỏi mới vào ngân hàng thu-do" in output.output
    with app.app_context():
        stored = db.session.scalars(select(Question).order_by(Question.id)).all()
        assert [question.text for question in stored][0] == "Thủ đô số 1 của nước ta là thành phố nào?"
        assert [[option.is_correct for option in question.options].index(True) for question in stored] == [0, 1, 2, 3]


# --- no Word file makes the parser raise ------------------------------------------------------

FRAGMENTS = ["Câu 1: Hỏi?", "Câu 1. Hỏi?", "[1] Hỏi?", "1. Hỏi?", "A. Có", "B) Không", "C.Ba", "a/ bốn", "H. tám",
             "Đáp án: B", "ANSWER: Z", "Đáp án:", "Giải thích: vì", "Độ khó: 9", "Chủ đề: X", "ĐÁP ÁN", "---", "",
             "A. x\tB. y", "A. x    C. y", "Câu", "\t", "Hết", "ĐÁP ÁN THAM KHẢO", "Câu hỏi", "A", "B", "STT"]
STYLES = [{}, {"bold": True}, {"underline": True}, {"color": RED}, {"highlight": WD_COLOR_INDEX.YELLOW}]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(st.one_of(
    st.tuples(st.just("p"), st.lists(st.tuples(st.sampled_from(FRAGMENTS) | st.text(max_size=12),
                                               st.sampled_from(STYLES)), min_size=1, max_size=3)),
    st.tuples(st.just("t"), st.lists(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3), min_size=1,
                                     max_size=3)),
    st.tuples(st.just("pic"), st.none())), max_size=25))
def test_no_word_file_makes_the_parser_raise(blocks):
    doc = Doc()
    for kind, content in blocks:
        if kind == "p":
            doc.para(*[(_printable(text), style) for text, style in content])
        elif kind == "t":
            doc.table([[_printable(cell) for cell in row] for row in content])
        else:
            doc.picture(png())
    result = parse(doc)
    assert result.errors or result.questions
    for line, message in result.errors:
        assert message and (isinstance(line, int) or line.startswith(("Câu ", "đoạn ", "bảng ")))
        # A location is said once: never "đoạn 1: đoạn 5: …".
        assert not (str(line).startswith("đoạn ") and message.startswith("đoạn ")), (line, message)
    if not result.errors:
        assert all(check_question(question) == [] for question in result.questions)


def _printable(text: str) -> str:
    # XML cannot carry control characters (python-docx refuses them), nor can Word.
    return "".join(char for char in text if char in "\t" or (char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF))
