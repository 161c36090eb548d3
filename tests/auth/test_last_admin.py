"""The installation never loses its last active admin (auth/services.py ``_keep_an_admin``):
neither disabling nor demoting takes it away, one at a time or two admins at once against each
other, and two at once never end in a deadlock (a 503) on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from quizapp import audit
from quizapp.auth import services as accounts
from quizapp.auth.models import User
from quizapp.extensions import db
from tests.attempt_support import run_together
from tests.conftest import PASSWORD, Accounts, csrf_token

LAST_DISABLE = "Không thể khoá quản trị viên cuối cùng"
LAST_DEMOTE = "Không thể bỏ quyền của quản trị viên cuối cùng"


def admin_client(app, phone: str):
    """A new admin account signed in on a browser of its own; its id and the browser."""
    client = app.test_client()
    accounts = Accounts(app, client)
    user_id = accounts.create("admin", phone)
    assert accounts.login(phone, PASSWORD).status_code == 302
    return user_id, client


def disable(client, target: int):
    return client.post(f"/admin/users/{target}/disable", data={"confirm": "1", "csrf_token": csrf_token(client)})


def demote(client, target: int):
    return client.post(f"/admin/users/{target}/role",
                       data={"role": "taker", "confirm": "1", "csrf_token": csrf_token(client)})


def active_admins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.is_active))


def flashed(client) -> str:
    """The next page this browser sees, with the message its last action left (the sign-in page
    for an admin whose sessions the other's action ended)."""
    return client.get("/admin/users", follow_redirects=True).get_data(as_text=True)


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(app, runner):
    first, first_client = admin_client(app, "0911000001")
    second, second_client = admin_client(app, "0911000002")
    # A disabled admin is no way in: demoting it is allowed, and it does not count as another.
    third, _third_client = admin_client(app, "0911000003")
    assert disable(first_client, third).status_code == 302
    assert demote(first_client, third).status_code == 302

    assert demote(first_client, second).status_code == 302
    assert active_admins(app) == 1
    with app.app_context():
        only, other = db.session.get(User, first), db.session.get(User, second)
        other.role, other.is_active = "admin", False  # an admin again, but disabled: no way in
        db.session.commit()
        with pytest.raises(accounts.AccountChangeRefused, match=LAST_DEMOTE):
            accounts.set_role(only, "judge", by=other)
        db.session.rollback()
    assert runner.invoke(args=["users", "disable", "0911000001"]).exit_code == 1
    assert active_admins(app) == 1
    with app.app_context():
        assert db.session.get(User, first).role == "admin"


def test_two_admins_at_once_against_each_other_leave_one_and_never_a_503(make_app, database_url, monkeypatch):
    """Each request is held just after its last-admin check until the other has reached its own
    (or for a second): without one lock over every active admin both checks pass, and the
    installation is left with none."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's write lock already lets one writer at a time through")
    app = make_app()
    first, first_client = admin_client(app, "0911000001")
    second, second_client = admin_client(app, "0911000002")
    real_record = audit.record
    both_checked = threading.Barrier(2)

    def record_after_the_other(action, *args, **kwargs):
        if action in ("user.disabled", "user.role_changed"):
            try:
                both_checked.wait(1)
            except threading.BrokenBarrierError:
                pass  # the other request is waiting for the lock, as it should
        return real_record(action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", record_after_the_other)
    for change in (disable, demote):
        both_checked.reset()
        answers = run_together([lambda change=change: change(first_client, second),
                                lambda change=change: change(second_client, first)])
        assert [answer.status_code for answer in answers] == [302, 302]
        assert active_admins(app) == 1
        texts = flashed(first_client) + flashed(second_client)
        assert (LAST_DISABLE if change is disable else LAST_DEMOTE) in texts
        with app.app_context():  # both admins again, for the next way
            for user_id in (first, second):
                user = db.session.get(User, user_id)
                user.role, user.is_active = "admin", True
            db.session.commit()
        # The one that lost its admin role or was disabled signs in again.
        for client, phone in ((first_client, "0911000001"), (second_client, "0911000002")):
            Accounts(app, client).login(phone, PASSWORD)
