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

from sqlalchemy import case, distinct, func, literal, select, union_all

from quizapp.auth.models import User
from quizapp.contests.models import Contest, Round
from quizapp.extensions import db
from quizapp.judging.materialised import keep, ranking_source
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


def _results(rounds: list[Round]):
    """Each person's counting attempt in each round (its kept ranking once the round is
    finished, judging/materialised.py): user, correct answers, duration, round."""
    parts = []
    for round_ in rounds:
        ranked = ranking_source(round_)
        parts.append(select(ranked.c.user_id, ranked.c.correct_count, ranked.c.duration_ms,
                            literal(round_.id).label("round_id")))
    return union_all(*parts).subquery()


def _totals(rounds: list[Round]):
    results = _results(rounds)
    per_round = [func.max(case((results.c.round_id == round_.id, results.c.correct_count))).label(f"round_{index}")
                 for index, round_ in enumerate(rounds)]
    return (
        select(results.c.user_id, func.sum(results.c.correct_count).label("correct"),
               func.sum(results.c.duration_ms).label("duration"), func.count().label("taken"), *per_round)
        .group_by(results.c.user_id)
        .subquery()
    )


def _order(totals) -> list:
    return [totals.c.correct.desc(), totals.c.duration.asc(), totals.c.taken.desc(), totals.c.user_id.asc()]


def standings(contest: Contest, *, limit: int | None = None, offset: int = 0) -> Iterator[Standing]:
    """The contest's standings, best first (empty when it has no timed round)."""
    rounds = counted_rounds(contest)
    if not rounds:
        return iter(())
    return (standing for standing, _total in _read(rounds, limit, offset, with_total=False))


def page(contest: Contest, limit: int, offset: int = 0) -> tuple[list[Standing], int]:
    """One page of the standings and how many people they list, from one pass over the rounds'
    results (the total is a window count over the totals, before the page is cut)."""
    rounds = counted_rounds(contest)
    if not rounds:
        return [], 0
    read = list(_read(rounds, limit, offset, with_total=True))
    if not read:  # past the last page: no row carries the total
        return [], count(contest)
    return [standing for standing, _total in read], read[0][1]


def _read(rounds: list[Round], limit: int | None, offset: int, *, with_total: bool) -> Iterator[tuple[Standing, int]]:
    totals = _totals(rounds)
    # The order is total (the person's id last), so a row's place is its position: a page is a
    # bounded sort of the totals, and only its rows are joined to the people.
    total = func.count().over() if with_total else literal(0)
    chosen = select(totals, total.label("listed")).order_by(*_order(totals))
    if limit is not None:
        chosen = chosen.limit(limit).offset(offset)
    chosen = chosen.subquery()
    statement = (
        select(chosen.c.user_id, User.full_name, User.phone, Unit.name, chosen.c.correct, chosen.c.duration,
               chosen.c.taken, chosen.c.listed, *(chosen.c[f"round_{index}"] for index in range(len(rounds))))
        .join(User, User.id == chosen.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(*_order(chosen))
    )
    return ((Standing(place, user_id, name, phone, unit, int(correct), int(duration), taken, tuple(per_round)), listed)
            for place, (user_id, name, phone, unit, correct, duration, taken, listed, *per_round)
            in enumerate(db.session.execute(statement), start=offset + 1))


def count(contest: Contest) -> int:
    """How many people the standings list."""
    rounds = counted_rounds(contest)
    if not rounds:
        return 0
    results = _results(rounds)
    return db.session.scalar(select(func.count(distinct(results.c.user_id))))


def keep_rounds(contest: Contest) -> None:
    """Keep the ranking of every finished round of the contest (judging/materialised.py), so
    the standings add up kept rows. Never commits."""
    for round_ in counted_rounds(contest):
        keep(round_)


def header(rounds: list[Round]) -> list[str]:
    return ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Tổng số câu đúng", "Tổng thời gian (giây)",
            "Số vòng đã thi", *(f"Vòng {round_.number}: số câu đúng" for round_ in rounds)]


def rows(contest: Contest) -> Iterator[list[object]]:
    """The standings as the CSV download writes them (no cell starts a formula)."""
    for standing in standings(contest):
        yield safe_row([standing.place, standing.full_name, standing.phone, standing.unit or "", standing.correct,
                        round(standing.duration_ms / 1000, 3), standing.rounds_taken,
                        *("" if value is None else value for value in standing.per_round)])
