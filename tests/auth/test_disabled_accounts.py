"""Disabled accounts (issue 14, DESIGN §5 ``users disable|enable`` and §7 "Sessions"): a disabled
account cannot sign in, on the page or the API; every session of it ends at once, the answer-save
lane included, and so does every browser's sign-in trust; the right password is told the account
is locked, a wrong one learns nothing; enabling it lets the person sign in again; the last active
admin cannot be disabled."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.contests.models import AttemptItem
from quizapp.extensions import db
from tests.attempt_support import error_code, install_clock, one_round, sign_in, sign_up
from tests.auth.test_sessions import copy_of, session_user
from tests.auth.test_signin_protection import api_login, page_login
from tests.conftest import PASSWORD, Accounts, csrf_token

LOCKED = "Tài khoản này đã bị khoá"


def disable(runner, phone: str):
    return runner.invoke(args=["users", "disable", phone])


def is_active(app, phone: str) -> bool:
    with app.app_context():
        return db.session.scalar(select(User.is_active).where(User.phone == phone))


def account_events(app) -> list[tuple[str, int | None, dict | None, dict | None]]:
    with app.app_context():
        return [(event.action, event.actor_id, event.before, event.after) for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["user.disabled", "user.enabled"])).order_by(AuditEvent.id))]


def same_page(response) -> str:
    """The page without its CSRF token, which differs for every browser."""
    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


# --- signing in -------------------------------------------------------------------------------


def test_the_right_password_of_a_disabled_account_is_told_it_is_locked_on_the_page_and_the_api(app, auth, runner):
    auth.create(phone="0912345678")
    assert disable(runner, "0912345678").exit_code == 0

    page = page_login(app.test_client(), "0912345678", PASSWORD)
    api = api_login(app.test_client(), "0912345678", PASSWORD)

    assert page.status_code == 403
    assert LOCKED in page.get_data(as_text=True) and "liên hệ ban tổ chức" in page.get_data(as_text=True)
    assert (api.status_code, error_code(api)) == (403, "account_disabled")
    assert LOCKED in api.get_json()["error"]["message"]
    assert session_user(app.test_client()) is None


def test_a_wrong_password_of_a_disabled_account_learns_nothing(app, auth, runner):
    auth.create(phone="0912345678")
    assert disable(runner, "0912345678").exit_code == 0

    wrong, unknown = (page_login(app.test_client(), phone, "doan-sai-1") for phone in ("0912345678", "0987654321"))
    api_wrong, api_unknown = (api_login(app.test_client(), phone, "doan-sai-1")
                              for phone in ("0912345678", "0987654321"))

    assert wrong.status_code == unknown.status_code == 401
    assert LOCKED not in wrong.get_data(as_text=True)
    assert same_page(wrong).replace("0912345678", "0987654321") == same_page(unknown)
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.get_json() == api_unknown.get_json()


def test_enabling_lets_the_person_sign_in_again(app, auth, runner):
    auth.create(phone="0912345678")
    assert disable(runner, "0912345678").exit_code == 0
    assert api_login(app.test_client(), "0912345678", PASSWORD).status_code == 403

    enabled = runner.invoke(args=["users", "enable", "0912 345 678"])

    assert enabled.exit_code == 0 and "Đã mở khoá" in enabled.output
    assert api_login(app.test_client(), "0912345678", PASSWORD).status_code == 200
    assert page_login(app.test_client(), "0912345678", PASSWORD).status_code == 302


# --- sessions end at once ----------------------------------------------------------------------


def test_disabling_ends_every_session_and_the_answer_save_lane_stores_nothing(app, tmp_path, monkeypatch):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    taker = sign_up(app)
    other_phone = taker.signed_in_again()
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    view_calls = []
    lane, flask_app = app.wsgi_app, app.wsgi_app.wsgi_app

    def counted(environ, start_response):
        view_calls.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    monkeypatch.setattr(lane, "wsgi_app", counted)
    first = [question["options"][0]["id"]]
    assert taker.save(attempt["id"], question["id"], first).status_code == 200
    assert view_calls == []  # the lane stored it
    admin = Accounts(app, app.test_client())
    admin.login_as("admin")

    done = admin.client.post(f"/admin/users/{taker.user_id}/disable", data={
        "confirm": "1", "csrf_token": csrf_token(admin.client)}, follow_redirects=True)

    assert done.status_code == 200 and "Đã khoá tài khoản" in done.get_data(as_text=True)
    saved = taker.save(attempt["id"], question["id"], [question["options"][1]["id"]])
    assert (saved.status_code, error_code(saved)) == (401, "login_required")
    assert view_calls  # the lane refused it, and the view said why
    with app.app_context():
        chosen = db.session.scalar(select(AttemptItem.chosen).where(
            AttemptItem.attempt_id == attempt["id"], AttemptItem.question_id == question["id"]))
    assert chosen == "0"  # the first choice, saved before, stays; the later one was not stored
    for phone in (taker, other_phone, taker.twin()):
        assert session_user(phone.client) is None
        refused = phone.attempt(attempt["id"])
        assert (refused.status_code, error_code(refused)) == (401, "login_required")


def test_a_second_browsers_page_session_ends_when_the_account_is_disabled(app, client, auth, runner):
    phone = auth.login_as("taker")
    copy = copy_of(app, client)
    elsewhere, signed_in = sign_in(app, phone)
    assert signed_in.status_code == 200 and client.get("/auth/profile").status_code == 200

    assert disable(runner, phone).exit_code == 0

    for browser in (client, copy, elsewhere):
        assert session_user(browser) is None
        assert browser.get("/auth/profile").status_code == 302  # to the sign-in page
    # Ended, not paused: enabling the account again brings none of them back.
    assert runner.invoke(args=["users", "enable", phone]).exit_code == 0
    assert all(session_user(browser) is None for browser in (client, copy, elsewhere))


def test_every_path_that_reads_an_account_refuses_an_inactive_one(app, tmp_path):
    """Defence in depth: ``is_active`` alone (no session ended) stops pages, the API and the
    answer-save lane's own UPDATE."""
    install_clock(app)
    round_id = one_round(app, tmp_path)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    with app.app_context():
        db.session.execute(update(User).where(User.id == taker.user_id).values(is_active=False))
        db.session.commit()

    saved = taker.save(attempt["id"], question["id"], [question["options"][0]["id"]])

    assert (saved.status_code, error_code(saved)) == (401, "login_required")
    assert session_user(taker.client) is None
    read = taker.attempt(attempt["id"])
    assert (read.status_code, error_code(read)) == (401, "login_required")
    with app.app_context():
        assert db.session.scalar(select(AttemptItem.chosen).where(
            AttemptItem.attempt_id == attempt["id"], AttemptItem.question_id == question["id"])) is None


