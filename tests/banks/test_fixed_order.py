"""Options that name other options keep their order: detected on import by Vietnamese patterns,
stored per question and per revision, editable on the question page, honoured by the draw,
and carried by ``banks export`` in a ``Giữ thứ tự`` column that the importer reads back."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quizapp.banks.formats import parse_file
from quizapp.banks.formats.order import names_other_options, option_naming_others
from quizapp.banks.models import Bank, Question, QuestionVersion
from quizapp.extensions import db
from tests.attempt_support import Question as BankQuestion
from tests.attempt_support import install_clock, one_round, sign_up
from tests.conftest import Accounts, csrf_token

# Written as real Vietnamese banks write them (the ones in issue 12 first), with and without
# marks, with trailing punctuation and odd case.
NAMING_OTHERS = [
    "Tất cả các ý trên", "Tất cả các đáp án trên", "Cả A và B đều đúng", "Cả 2 đáp án A và B", "Cả A, B, C",
    "A và B đúng", "Không có đáp án nào đúng", "Cả ba phương án trên", "Các phương án trên đều sai",
    "Đáp án A và C", "Tất cả các phương án trên.", "TẤT CẢ CÁC Ý TRÊN", "Tat ca cac y tren", "Cả a và b.",
    "Tất cả đều đúng", "Tất cả đều sai", "Cả hai đều sai", "Cả 3 phương án đều đúng", "Cả hai", "Tất cả",
    "Không phải các đáp án trên", "Cả hai trường hợp nêu trên", "Các ý kiến trên đều đúng",
    "A, B, C đều đúng", "B và C", "A hoặc C", "Phương án A và B đúng", "Ý a và c đúng", "Chỉ có đáp án A đúng",
    "Không phương án nào", "Không có câu trả lời nào đúng", "Không có ý nào đúng cả", "Cả 1 và 2",
    "Đáp án 1, 3 đúng", "All of the above", "None of the above", "Both A and B",
]
ORDINARY = [
    "Trên biển Đông", "Trên 18 tuổi", "Cầu trên sông Hàn", "Khu vực trên cao", "Tất cả công dân Việt Nam",
    "Tất cả các tỉnh, thành phố", "Cả nước", "Cả năm", "Cả hai miền Nam Bắc", "Không có quy định",
    "Không có trường hợp nào", "Đáp án khác", "Vitamin A và C", "Nhóm máu A và B", "Vùng A và vùng B",
    "Hạng A1 và A2", "Điều 5 và Điều 6", "Khoản 1 và 2", "1 và 2", "Ý chí và nghị lực", "Chỉ thị 05-CT/TW",
    "A", "Đúng", "Sai", "Quốc hội", "Chính phủ và Quốc hội", "Mặt trận Tổ quốc Việt Nam và các đoàn thể",
    "Từ 16 tuổi trở lên", "2/9/1945", "Hồ Chí Minh", "",
]


@pytest.mark.parametrize("option", NAMING_OTHERS)
def test_an_option_naming_others_is_recognised(option):
    assert names_other_options(option)


@pytest.mark.parametrize("option", ORDINARY)
def test_an_ordinary_option_is_not(option):
    assert not names_other_options(option)


def test_the_first_option_naming_others_is_the_one_named():
    assert option_naming_others(["Hà Nội", "Huế", "Cả A và B", "Tất cả các ý trên"]) == 2
    assert option_naming_others(["Hà Nội", "Huế"]) is None


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def test_a_parsed_question_naming_others_keeps_its_order_with_a_note():
    result = parse_file("bank.csv", csv_bytes([
        ["Câu hỏi", "A", "B", "C", "D", "Đáp án"],
        ["Nhiệm vụ của Đoàn là gì?", "Học tập", "Rèn luyện", "Lao động", "Tất cả các ý trên", "D"],
        ["Thủ đô của Việt Nam?", "Hà Nội", "Huế", "Đà Nẵng", "Sài Gòn", "A"],
    ]))
    assert result.errors == []
    kept, shuffled = result.questions
    assert kept.fixed_order is True and shuffled.fixed_order is False
    assert any("giữ nguyên thứ tự" in note and "phương án D" in note for note in kept.notes)
    assert shuffled.notes == []


def test_the_files_own_column_decides_over_the_patterns():
    result = parse_file("bank.csv", csv_bytes([
        ["Câu hỏi", "A", "B", "C", "Đáp án", "Giữ thứ tự"],
        ["Câu có phương án nhắc đến phương án khác?", "Một", "Hai", "Cả A và B", "C", ""],
        ["Câu thường nhưng tệp muốn giữ thứ tự?", "Một", "Hai", "Ba", "A", "x"],
        ["Câu ghi sai cột giữ thứ tự?", "Một", "Hai", "Ba", "A", "có lẽ"],
    ]))
    assert result.errors == [(4, "cột Giữ thứ tự 'có lẽ': ghi x (giữ nguyên thứ tự phương án) hoặc để trống")]
    assert [question.fixed_order for question in result.questions] == [False, True]


# --- stored, drawn, edited ---------------------------------------------------------------------

ALL_OF_THEM = BankQuestion("Đoàn viên có nhiệm vụ gì?", ("Học tập", "Rèn luyện", "Lao động", "Tất cả các ý trên"),
                           "D")
ORDINARY_QUESTION = BankQuestion("Thủ đô của Việt Nam là thành phố nào?", ("Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ"),
                                 "A")


def question_row(app, text: str) -> Question:
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.text == text))
        db.session.expunge(question)
        return question


def test_the_draw_never_shuffles_a_question_that_keeps_its_order(make_app, tmp_path):
    from tests.conftest import GENEROUS_LIMITS

    app = make_app(**GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "thu-tu", questions=[ALL_OF_THEM, ORDINARY_QUESTION], max_attempts=None,
                         review="after_submit", practice=True)
    assert question_row(app, ALL_OF_THEM.text).fixed_order is True
    assert question_row(app, ORDINARY_QUESTION.text).fixed_order is False
    taker = sign_up(app)
    orders: dict[str, set[tuple[str, ...]]] = {ALL_OF_THEM.text: set(), ORDINARY_QUESTION.text: set()}
    for _ in range(30):
        attempt = taker.started(round_id)
        for question in attempt["questions"]:
            orders[question["text"]].add(tuple(option["text"] for option in question["options"]))
        assert taker.submit(attempt["id"]).status_code == 200
    assert orders[ALL_OF_THEM.text] == {ALL_OF_THEM.options}
    # The ordinary question is still shuffled: 30 draws of 24 orders give more than one.
    assert len(orders[ORDINARY_QUESTION.text]) > 1


def order_box(page: str) -> str:
    [tag] = re.findall(r'<input[^>]*name="fixed_order"[^>]*>', page)
    return "ticked" if re.search(r"\bchecked\b", tag) else "unticked"


def test_the_question_page_shows_and_changes_the_order_flag_as_a_new_revision(app, tmp_path):
    one_round(app, tmp_path, "sua", questions=[ALL_OF_THEM, ORDINARY_QUESTION])
    question = question_row(app, ORDINARY_QUESTION.text)
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    url = f"/banks/bank-sua/questions/{question.id}"
    page = admin.get(url).get_data(as_text=True)
    assert order_box(page) == "unticked" and "Giữ nguyên thứ tự phương án" in page
    assert 'id="order-hint"' not in page
    fixed = question_row(app, ALL_OF_THEM.text)
    fixed_page = admin.get(f"/banks/bank-sua/questions/{fixed.id}").get_data(as_text=True)
    assert order_box(fixed_page) == "ticked"
    assert 'id="order-hint"' in fixed_page and "Phương án D nhắc đến" in fixed_page

    form = {"topic": "Chung", "text": ORDINARY_QUESTION.text, "correct": ["A"], "fixed_order": "y",
            "csrf_token": csrf_token(admin),
            **{f"option_{letter}": text for letter, text in zip("abcd", ORDINARY_QUESTION.options, strict=True)}}
    assert admin.post(url, data=form).status_code == 302
    edited = question_row(app, ORDINARY_QUESTION.text)
    assert edited.fixed_order is True and edited.revision == 2
    with app.app_context():
        versions = db.session.execute(select(QuestionVersion.revision, QuestionVersion.fixed_order)
                                      .where(QuestionVersion.question_id == question.id)
                                      .order_by(QuestionVersion.revision)).all()
    assert [tuple(row) for row in versions] == [(1, False), (2, True)]

    form.pop("fixed_order")
    assert admin.post(url, data=form).status_code == 302
    assert question_row(app, ORDINARY_QUESTION.text).fixed_order is False


def test_export_writes_the_flag_and_it_imports_back(app, runner, tmp_path):
    one_round(app, tmp_path, "xuat", questions=[ALL_OF_THEM, ORDINARY_QUESTION])
    # The organiser keeps the order of the ordinary one too, and lets the detected one shuffle.
    with app.app_context():
        for question in db.session.scalars(select(Question)):
            question.fixed_order = not question.fixed_order
        db.session.commit()
    exported = tmp_path / "xuat.xlsx"
    assert runner.invoke(args=["banks", "export", "bank-xuat", "-o", str(exported)]).exit_code == 0
    sheet = load_workbook(exported).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = rows[0].index("Giữ thứ tự")
    assert {row[1]: row[column] for row in rows[1:]} == {ALL_OF_THEM.text: None, ORDINARY_QUESTION.text: "x"}

    result = runner.invoke(args=["banks", "import", str(exported), "--bank", "ban-sao"])
    assert result.exit_code == 0, result.output
    assert "Giữ nguyên thứ tự phương án ở 1 câu mới." in result.stdout
    with app.app_context():
        bank = db.session.scalar(select(Bank).where(Bank.slug == "ban-sao"))
        flags = dict(db.session.execute(select(Question.text, Question.fixed_order)
                                        .where(Question.bank_id == bank.id)).all())
    assert flags == {ALL_OF_THEM.text: False, ORDINARY_QUESTION.text: True}
