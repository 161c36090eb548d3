from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db


class Unit(db.Model):
    """One node of the organisation directory (province, district, commune, department…).

    Loaded from a file by code, never hard-coded: Vietnam's administrative units change
    (the 2025 mergers), so a unit is identified by the code the organiser gives it.
    """

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # People the unit has, for participation-rate prizes; unknown when empty.
    headcount: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
