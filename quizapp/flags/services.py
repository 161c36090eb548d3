"""Suspicion flags: computed when an attempt is submitted (attempts/services.submit) and again on
a judge's demand, read by the judges' pages, which decide them (judging/services.decide).

Each flag carries the evidence a judge needs to decide, and decides nothing by itself:

- ``too_fast``: the median time per answered question, or the whole attempt, under a floor
  (``FLAG_MIN_SECONDS_PER_ANSWER``, ``FLAG_MIN_ATTEMPT_SECONDS``) — tool-assisted answering;
- ``duplicate_person``: the same name (NFC, case and spacing aside), birth date and unit on
  several accounts that took the round — one person with several chances at a prize;
- ``shared_device``: one device cookie on more than ``FLAG_SHARED_DEVICE_ACCOUNTS`` accounts
  in the round;
- ``burst_ip``: at least ``FLAG_BURST_ACCOUNTS`` accounts starting from one IP within
  ``FLAG_BURST_SECONDS`` — shown, never acted on alone (an office starts together).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, distinct, func, insert, select
from sqlalchemy.orm import aliased

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, AttemptItem
from quizapp.extensions import db
from quizapp.flags.models import INFORMATIONAL, Flag
from quizapp.phone import mask_phone
from quizapp.text import clean_text

# --- computing flags ---------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the checks look at, read in one statement (``gather``): the moments the attempt's
    questions were answered, the accounts that took the round on its device and that started
    from its IP near its start (None when it has no device cookie or IP), and whether any other
    account that took the round shares its owner's birth date and unit (None when the owner gave
    neither), the only case worth comparing names for."""

    answered: list[datetime]
    accounts_on_device: int | None
    accounts_starting: int | None
    namesakes: bool | None


def gather(attempt: Attempt) -> Evidence:
    """The attempt's evidence in one statement: its answered items, with the counts as scalar
    subqueries beside them (joined to the attempt's own row, so they come back when nothing was
    answered too)."""
    this = aliased(Attempt)
    counts = {}
    if attempt.device_id:
        counts["accounts_on_device"] = select(func.count(distinct(Attempt.user_id))).where(
            Attempt.round_id == attempt.round_id, Attempt.device_id == attempt.device_id)
    if attempt.start_ip:
        window = _burst_window()
        counts["accounts_starting"] = select(func.count(distinct(Attempt.user_id))).where(
            Attempt.round_id == attempt.round_id, Attempt.start_ip == attempt.start_ip,
            Attempt.started_at >= attempt.started_at - window, Attempt.started_at <= attempt.started_at + window)
    user = attempt.user
    if user.birth_date is not None and user.unit_id is not None:
        counts["namesakes"] = select(func.count()).select_from(_namesakes(attempt, user).subquery())
    rows = db.session.execute(
        select(AttemptItem.answered_at, *(query.scalar_subquery().label(name) for name, query in counts.items()))
        .select_from(this)
        .outerjoin(AttemptItem, and_(AttemptItem.attempt_id == this.id, AttemptItem.answered_at.is_not(None)))
        .where(this.id == attempt.id)
    ).all()
    first = rows[0]._mapping
    return Evidence(
        answered=sorted(row.answered_at for row in rows if row.answered_at is not None),
        accounts_on_device=first.get("accounts_on_device"),
        accounts_starting=first.get("accounts_starting"),
        namesakes=bool(first["namesakes"]) if "namesakes" in first else None,
    )


def found_flags(attempt: Attempt) -> dict[str, dict]:
    """The evidence of each flag the attempt's evidence supports, by kind. Writes nothing."""
    evidence = gather(attempt)
    found = {}
    for kind, check in CHECKS.items():
        raised = check(attempt, evidence)
        if raised is not None:
            found[kind] = raised
    return found


def raise_new_flags(attempt: Attempt) -> None:
    """Store the flags of an attempt that has none yet: one being submitted, which no scan can
    have flagged while it was open. One INSERT when a flag is raised, none otherwise."""
    found = found_flags(attempt)
    if found:
        db.session.execute(insert(Flag.__table__), [
            {"round_id": attempt.round_id, "attempt_id": attempt.id, "user_id": attempt.user_id, "kind": kind,
             "evidence": evidence} for kind, evidence in found.items()])


