"""Judges' decisions on flagged attempts, and the top of a round's ranking for their page.

The flags themselves are raised by the flags package (quizapp/flags/); a judge clears an
attempt's flags or disqualifies it with a reason, both audit-logged. A disqualified attempt leaves
the ranking and the awards; its taker is told only that it is "không đủ điều kiện xét giải",
never how it was found.
"""

from __future__ import annotations

from sqlalchemy import select

from quizapp import audit, clock
from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.errors import DomainError, NotFound
from quizapp.extensions import db
from quizapp.flags.models import INFORMATIONAL, Flag
from quizapp.judging.models import RoundLocked, locked_result
from quizapp.judging.ranking import rank
from quizapp.text import clean_text


class DecisionRefused(DomainError):
    status, code = 409, "decision_refused"


def decide(attempt_id: int, decision: str, reason: str, judge: User) -> Attempt:
    """Clear an attempt's flags, or disqualify it with a reason. Audit-logged; never commits."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("Không tìm thấy lượt thi.")
    if locked_result(attempt.round_id) is not None:
        raise RoundLocked()
    reason = clean_text(reason)
    flags = db.session.scalars(select(Flag).where(Flag.attempt_id == attempt_id)).all()
    before = {"disqualified": attempt.disqualified, "reason": attempt.disqualify_reason,
              "flags": {flag.kind: flag.decision for flag in flags}}
    if decision == "disqualify":
        if not reason:
            raise DecisionRefused("Cần ghi lý do loại lượt thi.")
        if flags and all(flag.kind in INFORMATIONAL for flag in flags):
            raise DecisionRefused("Dấu hiệu nhiều tài khoản cùng địa chỉ IP chỉ để tham khảo, không đủ để loại "
                                  "lượt thi; cần thêm căn cứ khác.")
        attempt.disqualified, attempt.disqualify_reason, outcome = True, reason, "disqualified"
    elif decision == "clear":
        attempt.disqualified, attempt.disqualify_reason, outcome = False, None, "cleared"
    else:
        raise DecisionRefused("Quyết định không hợp lệ.")
    now = clock.now()
    for flag in flags:
        flag.decision, flag.decided_by, flag.decided_at = outcome, judge.id, now
    audit.record(f"attempt.{outcome}", "attempt", attempt.id, before=before,
                 after={"disqualified": attempt.disqualified, "reason": attempt.disqualify_reason,
                        "flags": {flag.kind: flag.decision for flag in flags}})
    db.session.flush()
    return attempt


def ranking(round_id: int, limit: int = 100) -> list[tuple[int, Attempt]]:
    """(place, attempt) for the top of the round's ranking by its own rules (judging/ranking.py);
    disqualified attempts are not in it."""
    rows = rank(round_id, limit=limit)
    attempts = {attempt.id: attempt for attempt in db.session.scalars(
        select(Attempt).where(Attempt.id.in_([row.attempt_id for row in rows])))}
    return [(row.place, attempts[row.attempt_id]) for row in rows]
