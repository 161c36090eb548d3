"""What a certificate keeps: its public code and the facts printed on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db

AWARD, PARTICIPATION = "award", "participation"


class Certificate(db.Model):
    """One person's certificate for one locked round: for their award, or for taking part.

    Issued the first time it is made (a winner's own download, or the judges' ZIP), not at the
    lock: locking stays as quick as it was, a contest may decide to certify participants after
    the lock, and a certificate made again carries the same code. The facts printed on it come
    from the locked snapshot, which never changes, and are kept here so the verification page
    reads one row; erasing the person (quizapp/privacy/erasure.py) blanks the name, unit and
    phone and sets ``erased_at``; the award stays on record."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint(f"kind IN ('{AWARD}', '{PARTICIPATION}')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int | None]
    award: Mapped[str | None] = mapped_column(String(100))
    holder_name: Mapped[str | None] = mapped_column(String(200))
    holder_unit: Mapped[str | None] = mapped_column(String(300))
    # Masked as the public results show it ("09xx xxx 678"): the page never needs more.
    holder_phone: Mapped[str | None] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
