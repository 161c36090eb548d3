"""Erasing a person's personal data: account deletion (``DELETE /api/v1/me``, the page "Xoá tài
khoản") and the retention purge (purge.py) both call ``erase_person``.

What goes: the phone (replaced by a placeholder no real phone can equal: ``PLACEHOLDER_PREFIX``
and the account id), name, birth date, gender, ID number, unit, group, the folded name the
searches read, guardian fields where the account has them, the password (replaced by a hash
nothing verifies), every session, one-time codes, the device and start address of every attempt,
the evidence of suspicion flags that names the person, and the person's data in the audit log
(the events stay). The account is disabled and marked ``erased_at``.

What stays: attempts and answers, as anonymous statistics. In a round not yet locked the
person's attempts are marked ``erased`` and leave the ranking (judging/ranking.py); the round's
kept ranking is forgotten by the flush (judging/materialised.py). In a locked round the snapshot
is blanked for the person (judging/locking.py ``redact_snapshot``: a prize winner keeps rank,
score, name and unit as the legal record) and keeps its published checksum; erasing the
attempts' device and address is the one change the lock lets through, and it is audit-logged.
The person's certificates (judging/certificates) lose the name, unit and phone their
verification pages show, and no certificate is made for them any more.
Stored export files of the rounds and contests concerned are discarded; after the commit
``remake_files`` queues the kept ones (a locked round's, its contest's standings) to be made
again from the blanked snapshot by the background worker (without Redis, the next download
makes them).

Services never commit; after the commit, ``scrub_storage`` makes SQLite overwrite what was
erased (secure_delete, a WAL checkpoint). PostgreSQL keeps dead row versions until VACUUM
reclaims them (autovacuum does it; docs/architecture.md, "Erasure").
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import String, and_, cast, delete, or_, select, text, update

from quizapp import audit
from quizapp.audit import AuditEvent
from quizapp.auth.models import OneTimeCode, User
from quizapp.auth.session import end_all_sessions
from quizapp.clock import utcnow
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.jobs import services as jobs
from quizapp.jobs.models import Job
from quizapp.judging import provisional
from quizapp.judging.certificates.services import forget_holder
from quizapp.judging.locking import ERASED_NAME, erasing, redact_snapshot
from quizapp.judging.models import RoundResult
from quizapp.privacy.models import Consent

PLACEHOLDER_PREFIX = "x"  # normalised phones are ten digits: a letter never is one
ERASED_EVIDENCE = {"erased": True}
ERASED_GUARDIAN = "Người giám hộ (đã xoá dữ liệu)"
REASONS = ("deletion", "retention")
log = logging.getLogger("quizapp.privacy")


@dataclass(frozen=True)
class Erased:
    user_id: int
    attempts: int
    locked_rounds: list[int]
    unlocked_rounds: list[int]
    # The kept files discarded, as ``jobs.start`` takes them: made again by ``remake_files``.
    kept_files: list[dict] = field(default_factory=list)


def placeholder_phone(user_id: int) -> str:
    """A value for ``users.phone`` that is unique (the id is) and fits its ten characters, yet
    that no phone number can ever be (``quizapp.phone`` keeps only digits)."""
    digits = 10 - len(PLACEHOLDER_PREFIX)
    code = _base36(user_id)
    if len(code) > digits:
        raise ValueError(f"account id {user_id} is too large for a phone placeholder")
    return PLACEHOLDER_PREFIX + code.rjust(digits, "0")


def _base36(number: int) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    code = ""
    while True:
        number, rest = divmod(number, 36)
        code = alphabet[rest] + code
        if not number:
            return code


def erase_person(user: User, reason: str) -> Erased:
    """Erase ``user``'s personal data (see the module's docstring); ``reason`` is ``deletion``
    or ``retention``. Audit-logged without the person's data; flushes, never commits."""
    if reason not in REASONS:
        raise ValueError(f"unknown erasure reason {reason!r}")
    _secure_delete_on()
    old = {"phone": user.phone, "full_name": user.full_name, "id_number": user.id_number}
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id)).all()
    round_ids = sorted({attempt.round_id for attempt in attempts})
    results = {result.round_id: result for result in db.session.scalars(
        select(RoundResult).where(RoundResult.round_id.in_(round_ids)))}
    attempt_ids = {attempt.id for attempt in attempts}
    with erasing(db.session, attempt_ids):
        for attempt in attempts:
            attempt.device_id = None
            attempt.start_ip = None
            if attempt.round_id not in results:
                attempt.erased = True
        db.session.flush()
    for result in results.values():
        redact_snapshot(result, attempt_ids)
    # Their certificates' pages stop naming them; the award stays on record.
    certificates = forget_holder(user.id)
    _erase_flags(user, round_ids)
    _erase_audit(user, old, round_ids, attempt_ids)
    _erase_account(user)
    kept_files = _discard_files(round_ids)
    erased = Erased(user.id, len(attempts), sorted(results), [r for r in round_ids if r not in results],
                    kept_files)
    # The event keeps what was done, not to whom beyond the account id.
    audit.record("privacy.erased", "user", user.id, after={
        "reason": reason, "attempts": erased.attempts, "locked_rounds": erased.locked_rounds,
        "unlocked_rounds": erased.unlocked_rounds, "certificates": certificates})
    db.session.flush()
    return erased


