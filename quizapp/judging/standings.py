"""Overall standings of a contest: every person's counting attempts of its rounds added up.

Each timed round (practice rounds never count) is ranked by its own rules (``ranking_query``:
its counting attempt, disqualified attempts out), so a person's result in a round is the
attempt that round counts. Their results are added up in SQL: correct answers over all rounds,
best first; ties go to the smaller total time, then to more rounds taken, then to the smaller
person id, so the order is the same every time. A locked round's attempts cannot change
(judging.locking), so its part is its snapshot's.

These are the exact standings. While a round still takes attempts the judges' page shows a
provisional snapshot of them instead (judging/provisional.py, ``placed_totals``), computed at
most once a minute and read by place (``read_places``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Integer, String, Text, case, cast, func, literal, null, select, union_all

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.judging.materialised import (
    counted_rounds,
    keep,
    keep_totals,
    kept_totals,
    ranking_source,
    standings_order,
    totals_rounds,
)
from quizapp.judging.models import ProvisionalTotal, StandingBuild, StandingTotal
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


def _totals(contest: Contest, rounds: list[Round]):
    """Each person's totals over ``rounds`` (user, correct, duration, taken), with one column
    per round and ``finished``: the kept totals' ``per_round`` (judging/materialised.py).

    The rounds whose rankings the contest's kept totals add up come from those totals, one row
    per person; each other round from its kept ranking (``ranking_source``) or ranked now. The
    second list is the rounds added up here, one ``round_<index>`` column each."""
    build = kept_totals(contest)
    summed = set(totals_rounds(build)) if build is not None else set()
    live = [round_ for round_ in rounds if round_.id not in summed]
    parts = []
    if build is not None:
        parts.append(select(StandingTotal.user_id, StandingTotal.correct.label("correct_count"),
                            StandingTotal.duration_ms, StandingTotal.taken, StandingTotal.per_round,
                            cast(null(), Integer).label("round_id"))
                     .where(StandingTotal.contest_id == contest.id))
    for round_ in live:
        ranked = ranking_source(round_)
        parts.append(select(ranked.c.user_id, ranked.c.correct_count, ranked.c.duration_ms, literal(1).label("taken"),
                            cast(null(), Text).label("per_round"), literal(round_.id).label("round_id")))
    results = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    per_round = [func.max(case((results.c.round_id == round_.id, results.c.correct_count))).label(f"round_{index}")
                 for index, round_ in enumerate(live)]
    totals = (
        select(results.c.user_id, func.sum(results.c.correct_count).label("correct"),
               func.sum(results.c.duration_ms).label("duration"), func.sum(results.c.taken).label("taken"),
               func.max(results.c.per_round).label("finished"), *per_round)
        .group_by(results.c.user_id)
        .subquery()
    )
    return build, live, totals


def placed_totals(contest: Contest, rounds: list[Round]) -> tuple[StandingBuild | None, object]:
    """The whole standings as rows to keep (judging/provisional.py): the kept totals they add
    up (None: none), and a SELECT of place, person, correct answers, time, rounds taken and
    ``per_round``: the kept totals' rounds first, in their order, then the other rounds in the
    contest's order."""
    build, live, totals = _totals(contest, rounds)
    summed = totals_rounds(build) if build is not None else []
    parts = [func.coalesce(totals.c.finished, "," * (len(summed) - 1))] if summed else []
    parts += [func.coalesce(cast(totals.c[f"round_{index}"], String), "") for index in range(len(live))]
    per_round = parts[0]
    for part in parts[1:]:
        per_round = per_round + "," + part
    place = func.row_number().over(order_by=standings_order(totals.c))
    return build, select(place.label("place"), totals.c.user_id, totals.c.correct, totals.c.duration,
                         totals.c.taken, per_round.label("per_round"))


def standings(contest: Contest, *, limit: int | None = None, offset: int = 0) -> Iterator[Standing]:
    """The contest's standings, best first (empty when it has no timed round)."""
    rounds = counted_rounds(contest)
    if not rounds:
        return iter(())
    return (standing for standing, _total in _read(contest, rounds, limit, offset, with_total=False))


def page(contest: Contest, limit: int, offset: int = 0) -> tuple[list[Standing], int]:
    """One page of the standings and how many people they list, from one pass over the rounds'
    results (the total is a window count over the totals, before the page is cut), or read by
    place when every round is in the kept totals."""
    rounds = counted_rounds(contest)
    if not rounds:
        return [], 0
    read = list(_read(contest, rounds, limit, offset, with_total=True))
    if not read:  # past the last page: no row carries the total
        return [], count(contest)
    return [standing for standing, _total in read], read[0][1]


