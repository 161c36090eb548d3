"""The server's clock and the column type that stores its readings.

All times are timezone-aware UTC in Python. Callers take the time from ``utcnow`` so that
tests can replace one function instead of patching ``datetime`` everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from quizapp.formatting import zone_label


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_time(value: datetime | None, zone: str, pattern: str = "%H:%M %d/%m/%Y") -> str:
    """``value`` as the clocks of ``zone`` show it (a contest's zone); "" for no time."""
    return value.astimezone(ZoneInfo(zone)).strftime(pattern) if value else ""


def labelled_time(value: datetime | None, zone: str, pattern: str = "%H:%M %d/%m/%Y") -> str:
    """``value`` in ``zone`` with the zone said as people say it: "08:30 07/12/2026 (giờ Việt
    Nam)"; "" for no time. Staff pages show times this way, never in UTC or by the zone's code."""
    return f"{local_time(value, zone, pattern)} ({zone_label(zone)})" if value else ""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC on the way in and out.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC and the zone is put back when it is read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """The server's time for the rules of contests; a test may set a clock on the app
    (``app.extensions["quizapp.clock"] = lambda: …``) to move time without sleeping."""
    if has_app_context():
        override = current_app.extensions.get("quizapp.clock")
        if override is not None:
            return override()
    return utcnow()


def local_date(moment: datetime | None = None) -> date:
    """The date the installation's clocks (``TIMEZONE``, Vietnam's) show at ``moment``, by
    default now on the app clock."""
    return (moment or now()).astimezone(ZoneInfo(str(current_app.config["TIMEZONE"]))).date()


def grace() -> timedelta:
    """How long past a deadline, an attempt's or a round's close, the server still takes a save
    or a submit (``ATTEMPT_GRACE_SECONDS``, DESIGN §3 rule 1): a phone's last answer may be in
    flight when the time runs out."""
    return timedelta(seconds=int(current_app.config["ATTEMPT_GRACE_SECONDS"]))
