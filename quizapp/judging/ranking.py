"""A round's ranking by its own rules (DESIGN §4), computed in SQL with window functions.

The rules, as this module applies them:

- Eligible attempts are the round's submitted attempts that no judge disqualified and whose
  person's data was not erased (expired attempts are finalised first, by the caller).
- Each attempt's keys: ``correct_desc`` (correct answers), ``prediction_error_asc``
  (``|prediction - truth|``; no prediction ranks after every prediction), ``duration_asc``
  (milliseconds), ``submitted_at_asc``, ``attempts_used_asc`` (every attempt the person
  started in the round, eligible or not). The round's ``tie_breakers`` orders them; a final
  tie goes to the lower attempt id, so no two rows ever share a place.
- ``prediction_locked``: a person's prediction is the one of their earliest attempt that has
  one, for every attempt.
- The prediction ``truth``: ``participants`` (people with an eligible attempt), ``attempts``
  (eligible attempts), ``participants_all_correct`` (people whose counting attempt is all
  correct; for ``best`` that is anyone with an all-correct eligible attempt, which keeps the
  truth free of the prediction it judges).
- The counting attempt per person: ``best`` (first by the round's keys), ``first`` or
  ``last`` (by attempt number, among eligible attempts).

``tests/ranking_oracle.py`` is a plain Python implementation of the same rules; the tests
compare the two row for row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, and_, case, cast, distinct, func, literal, null, select

from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db


@dataclass(frozen=True)
class Rules:
    tie_breakers: tuple[str, ...]
    counting: str = "best"
    truth: str | None = None  # None: no prediction question
    locked: bool = False

    @classmethod
    def of(cls, round_: Round) -> Rules:
        return cls(tuple(round_.tie_breakers), round_.counting_attempt,
                   round_.prediction_truth if round_.prediction_prompt else None, bool(round_.prediction_locked))


@dataclass(frozen=True)
class Ranked:
    place: int
    attempt_id: int
    user_id: int
    correct_count: int
    prediction: int | None
    prediction_error: int | None
    duration_ms: int
    submitted_at: object
    attempts_used: int
    number: int = 0


def _eligible(round_id: int):
    # An erased person's attempts (quizapp/privacy/erasure.py) leave the ranking like disqualified ones.
    return and_(Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.disqualified.is_(False),
                Attempt.erased.is_(False))


def ranked_people(round_id: int) -> int:
    """How many rows the round's ranking has: one per person with an eligible attempt."""
    return db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(_eligible(round_id)))


def prediction_truth(round_id: int, rules: Rules) -> int | None:
    """The number the round's prediction question asks about, from the data."""
    if rules.truth is None:
        return None
    if rules.truth == "participants":
        return ranked_people(round_id)
    eligible = _eligible(round_id)
    if rules.truth == "attempts":
        return db.session.scalar(select(func.count()).select_from(Attempt).where(eligible))
    if rules.counting == "best":
        return db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(
            eligible, Attempt.correct_count == Attempt.question_count))
    pick = func.row_number().over(
        partition_by=Attempt.user_id,
        order_by=Attempt.number.asc() if rules.counting == "first" else Attempt.number.desc(),
    ).label("pick")
    counted = select(Attempt.correct_count, Attempt.question_count, pick).where(eligible).subquery()
    return db.session.scalar(select(func.count()).select_from(counted).where(
        counted.c.pick == 1, counted.c.correct_count == counted.c.question_count))


def ranking_query(round_id: int, rules: Rules, truth: int | None):
    """The SELECT of the ranked rows (place, attempt id, user id, the keys, and the attempt's number)."""
    used = (select(Attempt.user_id, func.count().label("used")).where(Attempt.round_id == round_id)
            .group_by(Attempt.user_id).subquery())
    prediction = Attempt.prediction
    if rules.locked:
        # The person's earliest prediction in the round, whatever became of that attempt.
        earlier = Attempt.__table__.alias("earlier")
        prediction = (select(earlier.c.prediction).where(
            earlier.c.round_id == round_id, earlier.c.user_id == Attempt.user_id, earlier.c.prediction.is_not(None))
            .order_by(earlier.c.number).limit(1).scalar_subquery())
    # Typed NULL: PostgreSQL takes a bare NULL parameter as text, which a kept ranking's integer
    # column refuses (judging/materialised.py).
    error = (func.abs(prediction - literal(truth)) if truth is not None else cast(null(), Integer)).label("error")
    keyed = (
        select(Attempt.id.label("attempt_id"), Attempt.user_id, Attempt.number, Attempt.correct_count,
               prediction.label("prediction"), error, Attempt.duration_ms, Attempt.submitted_at,
               used.c.used.label("attempts_used"))
        .join(used, used.c.user_id == Attempt.user_id)
        .where(_eligible(round_id))
        .subquery()
    )
    order = _order(keyed, rules.tie_breakers)
    if rules.counting == "best":
        within = order
    elif rules.counting == "first":
        within = [keyed.c.number.asc()]
    else:
        within = [keyed.c.number.desc()]
    picked = select(keyed, func.row_number().over(partition_by=keyed.c.user_id, order_by=within).label("pick")
                    ).subquery()
    final = _order(picked, rules.tie_breakers)
    return (
        select(func.row_number().over(order_by=final).label("place"), picked.c.attempt_id, picked.c.user_id,
               picked.c.correct_count, picked.c.prediction, picked.c.error, picked.c.duration_ms,
               picked.c.submitted_at, picked.c.attempts_used, picked.c.number)
        .where(picked.c.pick == 1)
        .order_by(*final)
    )


def _order(table, tie_breakers) -> list:
    columns = table.c
    keys = {
        "correct_desc": [columns.correct_count.desc()],
        # No prediction ranks after every prediction, on SQLite and PostgreSQL alike.
        "prediction_error_asc": [case((columns.error.is_(None), 1), else_=0), columns.error.asc()],
        "duration_asc": [columns.duration_ms.asc()],
        "submitted_at_asc": [columns.submitted_at.asc()],
        "attempts_used_asc": [columns.attempts_used.asc()],
    }
    order = [expression for key in tie_breakers for expression in keys[key]]
    return [*order, columns.attempt_id.asc()]


def rank(round_id: int, rules: Rules | None = None, *, limit: int | None = None, offset: int = 0) -> list[Ranked]:
    """The round's ranking, best first; ``rules`` default to the round's own."""
    if rules is None:
        rules = Rules.of(db.session.get(Round, round_id))
    truth = prediction_truth(round_id, rules)
    statement = ranking_query(round_id, rules, truth)
    if limit is not None:
        statement = statement.limit(limit).offset(offset)
    return [Ranked(*row) for row in db.session.execute(statement)]