def _read(contest: Contest, rounds: list[Round], limit: int | None, offset: int, *,
          with_total: bool) -> Iterator[tuple[Standing, int]]:
    build = kept_totals(contest)
    if _covers(build, rounds):
        return read_places(StandingTotal, build.contest_id, totals_rounds(build), build.rows, rounds, limit, offset)
    build, live, totals = _totals(contest, rounds)
    # The order is total (the person's id last), so a row's place is its position: a page is a
    # bounded sort of the totals, and only its rows are joined to the people.
    total = func.count().over() if with_total else literal(0)
    chosen = select(totals, total.label("listed")).order_by(*standings_order(totals.c))
    if limit is not None:
        chosen = chosen.limit(limit).offset(offset)
    chosen = chosen.subquery()
    statement = (
        select(chosen.c.user_id, User.full_name, User.phone, Unit.name, chosen.c.correct, chosen.c.duration,
               chosen.c.taken, chosen.c.listed, chosen.c.finished, *(chosen.c[f"round_{index}"]
                                                                     for index in range(len(live))))
        .join(User, User.id == chosen.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(*standings_order(chosen.c))
    )
    summed = totals_rounds(build) if build is not None else []
    live_ids = [round_.id for round_ in live]
    return ((Standing(place, user_id, name, phone, unit, int(correct), int(duration), int(taken),
                      _per_round(rounds, {**_values(summed, finished), **dict(zip(live_ids, values, strict=True))})),
             listed)
            for place, (user_id, name, phone, unit, correct, duration, taken, listed, finished, *values)
            in enumerate(db.session.execute(statement), start=offset + 1))


def _covers(build: StandingBuild | None, rounds: list[Round]) -> bool:
    """Whether the kept totals hold the whole standings: every round is in them, or has no
    attempt at all yet (a round still to come adds nothing)."""
    if build is None:
        return False
    missing = {round_.id for round_ in rounds} - set(totals_rounds(build))
    return not missing or not have_attempts(missing)


def have_attempts(round_ids) -> bool:
    """Whether any of these rounds has an attempt (one index probe)."""
    return db.session.scalar(select(Attempt.id).where(Attempt.round_id.in_(round_ids)).limit(1)) is not None


def read_places(model: type[StandingTotal] | type[ProvisionalTotal], contest_id: int, order: list[int], rows: int,
                rounds: list[Round], limit: int | None, offset: int) -> Iterator[tuple[Standing, int]]:
    """Standings kept one row per place (``StandingTotal`` or ``ProvisionalTotal``, ``rows`` of
    them, ``per_round`` in the order of the round ids ``order``): a page is a range of places,
    read by primary key."""
    statement = (
        select(model.place, model.user_id, User.full_name, User.phone, Unit.name, model.correct,
               model.duration_ms, model.taken, model.per_round)
        .join(User, User.id == model.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(model.contest_id == contest_id, model.place > offset)
        .order_by(model.place)
    )
    if limit is not None:
        statement = statement.where(model.place <= offset + limit)
    return ((Standing(place, user_id, name, phone, unit, correct, int(duration or 0), taken,
                      _per_round(rounds, _values(order, values))), rows)
            for place, user_id, name, phone, unit, correct, duration, taken, values
            in db.session.execute(statement))


def _values(order: list[int], text: str | None) -> dict[int, int | None]:
    """Correct answers per round id from a kept row's ``per_round`` text (rounds in ``order``)."""
    parts = (text or "").split(",")
    return {round_id: int(part) if part else None for round_id, part in zip(order, parts, strict=False)}


def _per_round(rounds: list[Round], values: dict) -> tuple[int | None, ...]:
    """Correct answers in each of the contest's rounds, in their order (None: not taken)."""
    return tuple(values.get(round_.id) for round_ in rounds)


def count(contest: Contest) -> int:
    """How many people the standings list."""
    rounds = counted_rounds(contest)
    if not rounds:
        return 0
    build = kept_totals(contest)
    if _covers(build, rounds):
        return build.rows
    _build, _live, totals = _totals(contest, rounds)
    return db.session.scalar(select(func.count()).select_from(totals))


def keep_rounds(contest: Contest) -> None:
    """Keep the ranking of every finished round of the contest (judging/materialised.py), and
    then their totals, so the standings read kept rows. Never commits."""
    for round_ in counted_rounds(contest):
        keep(round_)
    keep_totals(contest)


def header(rounds: list[Round]) -> list[str]:
    return ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Tổng số câu đúng", "Tổng thời gian (giây)",
            "Số vòng đã thi", *(f"Vòng {round_.number}: số câu đúng" for round_ in rounds)]


def rows(contest: Contest) -> Iterator[list[object]]:
    """The standings as the CSV download writes them (no cell starts a formula)."""
    for standing in standings(contest):
        yield safe_row([standing.place, standing.full_name, standing.phone, standing.unit or "", standing.correct,
                        round(standing.duration_ms / 1000, 3), standing.rounds_taken,
                        *("" if value is None else value for value in standing.per_round)])
