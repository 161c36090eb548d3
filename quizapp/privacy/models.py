from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db

# How a consent was given: on the registration or consent page, through the JSON API, or to
# the organisation on paper (accounts made by `flask users create` and the demo loader).
CONSENT_WAYS = ("web", "api", "paper")


class Consent(db.Model):
    """One consent to one version of the privacy notice, with the guardian's for a child.

    The account's latest version is also kept on ``users.consent_version`` (privacy/consent.py
    writes both), so checks read it with the account instead of this table."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("how IN ('web', 'api', 'paper')", name="how_known"),
        CheckConstraint("NOT guardian_consent OR (guardian_name IS NOT NULL AND guardian_phone IS NOT NULL)",
                        name="guardian_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    how: Mapped[str] = mapped_column(String(8))
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_phone: Mapped[str | None] = mapped_column(String(10))
    guardian_consent: Mapped[bool] = mapped_column(default=False)
