"""Overall standings of a contest: every person's counting attempts of its rounds added up.

Each timed round (practice rounds never count) is ranked by its own rules (``ranking_query``:
its counting attempt, disqualified attempts out), so a person's result in a round is the
attempt that round counts. Their results are added up in SQL: correct answers over all rounds,
best first; ties go to the smaller total time, then to more rounds taken, then to the smaller
person id, so the order is the same every time. A locked round's attempts cannot change
(judging.locking), so its part is its snapshot's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select, union_all

from quizapp.auth.models import User
from quizapp.contests.models import Contest, Round
from quizapp.extensions import db
from quizapp.judging.ranking import Rules, prediction_truth, ranking_query
from quizapp.spreadsheets import safe_row
from quizapp.units.models import Unit


@dataclass(frozen=True)
class Standing:
    place: int
    user_id: int
    full_name: str
    phone: str
    unit: str | None
    correct: int
    duration_ms: int
    rounds_taken: int
    per_round: tuple[int | None, ...]  # correct answers in each counted round, None if not taken


def counted_rounds(contest: Contest) -> list[Round]:
    return [round_ for round_ in contest.rounds if not round_.practice]


def standings_query(rounds: list[Round]):
    """The SELECT of the standings: place, person, totals and one column per round."""
    parts = []
    for round_ in rounds:
        rules = Rules.of(round_)
        ranked = ranking_query(round_.id, rules, prediction_truth(round_.id, rules)).order_by(None).subquery()
        parts.append(select(ranked.c.user_id, ranked.c.correct_count, ranked.c.duration_ms,
                            literal(round_.id).label("round_id")))
    results = union_all(*parts).subquery()
    per_round = [func.max(case((results.c.round_id == round_.id, results.c.correct_count))).label(f"round_{index}")
                 for index, round_ in enumerate(rounds)]
    totals = (
        select(results.c.user_id, func.sum(results.c.correct_count).label("correct"),
               func.sum(results.c.duration_ms).label("duration"), func.count().label("taken"), *per_round)
        .group_by(results.c.user_id)
        .subquery()
    )
    order = [totals.c.correct.desc(), totals.c.duration.asc(), totals.c.taken.desc(), totals.c.user_id.asc()]
    return (
        select(func.row_number().over(order_by=order).label("place"), totals.c.user_id, User.full_name, User.phone,
               Unit.name, totals.c.correct, totals.c.duration, totals.c.taken,
               *(totals.c[f"round_{index}"] for index in range(len(rounds))))
        .join(User, User.id == totals.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(*order)
    )


def standings(contest: Contest, *, limit: int | None = None, offset: int = 0) -> Iterator[Standing]:
    """The contest's standings, best first (empty when it has no timed round)."""
    rounds = counted_rounds(contest)
    if not rounds:
        return iter(())
    statement = standings_query(rounds)
    if limit is not None:
        statement = statement.limit(limit).offset(offset)
    return (Standing(place, user_id, name, phone, unit, int(correct), int(duration), taken, tuple(per_round))
            for place, user_id, name, phone, unit, correct, duration, taken, *per_round
            in db.session.execute(statement))


def count(contest: Contest) -> int:
    """How many people the standings list."""
    rounds = counted_rounds(contest)
    if not rounds:
        return 0
    return db.session.scalar(select(func.count()).select_from(standings_query(rounds).order_by(None).subquery()))


def header(rounds: list[Round]) -> list[str]:
    return ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Tổng số câu đúng", "Tổng thời gian (giây)",
            "Số vòng đã thi", *(f"Vòng {round_.number}: số câu đúng" for round_ in rounds)]


def rows(contest: Contest) -> Iterator[list[object]]:
    """The standings as the CSV download writes them (no cell starts a formula)."""
    for standing in standings(contest):
        yield safe_row([standing.place, standing.full_name, standing.phone, standing.unit or "", standing.correct,
                        round(standing.duration_ms / 1000, 3), standing.rounds_taken,
                        *("" if value is None else value for value in standing.per_round)])
