"""What accounts must agree to, as a higher room (``quizapp/privacy``) says it when the app is
built: the current privacy notice's version, and the checks and records registration and
profile changes make for it. Accounts and attempts call these without importing the room
that owns the notice (docs/architecture.md, Packages)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask import Flask, current_app

from quizapp.errors import DomainError

if TYPE_CHECKING:
    from quizapp.auth.models import User

# What a registration's or a profile change's check hands back: applied to the account once
# it exists (flushed), in the same transaction, so a refused check leaves nothing behind.
Recorder = Callable[["User"], None]


@dataclass(frozen=True)
class GivenConsent:
    """The consent a registration or a birth date entered on the profile comes with, as the
    person gave it. Accounts' services take it and check it before they write anything, so no
    caller makes an account or changes a birth date without it."""

    # The form's or the JSON body's fields: the notice's version ticked, and a guardian's
    # name, phone and consent for a person under 16.
    answers: Mapping[str, object]
    # How it was given: "web", "api", or "paper" (to the organisation, on a signed form).
    how: str


@dataclass(frozen=True)
class Terms:
    # The version of the privacy notice an account must have consented to.
    version: str
    # The page where a signed-in account reads the notice and consents (an endpoint name).
    consent_endpoint: str
    # Checks a registration's consent against its birth date; raises a DomainError.
    check_registration: Callable[[GivenConsent, date | None], Recorder]
    # Checks a birth date entered or changed on the profile against the consent given with
    # it; None when the change needs nothing recorded.
    check_birth_date: Callable[[User, date | None, GivenConsent], Recorder | None]


class ConsentRequired(DomainError):
    """Acting (starting an attempt) with no consent on record for the current notice."""

    status, code = 403, "consent_required"
    message = ("Thông báo về xử lý dữ liệu cá nhân đã được cập nhật: vui lòng đọc và đồng ý "
               "trước khi làm bài (trang “Quyền riêng tư”).")


def init_app(app: Flask, terms: Terms) -> None:
    app.extensions["quizapp.terms"] = terms


def terms() -> Terms:
    return current_app.extensions["quizapp.terms"]


def on_paper() -> GivenConsent:
    """Consent to the current notice given to the organisation on paper (`flask users create`,
    the demo loader): the signed form is collected before the account is made."""
    return GivenConsent({"consent_version": terms().version}, "paper")


def consent_needed(user: User) -> bool:
    """A column of the account the request has loaded already: no query on the start's hot path."""
    return user.consent_version != terms().version
