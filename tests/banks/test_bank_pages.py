"""Organiser pages for question banks: upload, preview, confirm, view, edit, deactivate."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from quizapp.banks.models import Bank, Option, Question
from quizapp.extensions import db
from tests.conftest import csrf_token

GOOD_CSV = (
    "Chủ đề,Câu hỏi,A,B,C,D,Đáp án,Giải thích,Nguồn\n"
    "Cuộc đời,Bác Hồ sinh năm nào?,1890,1891,1911,1930,A,Ngày 19/5/1890.,Tiểu sử\n"
    "Cuộc đời,Bác ra đi tìm đường cứu nước năm nào?,1890,1911,1920,1930,B,Ngày 5/6/1911.,Tiểu sử\n"
).encode()
BAD_CSV = (
    "Chủ đề,Câu hỏi,A,B,Đáp án\n"
    "X,Câu tốt?,Có,Không,A\n"
    "X,Câu thiếu đáp án?,Có,Không,\n"
    "X,Câu đáp án sai?,Có,Có,C\n"
).encode()


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Bank, Question, Option))


def upload(client, data: bytes, filename: str, **fields):
    form = {"file": (io.BytesIO(data), filename), "bank": "", "csrf_token": csrf_token(client), **fields}
    return client.post("/banks/upload", data=form, content_type="multipart/form-data")


def test_preview_then_confirm_imports(client, app, auth):
    auth.login_as("organiser")
    preview = upload(client, GOOD_CSV, "lich-su.csv", new_title="Lịch sử")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Bác Hồ sinh năm nào?" in html and "2</strong> câu hỏi mới" in html
    assert counts(app) == (0, 0, 0)  # a preview writes nothing

    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    confirm = client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)})
    assert confirm.status_code == 302 and confirm.headers["Location"] == "/banks/lich-su"
    assert counts(app) == (1, 2, 8)
    with app.app_context():
        bank = db.session.scalar(select(Bank))
        assert bank.title == "Lịch sử" and bank.owner.role == "organiser"
    # Confirming twice imports nothing more.
    again = client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)})
    assert again.status_code == 302 and counts(app) == (1, 2, 8)


def test_preview_lists_every_error_and_imports_nothing(client, app, auth):
    auth.login_as("organiser")
    response = upload(client, BAD_CSV, "loi.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "loi.csv:3: thiếu đáp án" in html
    assert "loi.csv:4: phương án B trùng phương án A" in html
    assert "loi.csv:4: đáp án C không có phương án tương ứng" in html
    assert 'name="token"' not in html
    assert counts(app) == (0, 0, 0)


def test_another_sessions_token_cannot_be_confirmed(client, app, auth):
    auth.login_as("organiser")
    html = upload(client, GOOD_CSV, "a.csv").get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    other = app.test_client()
    from tests.conftest import Accounts

    Accounts(app, other).login_as("organiser")
    response = other.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(other)})
    assert response.status_code == 302 and response.headers["Location"] == "/banks/upload"
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("path", ["/banks/", "/banks/upload", "/banks/template.xlsx"])
def test_taker_is_refused(client, auth, path):
    auth.login_as("taker")
    assert client.get(path).status_code == 403


def test_taker_cannot_upload(client, app, auth):
    auth.login_as("taker")
    assert upload(client, GOOD_CSV, "a.csv").status_code == 403
    assert counts(app) == (0, 0, 0)


def test_template_downloads_and_imports(client, auth, runner, tmp_path, app):
    auth.login_as("organiser")
    response = client.get("/banks/template.xlsx")
    assert response.status_code == 200
    path = tmp_path / "mau.xlsx"
    path.write_bytes(response.data)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Chủ đề", "Câu hỏi", "A") and len(rows) == 3
    result = runner.invoke(args=["banks", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert counts(app)[1] == 2


def imported_bank(client, auth):
    auth.login_as("organiser")
    html = upload(client, GOOD_CSV, "ls.csv").get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)})


def test_bank_view_search(client, auth):
    imported_bank(client, auth)
    html = client.get("/banks/ls", query_string={"q": "tìm đường"}).get_data(as_text=True)
    assert "Bác ra đi tìm đường cứu nước năm nào?" in html
    assert "Bác Hồ sinh năm nào?" not in html
    assert "1 câu" in html
    # Options and sources are searched too.
    assert "Bác Hồ sinh năm nào?" in client.get("/banks/ls", query_string={"q": "1891"}).get_data(as_text=True)


def test_edit_question(client, app, auth):
    imported_bank(client, auth)
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.text == "Bác Hồ sinh năm nào?"))
        question_id, option_ids = question.id, [option.id for option in question.options]
    url = f"/banks/ls/questions/{question_id}"
    assert client.get(url).status_code == 200
    form = {"topic": "Cuộc đời", "text": "Chủ tịch Hồ Chí Minh sinh năm nào?", "option_a": "1890",
            "option_b": "1891", "option_c": "1892", "correct": ["A"], "source": "Tiểu sử",
            "csrf_token": csrf_token(client)}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.text == "Chủ tịch Hồ Chí Minh sinh năm nào?"
        assert [option.text for option in question.options] == ["1890", "1891", "1892"]
        # Options that keep their place keep their ids.
        assert [option.id for option in question.options] == option_ids[:3]

    bad = client.post(url, data={**form, "option_b": "1890", "correct": ["A", "B"]})
    assert bad.status_code == 422
    assert "phương án B trùng phương án A" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, question_id).options[1].text == "1891"


def test_deactivate_and_reactivate(client, app, auth):
    imported_bank(client, auth)
    with app.app_context():
        question_id = db.session.scalar(select(Question.id).where(Question.text == "Bác Hồ sinh năm nào?"))
    url = f"/banks/ls/questions/{question_id}/active"
    assert client.post(url, data={"active": "0", "csrf_token": csrf_token(client)}).status_code == 302
    with app.app_context():
        assert db.session.get(Question, question_id).is_active is False
    assert "đã ngừng dùng" in client.get("/banks/ls").get_data(as_text=True)
    export = client.get("/banks/ls/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["Bác ra đi tìm đường cứu nước năm nào?"]
    client.post(url, data={"active": "1", "csrf_token": csrf_token(client)})
    with app.app_context():
        assert db.session.get(Question, question_id).is_active is True


def test_question_of_another_bank_is_404(client, app, auth, runner, tmp_path):
    imported_bank(client, auth)
    other = tmp_path / "khac.csv"
    other.write_bytes("Câu hỏi,A,B,Đáp án\nCâu khác?,Có,Không,A\n".encode())
    assert runner.invoke(args=["banks", "import", str(other)]).exit_code == 0
    with app.app_context():
        foreign = db.session.scalar(select(Question.id).where(Question.text == "Câu khác?"))
    assert client.get(f"/banks/ls/questions/{foreign}").status_code == 404


def test_bank_forms_open_with_a_summary_linking_to_the_fields(client, app, auth):
    imported_bank(client, auth)
    missing = client.post("/banks/upload", data={"csrf_token": csrf_token(client), "new_title": "x" * 201})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert '<a href="#file">Tệp câu hỏi: Vui lòng chọn tệp.</a>' in html
    assert '<a href="#new_title">Tên ngân hàng mới: Không được dài quá 200 ký tự.</a>' in html

    with app.app_context():
        question_id = db.session.scalar(select(Question.id).where(Question.text == "Bác Hồ sinh năm nào?"))
    edited = client.post(f"/banks/ls/questions/{question_id}", data={
        "topic": "", "text": "Câu?", "option_a": "1", "option_b": "2", "correct": ["Z"],
        "csrf_token": csrf_token(client)})
    html = edited.get_data(as_text=True)
    assert edited.status_code == 422
    assert '<a href="#topic">Vui lòng nhập chủ đề.</a>' in html
    assert '<p class="field-error" id="correct-error">“Z” không có trong các lựa chọn.</p>' in html
    assert '<a href="#correct">Đáp án đúng: “Z” không có trong các lựa chọn.</a>' in html