def flag_attempt(attempt: Attempt) -> list[Flag]:
    """Raise every flag the attempt's evidence supports; return its flags. A decided flag
    keeps the evidence it was decided on. Never commits."""
    found = found_flags(attempt)
    existing = {flag.kind: flag for flag in db.session.scalars(select(Flag).where(Flag.attempt_id == attempt.id))}
    for kind, evidence in found.items():
        flag = existing.get(kind)
        if flag is None:
            existing[kind] = flag = Flag(round_id=attempt.round_id, attempt_id=attempt.id, user_id=attempt.user_id,
                                         kind=kind, evidence=evidence)
            db.session.add(flag)
        elif flag.decision is None:
            flag.evidence = evidence
    db.session.flush()
    return list(existing.values())


def flag_round(round_id: int) -> int:
    """Recompute the flags of every submitted attempt of a round (a judge's "scan again")."""
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.round_id == round_id, Attempt.status == "submitted").order_by(Attempt.id)
    ).all()
    return sum(len(flag_attempt(attempt)) for attempt in attempts)


def _too_fast(attempt: Attempt, evidence: Evidence) -> dict | None:
    if attempt.status != "submitted" or attempt.submitted_at is None:
        return None
    config = current_app.config
    answered = evidence.answered
    if len(answered) < int(config["FLAG_MIN_ANSWERED"]):
        return None
    moments = [attempt.started_at, *answered]
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(moments, moments[1:], strict=False)]
    median = statistics.median(gaps)
    duration = (attempt.submitted_at - attempt.started_at).total_seconds()
    per_answer, total = float(config["FLAG_MIN_SECONDS_PER_ANSWER"]), float(config["FLAG_MIN_ATTEMPT_SECONDS"])
    if median >= per_answer and duration >= total:
        return None
    return {"median_seconds_per_answer": round(median, 2), "duration_seconds": round(duration, 1),
            "answered": len(answered), "correct": attempt.correct_count,
            "floors": {"seconds_per_answer": per_answer, "attempt_seconds": total}}


def _namesakes(attempt: Attempt, user: User):
    """Other accounts that took the round with the owner's birth date and unit."""
    return select(User).where(
        User.id != user.id, User.birth_date == user.birth_date, User.unit_id == user.unit_id,
        User.id.in_(select(Attempt.user_id).where(Attempt.round_id == attempt.round_id)))


def _duplicate_person(attempt: Attempt, evidence: Evidence) -> dict | None:
    if not evidence.namesakes:
        return None
    user = attempt.user
    name = clean_text(user.full_name).casefold()
    others = [other for other in db.session.scalars(_namesakes(attempt, user))
              if clean_text(other.full_name).casefold() == name]
    if not others:
        return None
    return {"other_accounts": [{"user_id": other.id, "phone": mask_phone(other.phone)} for other in others]}


def _shared_device(attempt: Attempt, evidence: Evidence) -> dict | None:
    accounts = evidence.accounts_on_device
    if accounts is None or accounts <= int(current_app.config["FLAG_SHARED_DEVICE_ACCOUNTS"]):
        return None
    return {"accounts_on_device": accounts, "device": attempt.device_id[:6] + "…"}


def _burst_window() -> timedelta:
    return timedelta(seconds=int(current_app.config["FLAG_BURST_SECONDS"]))


def _burst_ip(attempt: Attempt, evidence: Evidence) -> dict | None:
    accounts = evidence.accounts_starting
    if accounts is None or accounts < int(current_app.config["FLAG_BURST_ACCOUNTS"]):
        return None
    return {"ip": attempt.start_ip, "accounts_starting": accounts, "within_seconds": _burst_window().total_seconds()}


CHECKS = {"too_fast": _too_fast, "duplicate_person": _duplicate_person, "shared_device": _shared_device,
          "burst_ip": _burst_ip}


# --- reading ---------------------------------------------------------------------------------


def flagged_attempts(round_id: int) -> list[tuple[Attempt, list[Flag]]]:
    """The round's attempts that have flags, most flags first, with their flags."""
    flags = db.session.scalars(select(Flag).where(Flag.round_id == round_id).order_by(Flag.attempt_id, Flag.kind))
    by_attempt: dict[int, list[Flag]] = {}
    for flag in flags:
        by_attempt.setdefault(flag.attempt_id, []).append(flag)
    attempts = {attempt.id: attempt for attempt in db.session.scalars(
        select(Attempt).where(Attempt.id.in_(list(by_attempt))))}
    rows = [(attempts[attempt_id], items) for attempt_id, items in by_attempt.items()]
    rows.sort(key=lambda row: (-sum(flag.kind not in INFORMATIONAL for flag in row[1]), row[0].id))
    return rows
