"""The retention purge (DESIGN §5 ``flask privacy purge``): the personal data of takers whose
last activity — registration, sign-in or attempt, whichever is latest — is older than
``PRIVACY_RETENTION_DAYS`` and none of whose rounds is still under way is erased as deletion
erases it (erasure.py).

A round is over once its result is locked, or, for a practice round (never locked), once it
has closed. A taker with an attempt in a round that is open, or closed but not yet locked, is
kept. Staff accounts (organiser, judge, admin) are never purged; accounts already erased are
skipped. Run daily (README, "Retention": cron or the systemd timer in deploy/systemd).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, not_, or_, select

from quizapp.auth.models import User
from quizapp.clock import now
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.models import RoundResult
from quizapp.privacy.erasure import erase_person, remake_files, scrub_storage

BATCH = 200


def retention_days() -> int:
    return int(current_app.config["PRIVACY_RETENTION_DAYS"])


def due_for_purge(moment: datetime | None = None) -> list[int]:
    """The ids of the takers the purge would erase now, in id order."""
    moment = moment or now()
    cutoff = moment - timedelta(days=retention_days())
    last_attempt = (select(func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)))
                    .where(Attempt.user_id == User.id).scalar_subquery())
    locked = exists().where(RoundResult.round_id == Round.id)
    still_running = (
        select(Attempt.id).join(Round, Round.id == Attempt.round_id)
        .where(Attempt.user_id == User.id,
               or_(and_(Round.practice.is_(True), Round.closes_at >= moment),
                   and_(Round.practice.is_(False), not_(locked))))
    )
    statement = (
        select(User.id)
        .where(User.role == "taker", User.erased_at.is_(None), User.created_at < cutoff,
               or_(User.last_login_at.is_(None), User.last_login_at < cutoff),
               or_(last_attempt.is_(None), last_attempt < cutoff),
               not_(exists(still_running)))
        .order_by(User.id)
    )
    return list(db.session.scalars(statement))


def purge(*, dry_run: bool = False) -> int:
    """Erase every taker due (see the module's docstring), committing in batches; with
    ``dry_run`` change nothing. Returns how many."""
    due = due_for_purge()
    if dry_run:
        return len(due)
    erasures = []
    for start in range(0, len(due), BATCH):
        erasures += [erase_person(db.session.get(User, user_id), "retention") for user_id in due[start:start + BATCH]]
        db.session.commit()
    if due:
        scrub_storage()
        remake_files(erasures)
    return len(due)
