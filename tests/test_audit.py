"""The audit log: organisers', judges' and admins' actions, with who, what, when, before and after."""

from __future__ import annotations

import json

from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.banks.models import Question
from quizapp.extensions import db
from tests.attempt_support import CLOSES, OPENS, import_bank, round_definition, simple_questions, write_bank_csv
from tests.conftest import csrf_token


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_contest_loads_are_logged_with_before_and_after(app, tmp_path, runner):
    import_bank(app, tmp_path, "nk", simple_questions("nk", 4))
    path = tmp_path / "c.json"
    definition = {"slug": "nhat-ky", "title": "Tên cũ", "rounds": [round_definition(bank="nk", count=4)]}
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["contests", "load", str(path)]).exit_code == 0
    definition["title"] = "Tên mới"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["contests", "load", str(path)]).exit_code == 0

    (created,) = events(app, "contest.created")
    (saved,) = events(app, "contest.saved")
    assert created.actor_id is None and created.target_id == "nhat-ky" and created.after["title"] == "Tên cũ"
    assert (saved.before["title"], saved.after["title"]) == ("Tên cũ", "Tên mới")
    assert saved.after["rounds"]["1"]["opens_at"] == OPENS.isoformat()
    assert saved.after["rounds"]["1"]["closes_at"] == CLOSES.isoformat()
    assert events(app, "bank.imported")[0].after["new_questions"] == 4


def test_an_organisers_change_to_a_question_names_the_organiser(app, tmp_path, client, auth, runner):
    phone = auth.login_as("organiser")
    # The organiser's own bank: a shared one is read-only to organisers.
    path = write_bank_csv(tmp_path / "sua.csv", simple_questions("sua", 2))
    assert runner.invoke(args=["banks", "import", str(path), "--bank", "sua", "--owner", phone]).exit_code == 0
    with app.app_context():
        question_id = db.session.scalars(select(Question.id).order_by(Question.id)).first()

    response = client.post(f"/banks/sua/questions/{question_id}/active",
                           data={"csrf_token": csrf_token(client), "active": "0"})

    assert response.status_code == 302
    (event,) = events(app, "question.deactivated")
    with app.app_context():
        actor = db.session.get(User, db.session.get(AuditEvent, event.id).actor_id)
        assert actor.phone == phone
    assert (event.before, event.after, event.ip) == ({"active": True}, {"active": False}, "127.0.0.1")
    auth.logout()
    auth.login_as("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"Ngừng dùng câu hỏi số {question_id} của ngân hàng “sua”" in page and phone in page
    assert "Đang dùng</span> → <span class=\"new\">Ngừng dùng" in page and "question.deactivated" not in page
