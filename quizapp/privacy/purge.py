"""The retention purge (DESIGN §5 ``flask privacy purge``): the personal data of takers whose
last activity — registration, sign-in or attempt, whichever is latest — and the close of every
round they took part in are both older than ``PRIVACY_RETENTION_DAYS``, and none of whose rounds
is still under way, is erased as deletion erases it (erasure.py).

A round is over once its result is locked, or, for a practice round (never locked), once it
has closed. A taker with an attempt in a round that is open, or closed but not yet locked, is
kept, and so is one with an attempt in a round closed less than the retention period ago.
Staff accounts (organiser, judge, admin) are never purged; accounts already erased are skipped.
The background worker runs it daily at ``PRIVACY_PURGE_AT`` (``daily_purge``, registered with
quizapp/jobs/daily.py); ``flask privacy purge`` runs it by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, not_, or_, select

from quizapp import audit
from quizapp.attempts.services import write_first
from quizapp.auth.models import User
from quizapp.clock import now
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.models import RoundResult
from quizapp.privacy.erasure import erase_person, remake_files, scrub_storage

BATCH = 200


def retention_days() -> int:
    return int(current_app.config["PRIVACY_RETENTION_DAYS"])


def _due(moment: datetime) -> list:
    """The conditions a taker due for the purge meets at ``moment``."""
    cutoff = moment - timedelta(days=retention_days())
    last_attempt = (select(func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)))
                    .where(Attempt.user_id == User.id).scalar_subquery())
    locked = exists().where(RoundResult.round_id == Round.id)
    still_running = (
        select(Attempt.id).join(Round, Round.id == Attempt.round_id)
        .where(Attempt.user_id == User.id,
               or_(Round.closes_at >= cutoff, and_(Round.practice.is_(False), not_(locked))))
    )
    return [User.role == "taker", User.erased_at.is_(None), User.created_at < cutoff,
            or_(User.last_login_at.is_(None), User.last_login_at < cutoff),
            or_(last_attempt.is_(None), last_attempt < cutoff),
            not_(exists(still_running))]


def due_for_purge(moment: datetime | None = None) -> list[int]:
    """The ids of the takers the purge would erase now, in id order."""
    return list(db.session.scalars(select(User.id).where(*_due(moment or now())).order_by(User.id)))


def purge(*, dry_run: bool = False, by: str = "command") -> int:
    """Erase every taker due (see the module's docstring), committing in batches, and record in
    the audit log how many (``privacy.purged``; ``by`` is ``command`` or ``daily``); with
    ``dry_run`` change nothing. Returns how many this run erased.

    Another purge may run at the same time (one started by hand while the worker's daily one
    runs): each batch takes the write lock first and reads its takers again under it, still due
    and not erased, so each person is erased by one of them, once."""
    due = due_for_purge()
    if dry_run:
        return len(due)
    erasures = []
    for start in range(0, len(due), BATCH):
        write_first()
        batch = db.session.scalars(select(User).where(User.id.in_(due[start:start + BATCH]), *_due(now()))
                                   .order_by(User.id).with_for_update())
        erasures += [erase_person(user, "retention") for user in batch.all()]
        db.session.commit()
    if erasures:
        scrub_storage()
        remake_files(erasures)
    audit.record("privacy.purged", "users", "*", after={
        "erased": len(erasures), "by": by, "retention_days": retention_days()})
    db.session.commit()
    return len(erasures)


def daily_purge() -> dict:
    """The background worker's daily run (quizapp/jobs/daily.py); a run that fails is in the
    audit log too (``privacy.purge_failed``), where the admin sees the purges."""
    try:
        return {"erased": purge(by="daily")}
    except Exception:
        db.session.rollback()
        audit.record("privacy.purge_failed", "users", "*", after={"by": "daily"})
        db.session.commit()
        raise
