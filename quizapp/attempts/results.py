"""A taker's own results, round by round: the page "Kết quả của tôi" and ``GET /api/v1/me/results``.

Each round the person took part in shows the attempt that counts, as far as the round's review
policy lets them see their score (``services.score_allowed``, the result page's rule), and once
the round's results are locked their rank and award, which the lock wrote for that attempt
(``AttemptPlace``) and onto the round (judging/locking.py ``write_places``; DESIGN §7 "Rank and
award"). Nothing here reads judging's tables: attempts sit below judging.

Before the lock the counting attempt is this module's reading of the round's rule on the
person's own attempts: ``first`` and ``last`` by number, ``best`` by the round's tie-break keys
that one person's attempts can be told apart by now (correct answers, time, submission). The
prediction's error is only known once the round is over, so a ``best`` that depends on it may
differ; the lock's ranking decides (``provisional`` says which one a result is).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from quizapp.attempts import services as service
from quizapp.attempts.display import iso
from quizapp.clock import grace
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db


@dataclass(frozen=True)
class MyResult:
    """One round the person took part in."""

    contest: Contest
    round: Round
    attempts_used: int
    counting: Attempt | None  # the attempt that counts, when its score may be shown
    open_attempt: Attempt | None  # an attempt still under way
    eligible: bool  # some submitted attempt is not disqualified
    score_hidden: bool  # submitted, but the review policy hides the score until the close

    @property
    def locked(self) -> bool:
        return self.round.results_locked_at is not None

    @property
    def provisional(self) -> bool:
        """The counting attempt is this module's reading of the rule, not yet the lock's."""
        return self.counting is not None and not self.locked and not self.round.practice

    @property
    def rank(self) -> int | None:
        return self.counting.rank if self.counting is not None and self.locked else None

    @property
    def award(self) -> str | None:
        return self.counting.award if self.counting is not None and self.locked else None


def my_results(user_id: int, now: datetime) -> list[MyResult]:
    """Every round the person has an attempt in, the latest to close first: one statement,
    unless an attempt past its time must be closed first (as ``services.my_attempts`` does)."""
    attempts = _my_attempts(user_id)
    cutoff = now - grace()
    if any(attempt.status == "open" and attempt.deadline is not None and attempt.deadline < cutoff
           for attempt in attempts):
        service.finalise_expired(user_id=user_id)
        attempts = _my_attempts(user_id)
    by_round: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_round[attempt.round_id].append(attempt)
    return [_result(mine, now) for mine in by_round.values()]


def _my_attempts(user_id: int) -> list[Attempt]:
    return list(db.session.scalars(
        select(Attempt).join(Attempt.round).join(Round.contest)
        .options(contains_eager(Attempt.round).contains_eager(Round.contest), joinedload(Attempt.place))
        .where(Attempt.user_id == user_id)
        .order_by(Round.closes_at.desc(), Round.id.desc(), Attempt.number)
        .execution_options(populate_existing=True)
    ))


def _result(mine: list[Attempt], now: datetime) -> MyResult:
    round_ = mine[0].round
    submitted = [attempt for attempt in mine if attempt.status == "submitted"]
    eligible = [attempt for attempt in submitted if not attempt.disqualified]
    counting = counting_attempt(round_, eligible)
    shown = counting if counting is not None and service.score_allowed(counting, now) else None
    return MyResult(
        contest=round_.contest, round=round_, attempts_used=len(mine), counting=shown,
        open_attempt=next((attempt for attempt in mine if attempt.status == "open"), None),
        eligible=bool(eligible), score_hidden=counting is not None and shown is None,
    )


def counting_attempt(round_: Round, eligible: list[Attempt]) -> Attempt | None:
    """The attempt that counts among one person's eligible attempts: the one the lock ranked,
    once the round is locked; before, the round's rule as far as it can be told now."""
    if not eligible:
        return None
    if round_.results_locked_at is not None:
        ranked = next((attempt for attempt in eligible if attempt.rank is not None), None)
        if ranked is not None:
            return ranked
    if round_.counting_attempt == "first":
        return min(eligible, key=lambda attempt: attempt.number)
    if round_.counting_attempt == "last":
        return max(eligible, key=lambda attempt: attempt.number)
    return min(eligible, key=lambda attempt: _best_key(round_, attempt))


def _best_key(round_: Round, attempt: Attempt) -> tuple:
    keys = {
        "correct_desc": -(attempt.correct_count or 0),
        "duration_asc": attempt.duration_ms if attempt.duration_ms is not None else float("inf"),
        "submitted_at_asc": attempt.submitted_at.timestamp() if attempt.submitted_at else float("inf"),
    }
    return (*(keys[name] for name in round_.tie_breakers if name in keys), attempt.id)


def results_url(contest: Contest, round_: Round) -> str | None:
    """The round's public results page (judging/public.py, endpoint ``results.public_results``),
    once its results are locked; practice rounds are never locked."""
    if round_.results_locked_at is None:
        return None
    return url_for("results.public_results", slug=contest.slug, number=round_.number)


def certificate_url(result: MyResult) -> str | None:
    """The person's own certificate (Giấy chứng nhận) of the round once its results are locked:
    for an award, or for taking part where the contest certifies participants (the rules of
    judging/certificates, which issues it on this first download). A certificate the judges
    revoked is refused there; this page does not read judging's tables to know it."""
    if not result.locked or result.rank is None:
        return None
    if not (result.award or result.contest.certificate_participants):
        return None
    return url_for("certificates.own", round_id=result.round.id)


def result_json(result: MyResult) -> dict[str, object]:
    """One round of ``GET /api/v1/me/results`` (docs/openapi.yaml ``MyResult``); URLs are
    paths on this site, as the API's picture addresses are."""
    attempt = result.counting
    return {
        "contest": {"slug": result.contest.slug, "title": result.contest.title},
        "round": {"id": result.round.id, "number": result.round.number, "title": result.round.title,
                  "closes_at": iso(result.round.closes_at), "practice": result.round.practice},
        "attempts_used": result.attempts_used,
        "attempt": None if attempt is None else {
            "id": attempt.id, "number": attempt.number, "correct_count": attempt.correct_count,
            "question_count": attempt.question_count, "duration_ms": attempt.duration_ms,
            "submitted_at": iso(attempt.submitted_at),
        },
        "score_hidden": result.score_hidden,
        "eligible": result.eligible,
        "provisional": result.provisional,
        "locked": result.locked,
        "locked_at": iso(result.round.results_locked_at),
        "rank": result.rank,
        "ranked_count": result.round.ranked_count if result.locked else None,
        "award": result.award,
        "results_url": results_url(result.contest, result.round),
        "certificate_url": certificate_url(result),
    }
