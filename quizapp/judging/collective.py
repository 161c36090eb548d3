"""Collective prizes: units ranked by their people's participation in a round (DESIGN §4).

``by`` is ``participants`` (people with an eligible attempt), ``attempts`` (eligible attempts)
or ``rate`` (participants over the unit's headcount; units without a headcount are left out);
``min_rate`` leaves out units below a participation rate. Ties go to more participants, then
more attempts, then the unit's code, so the order is the same every time. People count for
the unit on their profile; eligible attempts are submitted and not disqualified.

``level`` ``district`` ranks the districts instead (units.tree: the top of the directory, or
the level below a single root), each with the people of every unit inside it and its headcount
(its own, else the sum of its units' when all are known).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.spreadsheets import safe_row
from quizapp.units.tree import Directory

BY = ("participants", "attempts", "rate")
LEVELS = ("unit", "district")
HEADER = ["Hạng", "Mã đơn vị", "Đơn vị", "Số người tham gia", "Số lượt thi", "Số người (biên chế)",
          "Tỷ lệ tham gia (%)"]


@dataclass(frozen=True)
class UnitStanding:
    place: int
    code: str
    name: str
    participants: int
    attempts: int
    headcount: int | None
    rate: float | None


def unit_standings(round_id: int, by: str = "participants", min_rate: float | None = None,
                   level: str = "unit") -> list[UnitStanding]:
    if by not in BY:
        raise ValidationFailed({"by": [f"Cách xếp hạng phải là một trong: {', '.join(BY)}."]})
    if level not in LEVELS:
        raise ValidationFailed({"level": [f"Cấp đơn vị phải là một trong: {', '.join(LEVELS)}."]})
    if min_rate is not None and not 0 <= min_rate <= 1:
        raise ValidationFailed({"min_rate": ["Tỷ lệ tối thiểu từ 0 đến 1."]})
    counted = {unit_id: (participants, attempts) for unit_id, participants, attempts in db.session.execute(
        select(User.unit_id, func.count(distinct(Attempt.user_id)), func.count(Attempt.id))
        .join(Attempt, Attempt.user_id == User.id)
        .where(Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.disqualified.is_(False),
               User.unit_id.is_not(None))
        .group_by(User.unit_id)
    )}
    directory = Directory.load()
    if level == "district":
        counted = {top: counts for top, counts in directory.roll_up(counted).items() if top in directory.districts}
    rows = [(directory.nodes[unit_id].code, directory.nodes[unit_id].name,
             directory.nodes[unit_id].headcount if level == "unit" else directory.headcount(unit_id),
             participants, attempts) for unit_id, (participants, attempts) in counted.items()]
    standings = []
    for code, name, headcount, participants, attempts in rows:
        rate = participants / headcount if headcount else None
        if (by == "rate" or min_rate is not None) and rate is None:
            continue
        if min_rate is not None and rate < min_rate:
            continue
        standings.append((code, name, participants, attempts, headcount, rate))
    primary = {"participants": lambda s: -s[2], "attempts": lambda s: -s[3], "rate": lambda s: -s[5]}[by]
    standings.sort(key=lambda s: (primary(s), -s[2], -s[3], s[0]))
    return [UnitStanding(place, *standing) for place, standing in enumerate(standings, start=1)]


def table_rows(standings: Iterable[UnitStanding]) -> Iterator[list[object]]:
    """The standings as the CSV download writes them (unit codes and names come from a file an
    organiser loaded: no cell starts a formula)."""
    for s in standings:
        yield safe_row([s.place, s.code, s.name, s.participants, s.attempts, s.headcount or "",
                        "" if s.rate is None else round(s.rate * 100, 2)])
