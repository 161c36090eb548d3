"""The audit log: who did what to what, when, with the value before and after.

Organisers', judges' and admins' actions call ``record`` in the same transaction as the
change itself, so a change and its record are committed, or rolled back, together.
Commands run from the shell record no actor.

The audit log sits below every feature, accounts included (auth records its changes here), so it
names the actor by id only; pages that show the log join the account themselves.
"""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db


class AuditEvent(db.Model):
    """One action. Erasing a person's data (privacy/erasure.py) finds the events that name them
    through indexes, never by reading the whole log: by target (an account, an attempt, a round),
    by actor, and by ``subject_id``, the account an event names in its data when its target is
    something else (a contest's staff member by phone)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    subject_id: Mapped[int | None] = mapped_column(index=True)


def record(action: str, target_type: str, target_id: object, *, before: dict | None = None,
           after: dict | None = None, subject: int | None = None) -> AuditEvent:
    """Add an audit event for the signed-in user (none from the command line); never commits.
    ``subject``: the account whose personal data ``before`` or ``after`` holds, when the target
    is not that account (so that erasing the person finds the event)."""
    actor = current_user.id if has_request_context() and current_user.is_authenticated else None
    event = AuditEvent(
        actor_id=actor, action=action, target_type=target_type, target_id=str(target_id),
        before=before, after=after, ip=request.remote_addr if has_request_context() else None,
        subject_id=subject,
    )
    db.session.add(event)
    return event


# Who looked at other people's personal data (issue 19 item 8): one event per page shown or file
# asked for that lists people's phones or ID numbers, never one per person listed.
PERSONAL_DATA_VIEWED = "personal_data.viewed"
# Downloads of such files, recorded under their own names when a judge asks for them.
PERSONAL_DATA_EXPORTS = ("ranking.exported", "awards.exported", "attempts.exported", "standings.exported",
                         "audit.exported")
PERSONAL_DATA_ACTIONS = (PERSONAL_DATA_VIEWED, *PERSONAL_DATA_EXPORTS)


def personal_data_viewed(what: str, target_type: str, target_id: object, **details: object) -> AuditEvent:
    """Record that the signed-in user (or the command line) was shown ``what`` (a page's or an
    export's name) listing other people's phones or ID numbers; never commits."""
    return record(PERSONAL_DATA_VIEWED, target_type, target_id, after={"what": what, **details})


# The retention purge (privacy/purge.py), daily by the background worker or by hand: one event per
# run with how many it erased, and one for a daily run that failed.
PURGE_ACTIONS = ("privacy.purged", "privacy.purge_failed")
