"""The accounts' services, not the views, hold the consent rule (DESIGN §3 rule 7): any caller
of ``register_user`` or ``update_profile`` (a view, the CLI, the demo loader, a future
endpoint) must bring the consent, and it is written in the transaction of the change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quizapp.auth import services as accounts
from quizapp.auth.models import User
from quizapp.auth.terms import GivenConsent, on_paper
from quizapp.extensions import db
from quizapp.privacy.consent import ConsentMissing, GuardianConsentRequired
from quizapp.privacy.models import Consent
from quizapp.privacy.notice import VERSION
from tests.attempt_support import install_clock
from tests.conftest import CONSENT, PASSWORD

# 10:00 in Hà Nội on 2026-03-15.
NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
GUARDIAN = {"guardian_name": "Trần Thị Mẹ", "guardian_phone": "0966000222", "guardian_consent": True}
CHILD = date(2014, 1, 1)
PHONE = "0966000700"


def counts() -> tuple[int, int]:
    return db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Consent.id)))


def register(consent: GivenConsent, **fields) -> User:
    return accounts.register_user(phone=PHONE, password=PASSWORD, full_name="Nguyễn Văn Gọi", consent=consent,
                                  **fields)


def test_no_account_or_profile_change_without_the_consent_argument(app, auth):
    user_id = auth.create(phone=PHONE)
    with app.app_context():
        with pytest.raises(TypeError, match="consent"):
            accounts.register_user(phone="0966000701", password=PASSWORD, full_name="Nguyễn Văn Gọi")
        with pytest.raises(TypeError, match="consent"):
            accounts.update_profile(db.session.get(User, user_id), full_name="Ai đó", birth_date=CHILD)


# Each case makes its consent inside the app: paper consent reads the app's current version.
@pytest.mark.parametrize(("consent", "fields", "refusal"), [
    (lambda: GivenConsent({}, "api"), {}, ConsentMissing),
    (lambda: GivenConsent({"consent_version": "2025-01-01"}, "web"), {}, ConsentMissing),
    (lambda: GivenConsent(CONSENT, "api"), {"birth_date": CHILD}, GuardianConsentRequired),
    (lambda: GivenConsent({**CONSENT, **GUARDIAN, "guardian_consent": False}, "web"), {"birth_date": CHILD},
     GuardianConsentRequired),
    # Paper the organisation holds is the person's own consent: a child's still needs a guardian.
    (on_paper, {"birth_date": CHILD}, GuardianConsentRequired),
], ids=["none", "old-version", "child-alone", "guardian-unticked", "child-on-paper"])
def test_register_user_refuses_without_consent_and_writes_nothing(app, consent, fields, refusal):
    install_clock(app, NOW)
    with app.app_context():
        with pytest.raises(refusal):
            register(consent(), **fields)
        db.session.commit()
        assert counts() == (0, 0)


def test_paper_consent_is_to_the_current_version(app):
    with app.app_context():
        assert on_paper() == GivenConsent({"consent_version": VERSION}, "paper")
        assert register(on_paper()).consent_version == VERSION


def test_register_user_writes_the_consent_with_the_account(app):
    install_clock(app, NOW)
    with app.app_context():
        user = register(GivenConsent({**CONSENT, **GUARDIAN}, "api"), birth_date=CHILD)
        # Written (flushed) by the service itself, before any caller commits.
        row = db.session.scalar(select(Consent).where(Consent.user_id == user.id))
        assert (user.consent_version, row.version, row.how, row.guardian_name, row.guardian_consent) == (
            VERSION, VERSION, "api", "Trần Thị Mẹ", True)
        db.session.commit()
        assert counts() == (1, 1)


def test_an_account_whose_consent_cannot_be_written_is_not_created(app):
    """The consent row and the account are one transaction: the database refuses the consent
    (an unknown way of giving it breaks its check constraint), and no account remains."""
    install_clock(app, NOW)
    with app.app_context():
        with pytest.raises(IntegrityError):
            register(GivenConsent(CONSENT, "fax"))
        db.session.rollback()
        assert counts() == (0, 0)
        assert accounts.find_by_phone(PHONE) is None


def test_update_profile_refuses_a_childs_birth_date_without_a_guardian(app, auth):
    install_clock(app, NOW)
    user_id = auth.create(phone=PHONE, birth_date=date(1990, 1, 1))
    with app.app_context():
        user = db.session.get(User, user_id)
        with pytest.raises(GuardianConsentRequired):
            accounts.update_profile(user, consent=GivenConsent(CONSENT, "web"), full_name="Tên Mới",
                                    birth_date=CHILD)
        db.session.commit()
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.full_name, user.birth_date, counts()) == ("Người dùng taker", date(1990, 1, 1), (1, 1))


def test_update_profile_records_the_guardian_with_the_change(app, auth):
    install_clock(app, NOW)
    user_id = auth.create(phone=PHONE)
    with app.app_context():
        user = db.session.get(User, user_id)
        # Another field, or an adult's birth date, needs nothing more.
        accounts.update_profile(user, consent=GivenConsent({}, "web"), full_name="Tên Mới", birth_date=date(1990, 1, 1))
        accounts.update_profile(user, consent=GivenConsent(GUARDIAN, "web"), full_name="Tên Mới", birth_date=CHILD)
        db.session.commit()
    with app.app_context():
        assert db.session.get(User, user_id).birth_date == CHILD
        rows = db.session.execute(select(Consent.how, Consent.guardian_name).where(Consent.user_id == user_id)
                                  .order_by(Consent.id)).all()
        assert rows == [("paper", None), ("web", "Trần Thị Mẹ")]


def test_a_birth_date_whose_consent_cannot_be_written_is_not_changed(app, auth):
    install_clock(app, NOW)
    user_id = auth.create(phone=PHONE, birth_date=date(1990, 1, 1))
    with app.app_context():
        user = db.session.get(User, user_id)
        accounts.update_profile(user, consent=GivenConsent(GUARDIAN, "fax"), full_name="Tên Mới", birth_date=CHILD)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.full_name, user.birth_date, counts()) == ("Người dùng taker", date(1990, 1, 1), (1, 1))
