"""The consents a person gave, as "my data" lists them (``privacy.models.Consent``): each
version of the notice agreed to, when, how (web, API, or on paper) and, for a child, the guardian
who agreed too."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.privacy.models import Consent


def consents_of(user_id: int) -> list[dict[str, object]]:
    """The person's consents, oldest first: ``[{version, given_at, how, guardian_name?, guardian_phone?}]``."""
    rows = db.session.execute(
        select(Consent.version, Consent.given_at, Consent.how, Consent.guardian_name, Consent.guardian_phone)
        .where(Consent.user_id == user_id).order_by(Consent.given_at, Consent.id))
    return [{name: value for name, value in row._mapping.items() if value is not None or name == "given_at"}
            for row in rows]
