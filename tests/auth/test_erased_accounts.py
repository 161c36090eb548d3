"""Erasure is final (DESIGN §3 rule 7, privacy/erasure.py): an erased account is never switched
on again nor given a name, phone, role or reset code back, by the admin's pages, the command
line or the services, and the database refuses an active erased account whatever writes it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quizapp.audit import AuditEvent
from quizapp.auth import codes
from quizapp.auth import services as accounts
from quizapp.auth.models import OneTimeCode, User
from quizapp.extensions import db
from quizapp.privacy.erasure import erase_person
from tests.conftest import csrf_token

ERASED = "đã bị xoá"


@pytest.fixture
def erased(app, auth) -> int:
    """An account erased at its owner's request; its id."""
    user_id = auth.create(phone="0912345678", full_name="Trần Văn Bình")
    with app.app_context():
        erase_person(db.session.get(User, user_id), "deletion")
        db.session.commit()
    return user_id


def state(app, user_id: int) -> tuple:
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.is_active, user.phone, user.full_name, user.role, user.can_edit_units


def changes_logged(app, user_id: int) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_id == str(user_id), AuditEvent.action != "privacy.erased")).all()


def test_the_services_refuse_every_change_to_an_erased_account(app, erased):
    before = state(app, erased)
    with app.app_context():
        admin = db.session.get(User, erased)  # any other account; the refusal comes first
        for change in (
            lambda user: accounts.enable_account(user),
            lambda user: accounts.update_account(user, full_name="Trần Văn Bình", phone="0912345678", unit_code=""),
            lambda user: accounts.set_role(user, "admin", by=admin),
            lambda user: accounts.set_units_editor(user, True),
            lambda user: codes.help_desk_code(user),
        ):
            user = db.session.get(User, erased)
            with pytest.raises(accounts.AccountErased) as refused:
                change(user)
            assert ERASED in refused.value.message and refused.value.status == 422
            db.session.rollback()
        assert db.session.scalar(select(OneTimeCode.id).where(OneTimeCode.user_id == erased)) is None
    assert state(app, erased) == before
    assert changes_logged(app, erased) == []


def test_the_admin_pages_refuse_to_bring_an_erased_account_back(app, client, auth, erased):
    auth.login_as("admin")
    before = state(app, erased)
    token = csrf_token(client)

    enabled = client.post(f"/admin/users/{erased}/enable", data={"confirm": "1", "csrf_token": token},
                          follow_redirects=True)
    assert ERASED in enabled.get_data(as_text=True)
    edited = client.post(f"/admin/users/{erased}", data={
        "full_name": "Trần Văn Bình", "phone": "0912345678", "unit_code": "", "csrf_token": token})
    assert edited.status_code == 422 and ERASED in edited.get_data(as_text=True)
    promoted = client.post(f"/admin/users/{erased}/role", data={"role": "judge", "confirm": "1", "csrf_token": token},
                           follow_redirects=True)
    assert ERASED in promoted.get_data(as_text=True)
    units = client.post(f"/admin/users/{erased}/units", data={"allowed": "1", "csrf_token": token},
                        follow_redirects=True)
    assert ERASED in units.get_data(as_text=True)
    reset = client.post(f"/admin/users/{erased}/reset-code?q=xoa&page=1", data={"csrf_token": token})
    assert reset.status_code == 302 and reset.headers["Location"] == "/admin/users?q=xoa&page=1"

    assert state(app, erased) == before
    assert changes_logged(app, erased) == []
    with app.app_context():
        assert db.session.scalar(select(OneTimeCode.id).where(OneTimeCode.user_id == erased)) is None


def test_the_command_line_refuses_an_erased_account_that_an_old_admin_edit_gave_a_phone(app, runner, erased):
    """Before erasure was final an admin could give an erased account a real number again; the
    command line still refuses to enable it or print a code for it."""
    with app.app_context():
        db.session.execute(update(User).where(User.id == erased).values(phone="0912345678"))
        db.session.commit()

    for command in (["users", "enable", "0912345678"], ["users", "reset-code", "0912345678"]):
        result = runner.invoke(args=command)
        assert result.exit_code != 0 and ERASED in result.output
    assert state(app, erased)[0] is False
    with app.app_context():
        assert db.session.scalar(select(OneTimeCode.id).where(OneTimeCode.user_id == erased)) is None


def test_the_database_refuses_an_active_erased_account(app, erased):
    with app.app_context():
        with pytest.raises(IntegrityError, match="erased_stays_disabled"):
            db.session.execute(update(User).where(User.id == erased).values(is_active=True))
            db.session.flush()
        db.session.rollback()
        assert db.session.get(User, erased).is_active is False
