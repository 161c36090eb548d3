"""Bank pages show answer keys: no browser or proxy cache may keep them (issue 11)."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.banks.models import Question
from quizapp.extensions import db
from tests.banks.test_bank_pages import GOOD_CSV, imported_bank, upload


def test_bank_pages_holding_an_answer_key_are_never_stored(client, app, auth):
    imported_bank(client, auth)
    with app.app_context():
        question_id = db.session.scalar(select(Question.id).where(Question.text == "Bác Hồ sinh năm nào?"))
    preview = upload(client, GOOD_CSV, "ls2.csv")
    assert preview.status_code == 200 and "Bác Hồ sinh năm nào?" in preview.get_data(as_text=True)
    assert preview.headers.get("Cache-Control") == "no-store"

    for url in ("/banks/", "/banks/ls", f"/banks/ls/questions/{question_id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.headers.get("Cache-Control") == "no-store", url
