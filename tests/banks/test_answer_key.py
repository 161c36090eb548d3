"""The separate answer key (issue 12 item 2; DESIGN §5 `banks import QUESTIONS --key KEYFILE`).

A key file is a Word table, an .xlsx or a .csv of question number → letter(s); it decides the
answers of a numbered questions file, marks in that file are cross-checked, and numbers found in
one file and not the other are reported. The upload page takes it as a second file, kept with the
preview until confirmed.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from quizapp.banks.formats import parse_file
from quizapp.banks.formats.keyfile import parse_key_file
from quizapp.banks.models import Question, UploadPreview
from quizapp.extensions import db
from tests.banks.docx_builder import Doc
from tests.banks.test_bank_pages import counts
from tests.conftest import csrf_token

OPTIONS = ["Một", "Hai", "Ba", "Bốn"]


def unmarked(count: int = 4, marked: dict[int, set[int]] | None = None) -> bytes:
    """``count`` questions `Câu N:` with no marks, except those in ``marked`` (bold)."""
    doc = Doc()
    for number in range(1, count + 1):
        doc.question(f"Câu {number}: Câu hỏi số {number}?", [f"{option} {number}" for option in OPTIONS],
                     (marked or {}).get(number, ()))
    return doc.bytes()


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def docx_table(rows: list[list[str]], title: str = "ĐÁP ÁN") -> bytes:
    doc = Doc()
    doc.para(title)
    doc.table(rows)
    return doc.bytes()


EXPECTED = {1: {0}, 2: {0, 2}, 3: {0, 2}, 4: {3}}
KEY_FILES = {
    "csv": ("dap-an.csv", "Câu,Đáp án\n1,A\n2,\"A, C\"\n3,AC\n4,4\n".encode()),
    "csv semicolons, accents off": ("dap-an.csv", "\ufeffcau;DAP AN\nCâu 1;a\n2;1, 3\n3;A C\n4;D\n".encode()),
    "xlsx pairs side by side": ("dap-an.xlsx", xlsx([["BẢNG ĐÁP ÁN"], ["Câu", "ĐA", "Câu", "ĐA"],
                                                     [1, "A", 3, "A,C"], [2, "AC", 4, 4]])),
    "docx table": ("dap-an.docx", docx_table([["Câu", "Đáp án"], ["1", "A"], ["2", "A, C"], ["3", "AC"],
                                              ["4", "D"]])),
    "docx rows across": ("dap-an.docx", docx_table([["Câu", "1", "2", "3", "4"], ["Đáp án", "A", "AC", "1,3", "D"]])),
}


@pytest.mark.parametrize("name", KEY_FILES)
def test_each_key_file_form_reads_the_same_key(name):
    filename, data = KEY_FILES[name]
    key = parse_key_file(filename, data)
    assert key.errors == []
    assert {number: letters for number, (letters, _where) in key.answers.items()} == EXPECTED


def test_the_key_decides_the_answers_of_an_unmarked_word_file(runner, app, tmp_path):
    questions, key = tmp_path / "de-thi.docx", tmp_path / "dap-an.csv"
    questions.write_bytes(unmarked())
    key.write_bytes(KEY_FILES["csv"][1])
    without = runner.invoke(args=["banks", "import", str(questions)])
    assert without.exit_code == 1 and "Câu 1: không thấy đáp án" in without.output
    output = runner.invoke(args=["banks", "import", str(questions), "--key", str(key)])
    assert output.exit_code == 0, output.output
    with app.app_context():
        stored = db.session.scalars(select(Question).order_by(Question.id)).all()
        assert [{option.position for option in question.options if option.is_correct} for question in stored] == [
            EXPECTED[number] for number in range(1, 5)]
        assert [question.multiple for question in stored] == [False, True, True, False]


def test_disagreements_and_numbers_missing_on_either_side_are_reported(runner, app, tmp_path):
    questions, key = tmp_path / "de-thi.docx", tmp_path / "dap-an.csv"
    # Marks in bold agree on 1 and 2, disagree on 3; question 5 is not in the key; 9 is not a question.
    questions.write_bytes(unmarked(5, {1: {0}, 2: {0, 2}, 3: {1}, 4: {3}, 5: {0}}))
    key.write_bytes("Câu,Đáp án\n1,A\n2,AC\n3,A\n4,D\n9,B\n".encode())
    output = runner.invoke(args=["banks", "import", str(questions), "--key", str(key)])
    assert output.exit_code == 1
    lines = output.output.splitlines()
    assert f"{questions}:Câu 3: đáp án đánh dấu trong tệp câu hỏi (B) khác tệp đáp án (A)" in lines
    assert f"{questions}:Câu 5: câu 5 không có trong tệp đáp án" in lines
    assert f"{key}:6: câu 9 không có trong tệp câu hỏi" in lines
    assert counts(app) == (0, 0, 0)


def test_a_question_the_key_lacks_is_one_error_not_two():
    key = parse_key_file("dap-an.csv", "Câu,Đáp án\n1,A\n3,B\n4,D\n".encode())
    result = parse_file("de-thi.docx", unmarked(), key)
    assert result.errors == [("Câu 2", "câu 2 không có trong tệp đáp án")]


def test_a_key_answering_every_question_leaves_no_note_that_marks_are_missing():
    key = parse_key_file(*KEY_FILES["csv"])
    result = parse_file("de-thi.docx", unmarked(), key)
    assert result.errors == []
    assert result.notes == ["Đáp án lấy từ bảng đáp án ở 4/4 câu"]


def test_a_bad_key_file_is_reported_under_its_own_name(runner, app, tmp_path):
    questions, key = tmp_path / "de-thi.docx", tmp_path / "dap-an.csv"
    questions.write_bytes(unmarked())
    key.write_bytes("Câu,Đáp án\n1,A\n2,Z\nba,B\n1,C\n".encode())
    output = runner.invoke(args=["banks", "import", str(questions), "--key", str(key)])
    assert output.exit_code == 1
    assert f"{key}:3: câu 2: đáp án 'Z' không hợp lệ" in output.output
    assert f"{key}:4: số câu 'ba' không hợp lệ" in output.output
    assert f"{key}:5: câu 1 có hai đáp án (cũng ở dòng 2)" in output.output
    not_a_key = tmp_path / "ghi-chu.csv"
    not_a_key.write_bytes("Ghi chú\nkhông có gì\n".encode())
    output = runner.invoke(args=["banks", "import", str(questions), "--key", str(not_a_key)])
    assert f"{not_a_key}:0: không thấy bảng đáp án" in output.output


def test_a_key_applies_to_other_numbered_formats_and_refuses_unnumbered_ones():
    key = parse_key_file("dap-an.csv", "Câu,Đáp án\n1,B\n".encode())
    doc = Doc()
    doc.question("Câu hỏi không đánh số?", OPTIONS)
    result = parse_file("khong-so.docx", doc.bytes(), key)
    assert (0, "các câu hỏi trong tệp không có số thứ tự (Câu 1, Câu 2, …) nên không đối chiếu được với tệp "
               "đáp án") in result.errors


# --- the upload page --------------------------------------------------------------------------


def test_upload_page_takes_a_key_file_through_preview_and_confirm(make_app, tmp_path):
    app = make_app()
    app.instance_path = str(tmp_path)
    client = app.test_client()
    from tests.conftest import Accounts

    Accounts(app, client).login_as("organiser")
    page = client.get("/banks/upload").get_data(as_text=True)
    assert 'name="key_file"' in page and "/banks/template.docx" in page
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(unmarked()), "de-thi.docx"), "key_file": (io.BytesIO(KEY_FILES["csv"][1]), "dap-an.csv"),
        "bank": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        kept = db.session.get(UploadPreview, token)
        assert (kept.key_filename, kept.key_data) == KEY_FILES["csv"]
    confirm = client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)})
    assert confirm.status_code == 302 and confirm.headers["Location"] == "/banks/de-thi"
    assert counts(app) == (1, 4, 16)
    assert list(tmp_path.iterdir()) == []  # nothing on this server's disk
    with app.app_context():
        assert db.session.scalars(select(UploadPreview)).all() == []
    with app.app_context():
        stored = db.session.scalars(select(Question).order_by(Question.id)).all()
        assert [question.multiple for question in stored] == [False, True, True, False]


def test_upload_page_shows_key_file_errors(client, app, auth):
    auth.login_as("organiser")
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(unmarked()), "de-thi.docx"),
        "key_file": (io.BytesIO("Câu,Đáp án\n1,A\n".encode()), "dap-an.csv"),
        "bank": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "de-thi.docx:Câu 2: câu 2 không có trong tệp đáp án" in response.get_data(as_text=True)
    wrong = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(unmarked()), "de-thi.docx"), "key_file": (io.BytesIO(b"x"), "dap-an.pdf"),
        "bank": "", "csrf_token": csrf_token(client)})
    assert wrong.status_code == 422 and "Tệp đáp án chỉ nhận .docx (bảng), .xlsx hoặc .csv." in wrong.get_data(
        as_text=True)


def test_word_template_downloads_and_imports(client, auth, runner, tmp_path, app):
    auth.login_as("organiser")
    response = client.get("/banks/template.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("mau-ngan-hang-cau-hoi.docx")
    result = parse_file("mau.docx", response.data)
    assert result.errors == [] and len(result.questions) == 3
    assert [question.correct for question in result.questions] == [{1}, {0}, {0, 1, 2}]
    assert {question.topic for question in result.questions} == {"Cuộc đời và sự nghiệp", "Chuyển đổi số"}
    path = tmp_path / "mau.docx"
    path.write_bytes(response.data)
    assert runner.invoke(args=["banks", "import", str(path)]).exit_code == 0


def test_word_template_is_for_organisers(client, auth):
    auth.login_as("taker")
    assert client.get("/banks/template.docx").status_code == 403
