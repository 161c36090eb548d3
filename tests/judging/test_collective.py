"""Collective prizes: units by participants, attempts and participation rate, each number
equal to a direct count, with a minimum rate."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select, update

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.judging.collective import unit_standings
from quizapp.units.models import Unit
from tests.conftest import Accounts
from tests.ranking_support import generate_round

UNITS = [("X1", "Xã Một", 10), ("X2", "Xã Hai", 40), ("X3", "Xã Ba", None), ("X4", "Xã Bốn", 8)]


def setup_units(app, tmp_path) -> int:
    round_id, _rows = generate_round(app, tmp_path, people=60)
    with app.app_context():
        units = [Unit(code=code, name=name, headcount=headcount) for code, name, headcount in UNITS]
        db.session.add_all(units)
        db.session.flush()
        users = list(db.session.scalars(select(User.id).where(User.phone.like("0966%")).order_by(User.id)))
        for index, user_id in enumerate(users):
            # Uneven on purpose: more people in the first units.
            unit = units[0] if index % 7 < 3 else units[1] if index % 7 < 5 else units[2] if index % 7 < 6 else units[3]
            db.session.execute(update(User).where(User.id == user_id).values(unit_id=unit.id))
        db.session.commit()
    return round_id


def direct_counts(app, round_id: int) -> dict[str, tuple[int, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Unit.code, Attempt.user_id).join(User, User.unit_id == Unit.id)
            .join(Attempt, Attempt.user_id == User.id)
            .where(Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.disqualified.is_(False))
        ).all()
    counts: dict[str, tuple[set, int]] = {}
    for code, user_id in rows:
        people, attempts = counts.get(code, (set(), 0))
        people.add(user_id)
        counts[code] = (people, attempts + 1)
    return {code: (len(people), attempts) for code, (people, attempts) in counts.items()}


def test_units_by_people_attempts_and_rate_match_direct_counts(app, tmp_path):
    round_id = setup_units(app, tmp_path)
    counts = direct_counts(app, round_id)
    headcounts = {code: headcount for code, _name, headcount in UNITS}

    with app.app_context():
        by_people = unit_standings(round_id, "participants")
        by_attempts = unit_standings(round_id, "attempts")
        by_rate = unit_standings(round_id, "rate")
        above = unit_standings(round_id, "participants", min_rate=0.9)

    assert {s.code: (s.participants, s.attempts) for s in by_people} == counts
    assert [s.participants for s in by_people] == sorted((p for p, _a in counts.values()), reverse=True)
    assert [s.attempts for s in by_attempts] == sorted((a for _p, a in counts.values()), reverse=True)
    rates = {code: people / headcounts[code] for code, (people, _a) in counts.items() if headcounts[code]}
    assert [s.code for s in by_rate] == sorted(rates, key=lambda code: -rates[code])
    assert "X3" not in {s.code for s in by_rate}  # no headcount: no rate
    assert {s.code for s in above} == {code for code, rate in rates.items() if rate >= 0.9}


def test_the_collective_page_and_its_download(app, tmp_path):
    round_id = setup_units(app, tmp_path)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)

    page = judge.get(f"/judging/rounds/{round_id}/collective?by=rate&min_rate=50").get_data(as_text=True)
    bad = judge.get(f"/judging/rounds/{round_id}/collective?by=sai&min_rate=abc", follow_redirects=True)
    bad_level = judge.get(f"/judging/rounds/{round_id}/collective?level=tinh").get_data(as_text=True)
    response = judge.get(f"/judging/rounds/{round_id}/collective?by=attempts&format=csv")
    data = response.get_data()
    response.close()

    assert "Xã Một" in page and "Xã Ba" not in page
    assert bad.status_code == 200 and "không hợp lệ" in bad.get_data(as_text=True)
    assert "Cấp đơn vị, cách xếp hạng" in bad_level and 'value="unit" selected' in bad_level
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Hạng" and [row[1] for row in rows[1:]][0] in {"X1", "X2"}


def test_districts_gather_their_units_people_and_headcounts(app, tmp_path):
    """Prizes for districts: a province P, district D1 (no headcount of its own: its communes'
    10 + 40), district D2 (its own 30, though its commune X3 has none) with X3 and X4."""
    round_id = setup_units(app, tmp_path)
    with app.app_context():
        province = Unit(code="P", name="Tỉnh")
        first, second = Unit(code="D1", name="Huyện Một", parent=province), Unit(code="D2", name="Huyện Hai",
                                                                               parent=province, headcount=30)
        db.session.add_all([province, first, second])
        db.session.flush()
        for code, parent in (("X1", first), ("X2", first), ("X3", second), ("X4", second)):
            db.session.scalar(select(Unit).where(Unit.code == code)).parent_id = parent.id
        # Someone who chose the district itself counts for it too; someone at the province for neither.
        chosen = list(db.session.scalars(select(User).where(User.phone.like("0966%")).order_by(User.id)))
        chosen[0].unit_id, chosen[1].unit_id = second.id, province.id
        db.session.commit()
    counts = direct_counts(app, round_id)

    with app.app_context():
        by_people = unit_standings(round_id, "participants", level="district")
        by_rate = unit_standings(round_id, "rate", min_rate=0.1, level="district")
        communes = unit_standings(round_id, level="unit")

    def gathered(*codes):
        return tuple(sum(counts.get(code, (0, 0))[index] for code in codes) for index in (0, 1))

    expected = {"D1": gathered("X1", "X2"), "D2": gathered("D2", "X3", "X4")}
    assert {s.code: (s.participants, s.attempts) for s in by_people} == expected
    assert {s.code: s.headcount for s in by_people} == {"D1": 50, "D2": 30}
    assert [s.code for s in by_people] == sorted(expected, key=lambda code: (-expected[code][0], -expected[code][1]))
    assert all(s.rate == s.participants / s.headcount for s in by_rate)
    assert {s.code for s in communes} >= {"X1", "X2", "X4", "D2", "P"}  # the unit level is unchanged