def test_disabling_ends_every_browsers_sign_in_trust(app, auth, runner):
    auth.create(phone="0912345678")
    owner = app.test_client()
    assert api_login(owner, "0912345678", PASSWORD).status_code == 200
    owner.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(owner)})
    assert disable(runner, "0912345678").exit_code == 0
    assert runner.invoke(args=["users", "enable", "0912345678"]).exit_code == 0
    # A guesser spends the phone's failure budget from many addresses.
    for n in range(10):
        api_login(app.test_client(), "0912345678", f"doan-{n}", address=f"10.8.0.{n}")

    # The browser that signed in before the account was disabled is trusted no more.
    assert api_login(owner, "0912345678", PASSWORD).status_code == 429


# --- the command line ---------------------------------------------------------------------------


def test_the_commands_disable_and_enable_with_exit_codes_and_the_audit_log(app, auth, runner):
    auth.create(phone="0912345678", full_name="Trần Văn Bình")

    first = disable(runner, "+84 912 345 678")
    again = disable(runner, "0912345678")
    unknown = disable(runner, "0987654321")
    malformed = disable(runner, "12ab")
    enabled = runner.invoke(args=["users", "enable", "0912345678"])
    enabled_again = runner.invoke(args=["users", "enable", "0912345678"])

    assert first.exit_code == 0 and "Đã khoá tài khoản 0912345678 (Trần Văn Bình)" in first.output
    assert again.exit_code == 0 and "đã bị khoá từ trước" in again.output
    assert unknown.exit_code == 1 and "không có tài khoản nào với số 0987654321" in unknown.output
    assert malformed.exit_code == 1 and "số điện thoại không hợp lệ" in malformed.output
    assert enabled.exit_code == 0 and enabled_again.exit_code == 0 and "không cần mở khoá" in enabled_again.output
    assert is_active(app, "0912345678")
    # Once each: nothing is logged for what did not change. The command line records no actor.
    assert account_events(app) == [("user.disabled", None, {"is_active": True}, {"is_active": False}),
                                   ("user.enabled", None, {"is_active": False}, {"is_active": True})]


def test_the_last_active_admin_cannot_be_disabled(app, auth, runner):
    auth.create("admin", phone="0911000001")
    auth.create("admin", phone="0911000002")

    assert disable(runner, "0911000002").exit_code == 0
    refused = disable(runner, "0911000001")

    assert refused.exit_code == 1 and "quản trị viên cuối cùng" in refused.output
    assert is_active(app, "0911000001")
    assert api_login(app.test_client(), "0911000001", PASSWORD).status_code == 200
    assert [event[0] for event in account_events(app)] == ["user.disabled"]


@pytest.mark.parametrize("role", ["taker", "organiser", "judge"])
def test_the_last_admin_rule_concerns_admins_only(app, auth, runner, role):
    auth.create("admin", phone="0911000001")
    auth.create(role, phone="0911000002")
    assert disable(runner, "0911000002").exit_code == 0
    assert not is_active(app, "0911000002")
