"""A one-time code proves the phone it went to, not the account (auth/codes.py): when an admin
changes an account's phone, a code sent to the old number neither verifies the new one nor
resets the password, through the new number or the old."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.auth import services as accounts
from quizapp.auth.models import OneTimeCode, User
from quizapp.extensions import db
from tests.attempt_support import error_code, sign_up
from tests.auth.test_password_reset import KNOWN, ask, confirm, known_account
from tests.conftest import PASSWORD, Accounts
from tests.sms_support import last_code, sms_app

NEW = "0977000111"


def change_phone(app, user_id: int, phone: str) -> None:
    """What the admin's account page does with a corrected phone."""
    with app.app_context():
        user = db.session.get(User, user_id)
        accounts.update_account(user, full_name=user.full_name, phone=phone, unit_code=None)
        db.session.commit()


def test_a_verification_code_sent_to_the_old_number_does_not_verify_the_new_one(make_app, tmp_path):
    app, outbox = sms_app(make_app, tmp_path)
    taker = sign_up(app)
    assert taker.call("POST", "/phone-verification").status_code == 202
    code = last_code(app, outbox, taker.phone)

    change_phone(app, taker.user_id, NEW)
    with app.app_context():
        assert db.session.scalar(select(OneTimeCode.id).where(OneTimeCode.user_id == taker.user_id)) is None
    refused = taker.call("POST", "/phone-verification/confirm", {"code": code})

    assert (refused.status_code, error_code(refused)) == (422, "code_invalid")
    with app.app_context():
        assert db.session.get(User, taker.user_id).phone_verified_at is None
    # A code sent to the new number does verify it.
    assert taker.call("POST", "/phone-verification").status_code == 202
    done = taker.call("POST", "/phone-verification/confirm", {"code": last_code(app, outbox, NEW)})
    assert done.status_code == 200 and done.get_json()["user"]["phone_verified"] is True


def test_a_reset_code_sent_to_the_old_number_resets_nothing(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == KNOWN))
    assert ask(app.test_client(), KNOWN).status_code == 202
    code = last_code(app, outbox, KNOWN)

    change_phone(app, user_id, NEW)
    for phone in (NEW, KNOWN):
        refused = confirm(app.test_client(), phone, code)
        assert (refused.status_code, error_code(refused)) == (422, "code_invalid")
    assert Accounts(app, app.test_client()).login(NEW, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).phone_verified_at is None


def test_a_name_change_keeps_the_live_code(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    assert ask(app.test_client(), KNOWN).status_code == 202
    code = last_code(app, outbox, KNOWN)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == KNOWN))
        assert accounts.update_account(user, full_name="Tên Đã Sửa", phone=KNOWN, unit_code=None)
        db.session.commit()
    assert confirm(app.test_client(), KNOWN, code).status_code == 200
