"""A help desk's one-time reset code (`flask users reset-code PHONE`, and the admin page
POST /admin/users/<id>/reset-code): printed or shown once, audit-logged without the code, usable
once through the reset, and not a proof of the phone."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.auth.models import OneTimeCode, User
from quizapp.extensions import db
from tests.attempt_support import error_code
from tests.auth.test_password_reset import KNOWN, NEW_PASSWORD, confirm, known_account
from tests.conftest import csrf_token


def audit_rows(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.reset_code")).all()


def test_the_command_prints_a_code_that_resets_the_password_once(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path)
    result = app.test_cli_runner().invoke(args=["users", "reset-code", "+84 912 345 678"])
    assert result.exit_code == 0, result.output
    code = re.search(r": (\d{6})\n", result.output).group(1)
    assert "Hiệu lực 10 phút" in result.output

    [event] = audit_rows(app)
    assert event.target_id and code not in json.dumps([event.before, event.after])
    with app.app_context():
        assert code not in db.session.scalar(select(OneTimeCode.code_hash))

    assert confirm(app.test_client(), KNOWN, code).status_code == 200
    assert error_code(confirm(app.test_client(), KNOWN, code, "mat-khau-thu-ba-3")) == "code_invalid"
    with app.app_context():
        # Read out by a help desk, the code proves nothing about the phone.
        assert db.session.scalar(select(User.phone_verified_at).where(User.phone == KNOWN)) is None


def test_the_command_refuses_unknown_and_malformed_phones(app, runner):
    for phone, message in (("0987654321", "không có tài khoản"), ("abc", "không hợp lệ")):
        result = runner.invoke(args=["users", "reset-code", phone])
        assert result.exit_code != 0 and message in result.output
    assert audit_rows(app) == []


def test_a_new_code_replaces_the_one_the_help_desk_gave(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path)
    runner = app.test_cli_runner()
    first = re.search(r": (\d{6})\n", runner.invoke(args=["users", "reset-code", KNOWN]).output).group(1)
    second = re.search(r": (\d{6})\n", runner.invoke(args=["users", "reset-code", KNOWN]).output).group(1)
    if first != second:
        assert error_code(confirm(app.test_client(), KNOWN, first)) == "code_invalid"
    assert confirm(app.test_client(), KNOWN, second).status_code == 200


def test_the_admin_page_shows_a_code_once_for_admins_only(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == KNOWN))
    url = f"/admin/users/{user_id}/reset-code"

    organiser = app.test_client()
    auth.client = organiser
    auth.login_as("organiser")
    assert organiser.post(url, data={"csrf_token": csrf_token(organiser)}).status_code == 403

    admin = app.test_client()
    auth.client = admin
    auth.login_as("admin")
    assert admin.post(url).status_code == 400  # no CSRF token, no code
    assert admin.get(url).status_code == 405
    shown = admin.post(url, data={"csrf_token": csrf_token(admin)})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    code = re.search(r"<strong>(\d{6})</strong>", html).group(1)
    assert "hiệu lực 10 phút" in html and KNOWN in html
    assert admin.post("/admin/users/999999/reset-code", data={"csrf_token": csrf_token(admin)}).status_code == 404

    [event] = audit_rows(app)
    assert event.actor_id is not None and code not in json.dumps([event.before, event.after])
    assert confirm(app.test_client(), KNOWN, code, NEW_PASSWORD).status_code == 200


def test_a_disabled_account_gets_no_code(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == KNOWN))
        user.is_active = False
        user_id = user.id
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["users", "reset-code", KNOWN]).exit_code != 0
    admin = app.test_client()
    auth.client = admin
    auth.login_as("admin")
    refused = admin.post(f"/admin/users/{user_id}/reset-code", data={"csrf_token": csrf_token(admin)})
    assert refused.status_code == 302 and audit_rows(app) == []