def _erase_account(user: User) -> None:
    end_all_sessions(user)
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    user.phone = placeholder_phone(user.id)
    user.full_name = ERASED_NAME  # its validator folds the search key from it
    user.birth_date = None
    user.gender = None
    user.id_number = None
    user.unit_id = None
    user.participant_group = None
    # Not a hash of anything: argon2 refuses to verify it, so no password signs in.
    user.password_hash = "!erased:" + secrets.token_hex(16)
    user.phone_verified_at = None
    user.is_active = False
    user.erased_at = utcnow()
    # A child's guardian (the consents a person gave): the record that consent was given stays,
    # who gave it goes, like the person's own name and phone.
    db.session.execute(
        update(Consent).where(Consent.user_id == user.id, Consent.guardian_name.is_not(None))
        .values(guardian_name=ERASED_GUARDIAN, guardian_phone=user.phone)
        .execution_options(synchronize_session=False))


def _erase_flags(user: User, round_ids: list[int]) -> None:
    """The person's own flags lose their evidence (kind and decision stay); others' flags in the
    same rounds lose the entries that name the person."""
    db.session.execute(update(Flag).where(Flag.user_id == user.id).values(evidence=ERASED_EVIDENCE)
                       .execution_options(synchronize_session=False))
    others = db.session.scalars(select(Flag).where(Flag.round_id.in_(round_ids), Flag.user_id != user.id)).all()
    for flag in others:
        listed = flag.evidence.get("other_accounts") if isinstance(flag.evidence, dict) else None
        if isinstance(listed, list) and any(entry.get("user_id") == user.id for entry in listed):
            flag.evidence = {**flag.evidence,
                             "other_accounts": [entry for entry in listed if entry.get("user_id") != user.id]}


def _erase_audit(user: User, old: dict[str, str | None], round_ids: list[int], attempt_ids: set[int]) -> None:
    """Every event about the account, or naming it in its data (``subject_id``), loses its before
    and after; events the person did lose their address; the other events where the person's
    phone, name or ID number can have been written (staff searching the accounts list or filtering
    the audit log's download, and the events about the person's rounds and attempts: ranking
    searches, judges' reasons) lose their data when they hold one of them. The events themselves
    stay. Each statement finds its events through an index (target, subject, actor), so erasing
    one person never reads the whole log."""
    about = or_(and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id)),
                AuditEvent.subject_id == user.id)
    db.session.execute(update(AuditEvent).where(about).values(before=None, after=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == user.id).values(ip=None)
                       .execution_options(synchronize_session=False))
    needles = {value for value in old.values() if value}
    # JSON columns may hold the text as written or with \u escapes.
    needles |= {json.dumps(value)[1:-1] for value in list(needles)}
    conditions = [cast(column, String).contains(needle, autoescape=True)
                  for column in (AuditEvent.before, AuditEvent.after) for needle in needles]
    # Staff searching the accounts list, and admins downloading the audit log filtered by a person.
    near = or_(and_(AuditEvent.target_type.in_(("users", "audit")), AuditEvent.target_id == "*"),
               and_(AuditEvent.target_type == "round", AuditEvent.target_id.in_([str(r) for r in round_ids])),
               and_(AuditEvent.target_type == "attempt", AuditEvent.target_id.in_([str(a) for a in attempt_ids])))
    if conditions:
        db.session.execute(update(AuditEvent).where(near, or_(*conditions)).values(before=None, after=None)
                           .execution_options(synchronize_session=False))


def _discard_files(round_ids: list[int]) -> list[dict]:
    """Job outputs that may show the person (their rounds' files, their contests' standings):
    gone, so no download serves the erased data again. Returns the kept ones, to be made again."""
    if not round_ids:
        return []
    contest_ids = db.session.scalars(select(Round.contest_id).where(Round.id.in_(round_ids)).distinct()).all()
    # Provisional standings (a round still open) list the person too: computed again without them.
    provisional.forget(list(contest_ids))
    prefixes = [f"judging:round:{round_id}:" for round_id in round_ids]
    prefixes += [f"judging:contest:{contest_id}:" for contest_id in contest_ids]
    kept = []
    for prefix in prefixes:
        kept += [{"kind": job.kind, "args": job.args, "scope": job.scope, "key": job.key, "filename": job.filename,
                  "mimetype": job.mimetype, "keep": True}
                 for job in db.session.scalars(select(Job).where(
                     Job.key.startswith(prefix, autoescape=True), Job.keep, Job.status == "finished"))]
        jobs.discard(prefix)
    return kept


def remake_files(erasures: Iterable[Erased]) -> int:
    """After the commit: queue the kept files the erasures discarded, to be made again from the
    erased data by the background worker. Without Redis nothing is queued (a download would run
    here and now): the next download makes the file. Returns how many were queued."""
    if jobs.queue_for(current_app) is None:
        return 0
    specs = {spec["key"]: spec for erased in erasures for spec in erased.kept_files}
    queued = 0
    for spec in specs.values():
        try:
            jobs.start(**spec)
        except jobs.Unavailable:
            log.warning("Could not queue %s again after an erasure: the next download makes it", spec["key"])
            continue
        queued += 1
    return queued


def _secure_delete_on() -> None:
    """On SQLite, overwrite freed bytes with zeros from now on on this connection, so erased
    values do not stay readable in free pages of the file."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA secure_delete=ON"))


def scrub_storage() -> None:
    """After the commit of an erasure: on SQLite, copy the write-ahead log into the file and
    empty it, so the old values of the erased rows leave the log. Nothing to do on PostgreSQL
    (VACUUM, run by autovacuum, reclaims the dead row versions)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.session.commit()
