""""Dữ liệu của tôi": everything the platform keeps about one person (DESIGN §3 rule 7, §5 ``GET
/me/data``), gathered for that person alone.

What is listed, and what is not:

- **Profile**, with their own ID number (CCCD) in full: it is theirs.
- **Consents** (``consent_lookup.consents_of``).
- **Sessions**: when each sign-in began and whether and when it ended (not the session's id).
- **Attempts** with their times, where they were started from (the device cookie and the IP
  address, which the platform keeps about them), and the number of correct answers only where
  the round's review policy already lets the taker see it (``attempts.services.score_allowed``):
  a round reviewed ``after_close`` shows no score until it has closed. An attempt still open
  past its deadline is listed as it is stored; the score is hidden until it is submitted.
- **Rank and award** of a locked round, read from the locked snapshot (judging/locking.py), so
  they are the official result. Nothing before the lock (DESIGN §7: the award only after it).
- **Suspicion flags.** A flag is personal data processed about the person (an automated check of
  their attempt that judges act on), and the Personal Data Protection Law (91/2025/QH15) gives
  the person the right to know what is processed about them and to access it. So each flag is
  listed with its kind, when it was raised and the judges' decision (pending, cleared,
  disqualified); its evidence is not: it names other accounts, devices and addresses, which are
  other people's data, and the judges' internal notes (the disqualification reason) stay out
  for the same reason.
- **Audit events about them**: the events on their account (what changed, before and after,
  when, and whether they, the organisers or the command line did it, but not which staff member)
  and the judges' decisions on their attempts (whether the attempt was disqualified).

The cost is bounded whatever the person did: one query per kind above (the attempts with their
rounds and contests in one), and a locked round's snapshot is searched for the person's attempt
ids as bytes, never parsed whole.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import contains_eager

from quizapp.api.routes import user_json
from quizapp.attempts.services import score_allowed
from quizapp.audit import AuditEvent
from quizapp.auth.models import User, UserSession
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.flags.models import KIND_LABELS, Flag
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN
from quizapp.judging.models import RoundResult
from quizapp.judging.rows import HEADER
from quizapp.privacy.consent_lookup import consents_of

# How the page names the audit events that can be about a person.
ACTION_LABELS = {
    "user.created": "Tạo tài khoản",
    "user.updated": "Sửa thông tin cá nhân",
    "user.role_changed": "Đổi vai trò",
    "user.units_editor": "Đổi quyền sửa danh mục đơn vị",
    "user.disabled": "Khoá tài khoản",
    "user.enabled": "Mở khoá tài khoản",
    "user.password_reset": "Đặt lại mật khẩu",
    "user.reset_code": "Cấp mã đặt lại mật khẩu",
    "attempt.disqualified": "Ban giám khảo loại lượt thi",
    "attempt.cleared": "Ban giám khảo giữ lại lượt thi",
}
# How the page names the fields those events change.
FIELD_LABELS = {
    "full_name": "Họ và tên", "phone": "Số điện thoại", "unit_code": "Đơn vị", "role": "Vai trò",
    "is_active": "Tài khoản hoạt động", "can_edit_units": "Quyền sửa danh mục đơn vị", "code": "Nhận mã qua",
    "minutes": "Hiệu lực của mã (phút)", "disqualified": "Bị loại",
}
DECISION_LABELS = {None: "Chưa xem xét", "cleared": "Không vi phạm", "disqualified": "Bị loại"}
# From a judges' decision on an attempt, only the outcome is the person's: the reason and the
# flags' evidence may name other accounts.
ATTEMPT_EVENT_FIELDS = ("disqualified",)


def my_data(user: User, now: datetime, *, session_id: str | None = None) -> dict[str, object]:
    """Everything kept about ``user`` as of ``now``; times are aware datetimes (UTC).
    ``session_id`` marks the session the request came with as ``current``."""
    attempts = db.session.scalars(
        select(Attempt).join(Attempt.round).join(Round.contest)
        .options(contains_eager(Attempt.round).contains_eager(Round.contest))
        .where(Attempt.user_id == user.id).order_by(Attempt.started_at, Attempt.id)
    ).all()
    ranks = locked_rows(attempts)
    return {
        "profile": profile(user),
        "consents": [_aware_values(consent) for consent in consents_of(user.id)],
        "sessions": sessions(user, session_id),
        "attempts": [attempt_entry(attempt, now, ranks.get(attempt.id)) for attempt in attempts],
        "awards": awards(attempts, ranks),
        "flags": flags(user),
        "audit_events": audit_events(user),
    }


def profile(user: User) -> dict[str, object]:
    """The account as the API's ``user`` shows it to its owner, and what that leaves out."""
    return {
        **user_json(user),
        "id_number": user.id_number,
        "active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "phone_verified_at": user.phone_verified_at,
    }


def sessions(user: User, current: str | None) -> list[dict[str, object]]:
    records = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                 .order_by(UserSession.created_at.desc(), UserSession.id))
    return [{"started_at": record.created_at, "ended_at": record.ended_at, "current": record.id == current}
            for record in records]


