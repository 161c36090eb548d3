"""Consent on record (Law 91/2025/QH15, DESIGN §3 rule 7): registration needs the current
notice's consent, a person under 16 also a parent's or guardian's, and an account without
consent to the current version is asked again. Never commits.

Accounts and attempts sit below this room: ``init_app`` hands them the current version and
the checks through ``quizapp.auth.terms``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial

from flask import Flask

from quizapp import clock
from quizapp.auth import terms
from quizapp.auth.models import User
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.phone import normalise_phone
from quizapp.privacy.models import Consent
from quizapp.privacy.notice import VERSION
from quizapp.text import clean_text

# Below this age on the day (Vietnam's), a person's consent needs a parent's or guardian's too.
GUARDIAN_AGE = 16
TICKED = frozenset({"1", "y", "on", "true"})


class ConsentMissing(ValidationFailed):
    """Registration or consent without the current notice's version."""

    code = "consent_required"
    message = "Vui lòng đọc Thông báo về xử lý dữ liệu cá nhân và đánh dấu đồng ý."


class GuardianConsentRequired(ValidationFailed):
    code = "guardian_consent_required"
    message = ("Người chưa đủ 16 tuổi cần cha, mẹ hoặc người giám hộ đồng ý: nhập họ tên, số điện thoại "
               "của người đó và đánh dấu ô đồng ý.")


@dataclass(frozen=True)
class Guardian:
    name: str
    phone: str


def age_on(birth_date: date, day: date) -> int:
    """Whole years from ``birth_date`` to ``day``. A 29 February birthday comes on 1 March in
    the years without one: the person is one year older from 1 March."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def needs_guardian(birth_date: date | None) -> bool:
    return birth_date is not None and age_on(birth_date, clock.local_date()) < GUARDIAN_AGE


def _ticked(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in TICKED)


def guardian_from(data: Mapping[str, object]) -> Guardian:
    """The guardian a form or JSON body names; every missing or bad field is named."""
    raw_name, raw_phone = data.get("guardian_name"), data.get("guardian_phone")
    name = clean_text(raw_name) if isinstance(raw_name, str) else ""
    phone = normalise_phone(raw_phone) if isinstance(raw_phone, str) else None
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 120:
        errors["guardian_name"] = ["Nhập họ và tên cha, mẹ hoặc người giám hộ (tối đa 120 ký tự)."]
    if phone is None:
        errors["guardian_phone"] = ["Số điện thoại của cha, mẹ hoặc người giám hộ không hợp lệ: nhập 10 chữ số."]
    if not _ticked(data.get("guardian_consent")):
        errors["guardian_consent"] = ["Cha, mẹ hoặc người giám hộ cần đánh dấu đồng ý."]
    if errors:
        raise GuardianConsentRequired(errors)
    return Guardian(name, phone)


def _current_version_given(data: Mapping[str, object]) -> None:
    if data.get("consent_version") != VERSION:
        raise ConsentMissing({"consent_version": [ConsentMissing.message]})


def record_consent(user: User, *, how: str, guardian: Guardian | None = None) -> Consent:
    """Put a consent to the current notice on record and on the account, in step."""
    consent = Consent(user_id=user.id, version=VERSION, given_at=clock.now(), how=how,
                      guardian_name=guardian.name if guardian else None,
                      guardian_phone=guardian.phone if guardian else None,
                      guardian_consent=guardian is not None)
    db.session.add(consent)
    user.consent_version = VERSION
    return consent


def check_registration(given: terms.GivenConsent, birth_date: date | None) -> terms.Recorder:
    """Refuse a registration without the current version's consent, or of a person under 16
    without a guardian's; else what records it once the account exists."""
    _current_version_given(given.answers)
    guardian = guardian_from(given.answers) if needs_guardian(birth_date) else None
    return partial(record_consent, how=given.how, guardian=guardian)


def check_birth_date(user: User, birth_date: date | None, given: terms.GivenConsent) -> terms.Recorder | None:
    """A birth date first entered or changed on the profile that makes the person under 16
    needs a guardian's consent, recorded with the person's own."""
    if birth_date is None or birth_date == user.birth_date or not needs_guardian(birth_date):
        return None
    guardian = guardian_from(given.answers)
    return partial(record_consent, how=given.how, guardian=guardian)


def give_consent(user: User, data: Mapping[str, object], how: str) -> Consent:
    """A signed-in account consents to the current notice (the consent page, the API); a
    person under 16 today with a guardian's consent too."""
    _current_version_given(data)
    guardian = guardian_from(data) if needs_guardian(user.birth_date) else None
    return record_consent(user, how=how, guardian=guardian)


def init_app(app: Flask) -> None:
    terms.init_app(app, terms.Terms(version=VERSION, consent_endpoint="privacy.consent",
                                    check_registration=check_registration, check_birth_date=check_birth_date))
    app.jinja_env.globals.update(privacy_version=VERSION, guardian_age=GUARDIAN_AGE)
