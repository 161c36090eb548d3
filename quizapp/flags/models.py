"""Suspicion flags on attempts: their kinds, and the flag with its evidence and the judges' decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import UTCDateTime, utcnow
from quizapp.contests.models import Attempt
from quizapp.extensions import db

KINDS = ("too_fast", "duplicate_person", "shared_device", "burst_ip")
# Shown to judges, never acted on alone: many honest takers start together behind one IP.
INFORMATIONAL = frozenset({"burst_ip"})
DECISIONS = ("cleared", "disqualified")
# How the judges' pages name each kind.
KIND_LABELS = {
    "too_fast": "Làm bài quá nhanh",
    "duplicate_person": "Trùng người (họ tên, ngày sinh, đơn vị) ở nhiều tài khoản",
    "shared_device": "Nhiều tài khoản trên một thiết bị",
    "burst_ip": "Nhiều tài khoản bắt đầu cùng lúc từ một địa chỉ IP (chỉ để tham khảo)",
}


class Flag(db.Model):
    """One reason to look at an attempt again. A flag decides nothing: a judge does
    (judging/services.decide)."""

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
