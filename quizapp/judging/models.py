"""Suspicion flags on attempts, with their evidence and the judges' decisions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import UTCDateTime, utcnow
from quizapp.contests.models import Attempt
from quizapp.extensions import db

KINDS = ("too_fast", "duplicate_person", "shared_device", "burst_ip")
# Shown to judges, never acted on alone: many honest takers start together behind one IP.
INFORMATIONAL = frozenset({"burst_ip"})
DECISIONS = ("cleared", "disqualified")


class Flag(db.Model):
    """One reason to look at an attempt again. A flag decides nothing: a judge does."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("attempt_id", "kind"),
        CheckConstraint("kind IN ('too_fast', 'duplicate_person', 'shared_device', 'burst_ip')", name="kind_known"),
        CheckConstraint("decision IS NULL OR decision IN ('cleared', 'disqualified')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(24))
    evidence: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship()


class RoundResult(db.Model):
    """A round's locked ranking: the canonical CSV (header and rows, UTF-8, CRLF, no BOM) and
    its SHA-256. From the lock on, pages and exports show this snapshot and the round's
    attempts cannot change."""

    __tablename__ = "round_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64))
    canonical_csv: Mapped[bytes] = mapped_column(LargeBinary)

    def snapshot_rows(self) -> Iterator[list[str]]:
        """The locked rows, without the header, read as needed (a page that shows the first
        rows does not parse a hundred thousand)."""
        rows = csv.reader(io.StringIO(self.canonical_csv.decode("utf-8")))
        next(rows, None)
        yield from rows


class AwardOverride(db.Model):
    """A judge's decision on one person's award in a round, with the reason: ``award`` names
    the tier they get, or is None to pass them over. Applied before the tiers go down the
    ranking, so the next eligible person takes a withdrawn award."""

    __tablename__ = "award_overrides"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    award: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