def attempt_entry(attempt: Attempt, now: datetime, ranked: tuple[list[str], datetime] | None) -> dict[str, object]:
    visible = score_allowed(attempt, now)
    return {
        "id": attempt.id,
        "contest": attempt.round.contest.title,
        "round": attempt.round.title,
        "round_id": attempt.round_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "expired": attempt.expired,
        "duration_ms": attempt.duration_ms,
        "question_count": attempt.question_count,
        "score_visible": visible,
        "correct_count": attempt.correct_count if visible else None,
        "prediction": attempt.prediction,
        "disqualified": attempt.disqualified,
        "rank": int(ranked[0][0]) if ranked else None,
        "device_id": attempt.device_id,
        "start_ip": attempt.start_ip,
    }


def awards(attempts: list[Attempt], ranks: dict[int, tuple[list[str], datetime]]) -> list[dict[str, object]]:
    """The awards of locked rounds the person won, as the official result names them."""
    won = []
    for attempt in attempts:
        row, locked_at = ranks.get(attempt.id, (None, None))
        if row and row[AWARD_COLUMN]:
            won.append({"contest": attempt.round.contest.title, "round": attempt.round.title,
                        "round_id": attempt.round_id, "attempt_id": attempt.id, "rank": int(row[0]),
                        "award": row[AWARD_COLUMN], "locked_at": locked_at})
    return won


def locked_rows(attempts: list[Attempt]) -> dict[int, tuple[list[str], datetime]]:
    """Attempt id -> its row in its round's locked snapshot and when the round was locked, for
    the attempts that have one (a round's counting attempt, unless disqualified)."""
    by_round: dict[int, list[int]] = defaultdict(list)
    for attempt in attempts:
        by_round[attempt.round_id].append(attempt.id)
    if not by_round:
        return {}
    found = {}
    for result in db.session.scalars(select(RoundResult).where(RoundResult.round_id.in_(by_round))):
        for attempt_id, row in snapshot_rows_of(result.canonical_csv, by_round[result.round_id]).items():
            found[attempt_id] = (row, result.locked_at)
    return found


def snapshot_rows_of(canonical: bytes, attempt_ids: list[int]) -> dict[int, list[str]]:
    """The rows of a canonical snapshot CSV whose attempt id (the last column) is one of
    ``attempt_ids``, found by searching the bytes for ``,<id>CRLF`` and parsing only that line.
    Names and units are single-line text (``text.clean_text``), so a row is one line; a match
    that does not parse as a full row with that id is skipped."""
    rows = {}
    for attempt_id in attempt_ids:
        ending = b",%d\r\n" % attempt_id
        at = canonical.find(ending)
        while at != -1:
            start = canonical.rfind(b"\n", 0, at) + 1
            line = canonical[start:at + len(ending)].decode("utf-8")
            row = next(csv.reader([line]), [])
            if len(row) == len(HEADER) and row[ATTEMPT_COLUMN] == str(attempt_id) and row[0].isdigit():
                rows[attempt_id] = row
                break
            at = canonical.find(ending, at + 1)
    return rows


def flags(user: User) -> list[dict[str, object]]:
    found = db.session.execute(
        select(Flag.kind, Flag.attempt_id, Flag.created_at, Flag.decision, Flag.decided_at, Round.title,
               Contest.title)
        .join(Round, Round.id == Flag.round_id).join(Contest, Contest.id == Round.contest_id)
        .where(Flag.user_id == user.id).order_by(Flag.created_at, Flag.id)
    ).all()
    return [{"kind": kind, "label": KIND_LABELS.get(kind, kind), "attempt_id": attempt_id, "contest": contest,
             "round": round_title, "raised_at": raised_at, "decision": decision, "decided_at": decided_at}
            for kind, attempt_id, raised_at, decision, decided_at, round_title, contest in found]


def audit_events(user: User) -> list[dict[str, object]]:
    own_attempts = select(cast(Attempt.id, String)).where(Attempt.user_id == user.id)
    events = db.session.scalars(
        select(AuditEvent).where(or_(
            and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id)),
            and_(AuditEvent.target_type == "attempt", AuditEvent.target_id.in_(own_attempts)),
        )).order_by(AuditEvent.at, AuditEvent.id)
    )
    return [event_entry(event, user) for event in events]


def event_entry(event: AuditEvent, user: User) -> dict[str, object]:
    before, after = dict(event.before or {}), dict(event.after or {})
    if event.target_type == "attempt":
        before = {key: value for key, value in before.items() if key in ATTEMPT_EVENT_FIELDS}
        after = {key: value for key, value in after.items() if key in ATTEMPT_EVENT_FIELDS}
    by = "self" if event.actor_id == user.id else "system" if event.actor_id is None else "staff"
    return {"at": event.at, "action": event.action, "label": ACTION_LABELS.get(event.action, event.action),
            "target": event.target_type if event.target_type == "user" else f"attempt {event.target_id}",
            "by": by, "before": before or None, "after": after or None}


def as_json(value: object) -> object:
    """``value`` with datetimes and dates written as ISO 8601 (datetimes in UTC, with offset)."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _aware(moment: datetime) -> datetime:
    # A table read without the models' UTCDateTime (the consents) gives SQLite's naive UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _aware_values(row: dict[str, object]) -> dict[str, object]:
    return {key: _aware(value) if isinstance(value, datetime) else value for key, value in row.items()}
