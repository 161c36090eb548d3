"""Moodle's own files as Moodle reads them (issue 12, item 7; DESIGN §7 "Moodle weights").

GIFT saved as .txt (Moodle's export extension) is recognised by its content; weights give the key
Moodle would score as fully right, and partial credit is dropped with a note; [html]/[plain]/
[markdown]/[moodle] tags go, HTML becomes plain text; Aiken needs no blank lines between
questions, and "A.12 giờ" is read as an option, as Moodle does. The fixtures in
bank_files/moodle/ are written in the spirit of Moodle's own test files
(question/format/gift/tests/fixtures, question/format/aiken/tests/fixtures).
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quizapp.banks.formats import GIFT_NOTE, parse_file
from quizapp.banks.formats.aiken import MARKING as AIKEN_MARKING
from quizapp.banks.formats.common import DEFAULT_TOPIC
from quizapp.banks.formats.gift import (
    MARKING_EQUALS,
    MARKING_WEIGHTS,
    PARTIAL_MULTIPLE,
    PARTIAL_SINGLE,
    PICTURE_DROPPED,
    html_to_text,
)
from quizapp.text import clean_text
from tests.banks.test_bank_properties import SETTINGS, Model, banks, folded, gift_can_carry, gift_escape

MOODLE = Path(__file__).parent / "bank_files" / "moodle"


def summary(question) -> tuple:
    return (question.topic, question.text, question.options, question.correct, question.multiple)


def only_question(text: str, filename: str = "x.gift"):
    result = parse_file(filename, text.encode())
    assert result.errors == []
    assert len(result.questions) == 1
    return result.questions[0]


def errors_of(text: str, filename: str = "x.gift") -> list[tuple[int, str]]:
    return parse_file(filename, text.encode()).sorted_errors()


# --- Moodle's GIFT export, saved as .txt ----------------------------------------------------------


def test_moodle_gift_export_saved_as_txt_is_read_as_gift():
    result = parse_file("cau-hoi-moodle.txt", (MOODLE / "gift_export.txt").read_bytes())
    assert result.errors == []
    assert result.notes[0] == GIFT_NOTE and "nhận dạng là GIFT" in GIFT_NOTE
    assert "đã chuyển HTML của Moodle thành văn bản thường ở 5 câu" in result.notes
    history, law = "Default for Cuộc thi 2024/Lịch sử".rsplit("/", 1)[-1], "Pháp luật"
    assert [summary(question) for question in result.questions] == [
        (history, "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập vào ngày nào?",
         ["19/8/1945", "2/9/1945", "23/9/1945"], {1}, False),
        # One "=" makes it single-answer, as in Moodle: the 50% option is a wrong one here.
        (history, "Thời gian làm bài: 20 phút; được nộp bài sớm? Chọn một.",
         ["Chỉ khi làm hết", "Được", "Không được"], {1}, False),
        (history, "Ba trụ cột của chuyển đổi số quốc gia là gì?",
         ["Chính phủ số", "Kinh tế số", "Xã hội số", "Quốc phòng số"], {0, 1, 2}, True),
        # [plain] is shown as typed, in Moodle too; the [html] option loses its tags, and its
        # escaped "&lt;i&gt;" becomes the characters "<i>".
        (law, "Trong văn bản, ký hiệu <i> nghĩa là gì?", ["Thẻ in nghiêng của HTML <i>", "Không có nghĩa gì"],
         {0}, False),
        (law, "Tỉnh nào có đường biên giới dài nhất?", ["Nghệ An", "Hà Giang", "Lạng Sơn"], {0}, False),
        (law, "Hiến pháp hiện hành được thông qua năm nào?", ["1992", "2013"], {1}, False),
        (law, "Cơ quan nào ban hành luật?", ["Chính phủ", "Quốc hội", "Tòa án nhân dân tối cao"], {1}, False),
    ]
    first, partial, weighted, _plain, picture, _markdown, numbered = result.questions
    assert first.explanation == "Ngày 2/9/1945, tại Quảng trường Ba Đình & phát thanh sau đó."
    assert first.notes == []
    assert [question.marking for question in result.questions] == [MARKING_EQUALS] * 2 + [MARKING_WEIGHTS] + [
        MARKING_EQUALS] * 4
    assert partial.notes == [PARTIAL_SINGLE]
    assert weighted.notes == [PARTIAL_MULTIPLE]
    assert picture.notes == [PICTURE_DROPPED]
    assert numbered.notes == ["đã bỏ số thứ tự 'Câu 7:'",
                              "đã bỏ nhãn phương án (A., B., …) đứng đầu nội dung phương án"]
    assert not any("<" in option or "&" in option for question in result.questions[:3] for option in question.options)


def test_moodle_gift_export_saved_as_txt_imports_from_the_command_line(app, runner):
    result = runner.invoke(args=["banks", "import", str(MOODLE / "gift_export.txt"), "--bank", "moodle"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 7 câu hỏi mới vào ngân hàng moodle" in result.output


# --- which format a .txt is -----------------------------------------------------------------------

AIKEN = "Thủ đô của nước ta?\nA. Hà Nội\nB. Huế\nANSWER: A\n"


@pytest.mark.parametrize(("text", "gift"), [
    pytest.param("::Thủ đô:: Thủ đô của nước ta? {=Hà Nội ~Huế}\n", True, id="title"),
    pytest.param("Thủ đô của nước ta? {\n  =Hà Nội\n  ~Huế\n}\n", True, id="answer block on its own lines"),
    pytest.param("$CATEGORY: Địa lý\n\nThủ đô của nước ta? {~%100%Hà Nội ~Huế}\n", True, id="category"),
    pytest.param("// question: 12  name: x\nThủ đô của nước ta? {~%100%Hà Nội ~%0%Huế}\n", True, id="moodle comment"),
    pytest.param(AIKEN, False, id="aiken"),
    # One Aiken question that happens to quote GIFT among several: still Aiken.
    pytest.param(AIKEN + "\nKý hiệu {=x} là gì?\nA. Công thức\nB. Không gì\nANSWER: A\n\n"
                 + AIKEN.replace("?", " hôm nay?"), False, id="aiken quoting gift"),
])
def test_a_txt_file_is_gift_when_its_content_is(text, gift):
    result = parse_file("ngan-hang.txt", text.encode())
    assert result.errors == []
    assert (GIFT_NOTE in result.notes) is gift


def test_gift_in_a_txt_reports_gift_errors_not_aiken_ones():
    text = "::Câu 1:: Trái Đất quay quanh Mặt Trời.{TRUE}\n\n::Câu 2:: Thủ đô? {=Hà Nội ~Huế}\n"
    assert errors_of(text, "xuat-tu-moodle.txt") == [(1, "câu đúng/sai ({T} hoặc {F}) không được hỗ trợ")]


def test_a_txt_that_is_neither_is_read_as_aiken():
    assert errors_of("Chỉ là một dòng chữ.\n", "x.txt") == [(1, "thiếu dòng 'ANSWER: X' sau các phương án")]


# --- weights, as Moodle decides single or multiple ------------------------------------------------


@pytest.mark.parametrize(("answers", "correct", "multiple", "notes"), [
    pytest.param("=đủ ~sai ~khác", {0}, False, [], id="one equals"),
    # The issue's example: Moodle makes it single-answer with key "đủ"; half credit is dropped.
    pytest.param("~sai ~%50%nửa =đủ", {2}, False, [PARTIAL_SINGLE], id="equals with a partial weight"),
    pytest.param("=đủ ~%-50%sai ~khác", {0}, False, [PARTIAL_SINGLE], id="equals with a negative weight"),
    pytest.param("~%50%một ~%50%hai ~%-100%ba", {0, 1}, True, [PARTIAL_MULTIPLE], id="positive weights"),
    # No "=": Moodle's multiple-answer question, even with one option at 100%.
    pytest.param("~%100%một ~hai ~%-100%ba", {0}, True, [PARTIAL_MULTIPLE], id="one hundred without equals"),
    pytest.param("~%33,3%một ~%66,7%hai ~ba", {0, 1}, True, [PARTIAL_MULTIPLE], id="decimal comma"),
])
def test_weights_give_the_key_moodle_scores_as_fully_right(answers, correct, multiple, notes):
    question = only_question(f"Câu hỏi? {{{answers}}}\n")
    assert (question.correct, question.multiple, question.notes) == (correct, multiple, notes)
    assert all("%" not in option for option in question.options)


@pytest.mark.parametrize(("answers", "message"), [
    pytest.param("\n=một\n~%100%hai\n~ba", "nhiều đáp án '='", id="two full answers in a single one"),
    pytest.param("\n~%-100%một\n~%0%hai", "thiếu đáp án đúng", id="no positive weight"),
    pytest.param("\n~một\n=%50%hai", "trọng số chỉ viết sau dấu ~", id="weight after equals"),
    pytest.param("\n~một\n~%-150%hai\n=ba", "trọng số %-150% không hợp lệ", id="weight out of range"),
])
def test_weights_moodle_cannot_score_wholly_are_refused_at_their_line(answers, message):
    errors = errors_of(f"Câu đúng.{{=a ~b}}\n\nCâu hỏi? {{{answers}\n}}\n")
    lines = {"thiếu đáp án đúng": 3}
    assert len(errors) == 1 and message in errors[0][1], errors
    assert errors[0][0] == lines.get(message, 5)


# --- format tags, HTML and escapes ----------------------------------------------------------------


@pytest.mark.parametrize("tag", ["[plain]", "[html]", "[markdown]", "[moodle]", "[HTML]"])
def test_format_tags_are_removed(tag):
    question = only_question(f"::t::{tag}Thủ đô của nước ta? {{={tag}Hà Nội ~Huế ####{tag}Từ năm 1010.}}\n")
    assert (question.text, question.options, question.explanation) == (
        "Thủ đô của nước ta?", ["Hà Nội", "Huế"], "Từ năm 1010.")


def test_a_bracketed_number_is_no_format_tag_but_numbering():
    question = only_question("[1] Thủ đô của nước ta? {=Hà Nội ~Huế}\n")
    assert (question.text, question.notes) == ("Thủ đô của nước ta?", ["đã bỏ số thứ tự '[1]'"])


@pytest.mark.parametrize(("raw", "text"), [
    ("<p>Dòng một</p><p>Dòng hai</p>", "Dòng một Dòng hai"),
    ("Dòng một<br>Dòng hai<br />ba", "Dòng một Dòng hai ba"),
    ("<i>Nghiêng</i> và <b>đậm</b>, <span style=\"color: red\">đỏ</span>", "Nghiêng và đậm, đỏ"),
    ("<strong>Hồ&nbsp;Chí&nbsp;Minh</strong> &amp; Đảng &quot;ta&quot; &#273;&#x1EA1;i",
     "Hồ Chí Minh & Đảng \"ta\" đại"),
    ("&lt;i&gt; là thẻ", "<i> là thẻ"),
    ("<ul><li>một</li><li>hai</li></ul>", "một hai"),
    ("<!-- ghi chú --><p>Nội dung</p>", "Nội dung"),
    ("<p dir=\"ltr\" style=\"text-align: left;\">Căn trái</p>", "Căn trái"),
    # Not markup: a comparison, a made-up tag, an ampersand in a name, an entity without ';'.
    ("x < 5 và y > 3", "x < 5 và y > 3"),
    ("a<b và c>d", "a<b và c>d"),
    ("<Hà Nội>", "<Hà Nội>"),
    ("R&D và AT&T, &copy không dấu chấm phẩy", "R&D và AT&T, &copy không dấu chấm phẩy"),
])
def test_html_becomes_the_plain_text_a_taker_reads(raw, text):
    assert clean_text(html_to_text(raw).text) == text


def test_html_is_converted_in_untagged_gift_text_and_kept_in_plain_text():
    untagged = only_question("Chọn <i>một</i> đáp án? {=<b>Hà Nội</b> ~Huế}\n")
    plain = only_question("[plain]Chọn <i>một</i> đáp án? {=<b>Hà Nội</b> ~Huế}\n")
    assert (untagged.text, untagged.options) == ("Chọn một đáp án?", ["Hà Nội", "Huế"])
    assert (plain.text, plain.options) == ("Chọn <i>một</i> đáp án?", ["<b>Hà Nội</b>", "Huế"])


def test_gift_escapes_read_as_moodle_reads_them():
    question = only_question(r"::Ký hiệu\: 1::Giờ\: 7\:30, dấu \= \~ \# \{ngoặc\} \\ và\ndòng mới? "
                             r"{=a\=b ~c\~d ~e\#f}" "\n")
    assert question.text == r"Giờ: 7:30, dấu = ~ # {ngoặc} \ và dòng mới?"
    assert question.options == ["a=b", "c~d", "e#f"]


@pytest.mark.parametrize(("category", "topic"), [
    ("$course$/top/Default for Cuộc thi/Lịch sử", "Lịch sử"),
    ("$course$/top", DEFAULT_TOPIC),
    ("$module$/top/Default for Tuần 1/", "Default for Tuần 1"),
    ("Địa lý", "Địa lý"),
])
def test_categories_are_topics(category, topic):
    assert only_question(f"$CATEGORY: {category}\n\nThủ đô? {{=Hà Nội ~Huế}}\n").topic == topic


def test_gift_options_typed_with_labels_in_order_lose_them():
    labelled = only_question("Thủ đô? {~A. Huế =B) Hà Nội ~C/ Đà Nẵng}\n")
    unlabelled = only_question("Chọn chữ? {=A. Lincoln ~Washington}\n")
    assert labelled.options == ["Huế", "Hà Nội", "Đà Nẵng"] and labelled.correct == {1}
    assert unlabelled.options == ["A. Lincoln", "Washington"]


@pytest.mark.parametrize("markup", [
    pytest.param("<!--" * 250_000, id="unclosed comments"),
    pytest.param("<style>" * 150_000, id="unclosed styles"),
    pytest.param("<p " + "a " * 500_000, id="a tag with endless attributes"),
    pytest.param('<p a="' * 150_000, id="unclosed quotes"),
])
def test_html_in_a_megabyte_question_is_read_in_linear_time(markup):
    started = time.perf_counter()
    result = parse_file("x.gift", f"Câu hỏi {markup}? {{=a ~b}}\n".encode())
    # A few seconds on a busy machine at most; a search that rescans the text for each opening
    # would take many minutes.
    assert time.perf_counter() - started < 20
    length = len(clean_text(f"Câu hỏi {html_to_text(markup).text}?"))
    assert [message for _line, message in result.errors] == [f"câu hỏi dài {length} ký tự, tối đa 2000"]


# --- Aiken as Moodle reads it ---------------------------------------------------------------------


def test_aiken_without_blank_lines_labels_without_a_space_and_numbered_stems():
    result = parse_file("aiken.txt", (MOODLE / "aiken_compact.txt").read_bytes())
    assert result.errors == []
    assert GIFT_NOTE not in result.notes
    assert [(question.line, question.text, question.options, question.correct) for question in result.questions] == [
        (1, "Thủ đô của nước ta là thành phố nào?", ["Hà Nội", "Huế", "Thành phố Hồ Chí Minh"], {0}),
        (6, "Buổi chào cờ đầu tuần bắt đầu lúc mấy giờ?", ["7 giờ", "12 giờ", "17 giờ"], {0}),
        # Aiken text is plain in Moodle (it escapes it): what looks like HTML stays as typed.
        (11, 'Moodle đọc được đoạn văn có <html class="cool"> & hình ảnh không?', ["Có", "Không"], {0}),
        # A stem may start like a label: no question is open, so it is a stem.
        (15, "A.I là viết tắt của cụm từ nào?", ["Trí tuệ nhân tạo", "Internet vạn vật"], {0}),
    ]
    assert [question.notes for question in result.questions] == [
        ["đã bỏ số thứ tự 'Câu 1:'"],
        ["đã bỏ số thứ tự '[2]'", "nhãn phương án A., B. không có dấu cách sau; đã đọc như Moodle"],
        [], [],
    ]
    assert {question.marking for question in result.questions} == {AIKEN_MARKING}


def test_aiken_blank_lines_inside_a_question_are_skipped_as_moodle_does():
    text = "Thủ đô của nước ta?\n\nA. Hà Nội\n\nB. Huế\nANSWER: A\n\n\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n"
    result = parse_file("x.txt", text.encode())
    assert result.errors == []
    assert [(question.line, question.options) for question in result.questions] == [
        (1, ["Hà Nội", "Huế"]), (9, ["Một", "Hai"])]


@pytest.mark.parametrize(("text", "expected"), [
    # A label out of order, spaced or not, is refused at its own line, once.
    pytest.param("Mấy giờ?\nA.10 giờ\nC.12 giờ\nD.14 giờ\nANSWER: A\n", [(3, "phương án C sai thứ tự: cần B")],
                 id="unspaced label out of order"),
    pytest.param("Mấy giờ?\nA.10 giờ\nb.12 giờ\nANSWER: A\n", [(3, "nhãn phương án phải là chữ in hoa")],
                 id="unspaced lower-case label"),
    # "V.I. Lênin" right after a stem is the stem's second line, not an option V.
    pytest.param("Ai là tác giả cuốn sách\nV.I. Lênin viết năm nào?\nA. 1902\nB. 1917\nANSWER: A\n",
                 [(2, "câu hỏi phải nằm trên một dòng")], id="stem over two lines"),
    # Moodle's "question started but not finished": reported once, and the next question is read.
    pytest.param("Câu một?\nA. Một\nB. Hai\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n",
                 [(4, "câu ở dòng 1 thiếu dòng ANSWER:")], id="missing answer line, no blank lines"),
    pytest.param("Câu một?\nA. Một\nB. Hai\n\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n",
                 [(1, "thiếu dòng 'ANSWER: X'")], id="missing answer line, then a blank line"),
    # A stray line among the options: one error at that line, none for the options after it.
    pytest.param("Câu một?\nA. Một\nghi chú lạc\nB. Hai\nANSWER: A\n", [(3, "câu ở dòng 1 thiếu dòng ANSWER:")],
                 id="stray line among options"),
    pytest.param("Câu một?\nA. Một\nB. Hai\nANSWER: A\nE. Năm\n", [(5, "không thuộc câu hỏi nào")],
                 id="option after the answer line"),
    # A misspelt or lower-case answer line: one error there, and the next question is read.
    pytest.param("Câu một?\nA. Một\nB. Hai\nANSWR: A\n\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n",
                 [(4, "phải viết đúng 'ANSWER: X'")], id="misspelt answer line"),
    pytest.param("Câu một?\nA. Một\nB. Hai\nANS: A\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n",
                 [(4, "phải viết đúng 'ANSWER: X'")], id="abbreviated answer line, no blank line"),
    pytest.param("Câu một?\nA. Một\nB. Hai\nanswer: A\n\nCâu hai?\nA. Một\nB. Hai\nANSWER: B\n",
                 [(4, "phải viết đúng 'ANSWER: X'")], id="lower-case answer line, then a blank line"),
])
def test_aiken_lines_moodle_would_misread_are_refused_at_their_line(text, expected):
    errors = errors_of(text, "x.txt")
    assert len(errors) == len(expected), errors
    for (line, message), (expected_line, phrase) in zip(errors, expected, strict=True):
        assert (line, phrase in message) == (expected_line, True), errors


# --- property: GIFT written as Moodle exports it reads back the same ------------------------------

WEIGHTS_WRONG = ["", "%0%", "%-100%", "%-50%", "%-33.33333%"]
WEIGHTS_PARTIAL = ["%50%", "%33.33333%", "%10%"]
FORMATS = ["html", "moodle", "markdown", "plain"]


def moodle_text(text: str, fmt: str, inherited: str | None) -> str:
    """``text`` as Moodle writes it in format ``fmt``: HTML-escaped (and in a paragraph for
    [html]) unless plain, GIFT-escaped, tagged when its format is not the one it inherits."""
    body = text if fmt == "plain" else html.escape(text)
    if fmt == "html":
        body = f"<p>{body}</p>"
    return ("" if fmt == inherited else f"[{fmt}]") + gift_escape(body)


def write_moodle_gift(bank: list[Model], draw) -> bytes:
    lines = []
    for number, model in enumerate(bank, start=1):
        path = f"$course$/top/Default for Khóa học/{model.topic}" if model.topic else "$course$/top"
        lines += [f"// question: 0  name: Switch category to {path}", f"$CATEGORY: {path}", "", ""]
        lines.append(f"// question: {number}  name: Câu {number}")
        # An untagged stem is in Moodle's own format.
        fmt, tagged = draw(st.sampled_from(FORMATS)), draw(st.booleans())
        lines.append(f"::Câu {number}::{moodle_text(model.text, fmt, None if tagged else fmt)}{{")
        for index, option in enumerate(model.options):
            if model.multiple:
                weights = ["%100%", *WEIGHTS_PARTIAL] if index in model.correct else WEIGHTS_WRONG
                marker = "~" + draw(st.sampled_from(weights))
            else:
                marker = "=" if index in model.correct else "~" + draw(st.sampled_from(WEIGHTS_WRONG + WEIGHTS_PARTIAL))
            option_text = moodle_text(option, draw(st.sampled_from(FORMATS)), fmt)
            lines.append(f"\t{marker}{option_text}#{gift_escape('phản hồi')}")
        if model.explanation:
            lines.append(f"\t####{moodle_text(model.explanation, fmt, fmt)}")
        lines += ["}", ""]
    return "\n".join(lines).encode("utf-8")


def moodle_can_carry(model: Model) -> bool:
    texts = [model.text, *model.options, model.explanation or ""]
    return (gift_can_carry(model, titled=True)
            and not any(clean_text(text).startswith(("[html]", "[plain]", "[moodle]", "[markdown]")) for text in texts)
            and folded(model.topic or "x") != "top")


@SETTINGS
@given(bank=banks(), data=st.data())
def test_gift_written_as_moodle_exports_it_reads_back_the_same(bank, data):
    assume(all(moodle_can_carry(model) for model in bank))
    result = parse_file("xuat-tu-moodle.txt", write_moodle_gift(bank, data.draw))
    assert result.errors == []
    assert GIFT_NOTE in result.notes
    # Source and difficulty are this project's comments, which Moodle does not write.
    assert [(q.topic, q.text, q.options, q.correct, q.multiple, q.explanation) for q in result.questions] == [
        model.expected()[:6] for model in bank]
