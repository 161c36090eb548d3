"""The organisers' dashboard of a contest: every number it shows equals a direct SQL count
written here, on generated data over several days, units of a province, people without a
unit, open, expired and submitted attempts in two rounds; and the page renders for the
contest's staff only."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, insert, select, text

from quizapp.auth.models import User
from quizapp.charts import bar_chart, column_chart
from quizapp.clock import UTCDateTime
from quizapp.contests.dashboard import NO_UNIT, dashboard, offset_segments
from quizapp.contests.models import Attempt, Contest, ContestStaff
from quizapp.extensions import db
from quizapp.formatting import number, percent
from tests.attempt_support import OPENS, import_bank, install_clock, load_contest, round_definition, simple_questions

QUESTIONS = 5
WEEK = timedelta(days=7)
OPENS_2 = OPENS + WEEK
NOW = OPENS_2 + timedelta(days=3, hours=5)
GRACE = timedelta(seconds=5)  # the default ATTEMPT_GRACE_SECONDS
# A province of three districts and their communes; headcounts known, summed or unknown.
UNITS_CSV = """code,name,parent_code,headcount
T,Tỉnh Thử,,5000
H1,Huyện Một,T,200
X11,Xã Một Một,H1,120
X12,Xã Một Hai,H1,
H2,Huyện Hai,T,
X21,Xã Hai Một,H2,30
X22,Xã <Đông> & Tây,H2,20
H3,Huyện Ba,T,
X31,Xã Ba Một,H3,40
X32,Xã Ba Hai,H3,
H4,Huyện Bốn,T,10
"""
# Where the participants' profiles put them: None is "no unit", T the province itself.
PLACES = [None, None, "T", "H1", "X11", "X11", "X12", "H2", "X21", "X22", "X22", "X31", "X32"]


# --- generated data ---------------------------------------------------------------------------


def build_contest(app, tmp_path, *, timezone: str | None = None) -> tuple[str, list[int]]:
    install_clock(app, NOW)
    import_bank(app, tmp_path, "bank-bang", simple_questions("bang", QUESTIONS))
    rounds = [round_definition(number, bank="bank-bang", count=QUESTIONS, opens=opens,
                               closes=opens + WEEK - timedelta(hours=1), max_attempts=None)
              for number, opens in ((1, OPENS), (2, OPENS_2))]
    fields = {"timezone": timezone} if timezone else {}
    return "bang-tin", load_contest(app, tmp_path, "bang-tin", rounds, **fields)


def load_units(app, tmp_path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["units", "load", str(path)])
    assert result.exit_code == 0, result.output


def add_people(prefix: str, unit_ids: list[int | None], **fields) -> list[int]:
    db.session.execute(insert(User), [
        {"phone": f"{prefix}{number:06d}", "password_hash": "x", "full_name": f"Người {prefix} {number}",
         "unit_id": unit_id, **fields}
        for number, unit_id in enumerate(unit_ids)])
    return list(db.session.scalars(select(User.id).where(User.phone.like(f"{prefix}%")).order_by(User.id)))


def attempt_row(round_id: int, user_id: int, number: int, started: datetime, *, rng: random.Random) -> dict:
    """A submitted attempt; ``opened`` turns it into an open one."""
    return {
        "round_id": round_id, "user_id": user_id, "number": number, "max_attempts": None, "status": "submitted",
        "started_at": started, "deadline": started + timedelta(minutes=10),
        "submitted_at": started + timedelta(minutes=4), "expired": False, "question_count": QUESTIONS,
        "correct_count": rng.choice([0, 2, 3, 3, 4, 5, 5]), "duration_ms": rng.randrange(30_000, 600_000),
        "prediction": None, "disqualified": False,
    }


def generate(app, tmp_path) -> tuple[str, list[int]]:
    """Two rounds, the second open now: ~150 people over several days, with attempts on both
    sides of local midnight, and open attempts before, at and past deadline + grace."""
    slug, round_ids = build_contest(app, tmp_path)
    load_units(app, tmp_path)
    rng = random.Random(7)
    with app.app_context():
        units = dict(db.session.execute(text("SELECT code, id FROM units")).all())

        def places(count: int) -> list[int | None]:
            return [units.get(rng.choice(PLACES)) for _ in range(count)]

        takers = add_people("0977", places(150))
        # Registered but not taking part, so the page shows a number with thousands.
        add_people("0978", places(1_100))
        add_people("0979", places(7), is_active=False)
        add_people("0976", places(3), role="judge")
        windows = {round_ids[0]: (OPENS, OPENS + WEEK - timedelta(hours=2)), round_ids[1]: (OPENS_2, NOW)}
        # Open attempts of the open round: before, at and just past deadline + grace, long past, untimed.
        deadlines = itertools.cycle([NOW + timedelta(minutes=7), NOW - GRACE, NOW - GRACE - timedelta(seconds=1),
                                     NOW - timedelta(hours=3), None])
        rows = []
        for index, user_id in enumerate(takers):
            for round_id in rng.sample(round_ids, rng.choice([1, 1, 2])):
                first, last = windows[round_id]
                count = rng.randint(1, 3)
                for number in range(1, count + 1):
                    started = first + (last - first) * rng.random()
                    if index % 10 == 0 and number == 1:
                        # At local midnight (17:00 UTC), or a tenth of a second before it.
                        midnight = first.replace(hour=17) + timedelta(days=index % 3)
                        started = midnight - timedelta(seconds=0.1 * (index % 20 == 0))
                    started = min(started, last - timedelta(minutes=15))
                    rows.append(attempt_row(round_id, user_id, number, started, rng=rng))
                if rng.random() < 0.25:  # the person's last attempt in the round left open
                    closed_round = round_id == round_ids[0]
                    rows[-1] = opened(rows[-1], rows[-1]["deadline"] if closed_round else next(deadlines))
        db.session.execute(insert(Attempt), rows)
        db.session.commit()
    return slug, round_ids


def opened(row: dict, deadline: datetime | None) -> dict:
    """``row`` left open with ``deadline`` (None: untimed), started ten minutes before it."""
    started = (deadline or NOW) - timedelta(minutes=10)
    return {**row, "status": "open", "started_at": started, "deadline": deadline, "submitted_at": None,
            "correct_count": None, "duration_ms": None}


# --- the counts, straight from the tables -----------------------------------------------------


def local_date_sql(column: str, dialect: str, zone: str) -> str:
    if dialect == "postgresql":
        return f"CAST({column} AT TIME ZONE '{zone}' AS DATE)"
    assert zone == "Asia/Ho_Chi_Minh"  # SQLite has no zones: Vietnam is UTC+7 all year
    return f"date({column}, '+7 hours')"


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def direct_counts(round_ids: list[int], now: datetime) -> dict:
    """Every figure of the dashboard, by SQL written for this test."""
    dialect = db.session.get_bind().dialect.name
    binds = {"rounds": bindparam("rounds", round_ids, expanding=True),
             "cutoff": bindparam("cutoff", now - GRACE, type_=UTCDateTime)}

    def rows(sql: str):
        return db.session.execute(text(sql).bindparams(*(bind for name, bind in binds.items() if f":{name}" in sql)))

    def one(sql: str):
        return rows(sql).scalar()

    # Literal SQL of this test, one expression per dialect: nothing from outside goes in.
    day = local_date_sql("a.started_at", dialect, "Asia/Ho_Chi_Minh")
    per_day = f"SELECT {day} AS d, COUNT(*) FROM attempts a WHERE a.round_id IN :rounds GROUP BY {day}"  # noqa: S608
    # New on a day: an attempt that day with no earlier one by the same person in scope.
    new_per_day = (f"SELECT {day} AS d, COUNT(DISTINCT a.user_id) FROM attempts a "  # noqa: S608
                   "WHERE a.round_id IN :rounds AND NOT EXISTS (SELECT 1 FROM attempts b WHERE b.round_id IN :rounds "
                   f"AND b.user_id = a.user_id AND b.started_at < a.started_at) GROUP BY {day}")

    units = {code: (0, 0, headcount) for code, headcount in rows("SELECT code, headcount FROM units")}
    units.update({code: (people, attempts, headcount) for code, headcount, people, attempts in rows(
        "SELECT n.code, n.headcount, COUNT(DISTINCT a.user_id), COUNT(a.id) FROM attempts a "
        "JOIN users u ON u.id = a.user_id JOIN units n ON n.id = u.unit_id WHERE a.round_id IN :rounds "
        "GROUP BY n.code, n.headcount")})
    # The directory is a province of districts of communes: a district holds itself and its children.
    districts = {code: (people, attempts) for code, people, attempts in rows(
        "SELECT d.code, COUNT(DISTINCT a.user_id), COUNT(a.id) FROM units d "
        "JOIN units x ON x.id = d.id OR x.parent_id = d.id JOIN users u ON u.unit_id = x.id "
        "JOIN attempts a ON a.user_id = u.id AND a.round_id IN :rounds "
        "WHERE d.parent_id = (SELECT id FROM units WHERE code = 'T') GROUP BY d.code")}
    district_headcounts = dict(rows(
        "SELECT d.code, CASE WHEN d.headcount IS NOT NULL THEN d.headcount "
        "WHEN COUNT(c.id) > 0 AND COUNT(c.id) = COUNT(c.headcount) THEN SUM(c.headcount) END "
        "FROM units d LEFT JOIN units c ON c.parent_id = d.id "
        "WHERE d.parent_id = (SELECT id FROM units WHERE code = 'T') GROUP BY d.code, d.headcount").all())
    return {
        "registered": one("SELECT COUNT(*) FROM users WHERE role = 'taker' AND is_active"),
        "participants": one("SELECT COUNT(DISTINCT user_id) FROM attempts WHERE round_id IN :rounds"),
        "attempts": one("SELECT COUNT(*) FROM attempts WHERE round_id IN :rounds"),
        "open_now": one("SELECT COUNT(*) FROM attempts WHERE round_id IN :rounds AND status = 'open' "
                        "AND (deadline IS NULL OR deadline >= :cutoff)"),
        "past_deadline": one("SELECT COUNT(*) FROM attempts WHERE round_id IN :rounds AND status = 'open' "
                             "AND deadline < :cutoff"),
        "submitted": one("SELECT COUNT(*) FROM attempts WHERE round_id IN :rounds AND status = 'submitted'"),
        "average_duration_ms": one(
            "SELECT AVG(duration_ms) FROM attempts WHERE round_id IN :rounds AND status = 'submitted'"),
        "attempts_per_day": {as_date(d): n for d, n in rows(per_day)},
        "new_per_day": {as_date(d): n for d, n in rows(new_per_day)},
        "units": units,
        "no_unit": tuple(rows(
            "SELECT COUNT(DISTINCT a.user_id), COUNT(a.id) FROM attempts a JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id IN :rounds AND u.unit_id IS NULL").one()),
        "province_itself": tuple(rows(
            "SELECT COUNT(DISTINCT a.user_id), COUNT(a.id) FROM attempts a JOIN users u ON u.id = a.user_id "
            "JOIN units n ON n.id = u.unit_id WHERE a.round_id IN :rounds AND n.code = 'T'").one()),
        "districts": {code: (*districts.get(code, (0, 0)), headcount)
                      for code, headcount in district_headcounts.items()},
        "scores": dict(rows("SELECT correct_count, COUNT(*) FROM attempts WHERE round_id IN :rounds "
                            "AND status = 'submitted' GROUP BY correct_count").all()),
    }


def by_code(rows) -> dict:
    return {row.code: row for row in rows}


# --- the service ------------------------------------------------------------------------------


@pytest.mark.parametrize("shown", [None, 1, 2])
def test_every_number_equals_a_direct_count(app, tmp_path, shown):
    slug, round_ids = generate(app, tmp_path)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        round_ = next((r for r in contest.rounds if r.number == shown), None)
        data = dashboard(contest, round_)
        scope = [round_.id] if round_ else round_ids
        expected = direct_counts(scope, NOW)

    # The data covers what it must, so no check below passes for want of cases.
    assert expected["attempts"] > 150 and expected["registered"] > 1_000
    assert expected["past_deadline"] > 0 and expected["no_unit"][0] > 0 and expected["province_itself"][0] > 0
    if shown != 1:
        assert expected["open_now"] > 0
    assert len(expected["attempts_per_day"]) >= 4

    assert data.round is round_
    assert data.registered == expected["registered"]
    assert data.participants == expected["participants"]
    assert data.attempts == expected["attempts"]
    assert data.open_now == expected["open_now"]
    assert data.past_deadline == expected["past_deadline"]
    assert data.submitted == expected["submitted"]
    assert data.attempts == data.open_now + data.past_deadline + data.submitted
    assert data.average_duration_ms == pytest.approx(float(expected["average_duration_ms"]))

    days = [day.day for day in data.days]
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]  # every day, none skipped
    assert {d.day: d.attempts for d in data.days if d.attempts} == expected["attempts_per_day"]
    assert {d.day: d.new_participants for d in data.days if d.new_participants} == expected["new_per_day"]
    assert min(expected["attempts_per_day"]) == days[0] and max(expected["attempts_per_day"]) == days[-1]

    units = by_code(data.units)
    assert set(units) == set(expected["units"]) | {None}
    for code, (people, attempts, headcount) in expected["units"].items():
        assert (units[code].participants, units[code].attempts, units[code].headcount) == (people, attempts, headcount)
        assert units[code].rate == (people / headcount if headcount else None)
    assert (units[None].name, units[None].participants, units[None].attempts) == (NO_UNIT, *expected["no_unit"])

    districts = by_code(data.districts)
    assert data.district_parent == "Tỉnh Thử"
    assert set(districts) == {"H1", "H2", "H3", "H4", "T", None}
    for code, (people, attempts, headcount) in expected["districts"].items():
        assert (districts[code].participants, districts[code].attempts, districts[code].headcount) == (
            people, attempts, headcount)
    assert (districts["H2"].headcount, districts["H3"].headcount) == (50, None)  # summed; one commune unknown
    assert (districts["T"].participants, districts["T"].attempts) == expected["province_itself"]
    assert districts["T"].headcount is None
    assert (districts[None].participants, districts[None].attempts) == expected["no_unit"]
    assert sum(row.participants for row in data.districts) == data.participants

    assert data.scores == [(score, expected["scores"].get(score, 0)) for score in range(QUESTIONS + 1)]


def test_days_follow_summer_time(app, tmp_path):
    """In a zone with summer time the local day changes at another UTC hour after the switch;
    the expected days come from zoneinfo, one attempt at a time."""
    zone = ZoneInfo("Europe/Berlin")
    slug, round_ids = build_contest(app, tmp_path, timezone="Europe/Berlin")
    # 2030-03-31 is the switch to summer time: local midnight is 23:00 UTC before, 22:00 after.
    moments = [datetime(2030, 3, 29, 22, 59, 59, tzinfo=UTC) + timedelta(hours=step) for step in range(0, 75, 2)]
    moments += [datetime(2030, 3, 31, 22, 0, tzinfo=UTC), datetime(2030, 3, 31, 21, 59, 59, 900_000, tzinfo=UTC)]
    rng = random.Random(3)
    with app.app_context():
        people = add_people("0975", [None] * len(moments))
        db.session.execute(insert(Attempt), [attempt_row(round_ids[0], user_id, 1, moment, rng=rng)
                                             for user_id, moment in zip(people, moments, strict=True)])
        db.session.commit()
        data = dashboard(db.session.scalar(select(Contest).where(Contest.slug == slug)))
    expected: dict[date, int] = {}
    for moment in moments:
        expected[moment.astimezone(zone).date()] = expected.get(moment.astimezone(zone).date(), 0) + 1
    assert {day.day: day.attempts for day in data.days} == expected
    assert {day.day: day.new_participants for day in data.days} == expected


def test_offset_segments_find_each_switch_to_the_second():
    zone = ZoneInfo("Europe/Berlin")
    segments = offset_segments(zone, datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 11, 1, tzinfo=UTC))
    assert segments == [(int(datetime(2030, 3, 31, 1, tzinfo=UTC).timestamp()), 3600),
                        (int(datetime(2030, 10, 27, 1, tzinfo=UTC).timestamp()), 7200), (None, 3600)]
    vietnam = ZoneInfo("Asia/Ho_Chi_Minh")
    assert offset_segments(vietnam, datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)) == [
        (None, 7 * 3600)]


def test_without_a_single_root_the_top_units_are_the_districts(app, tmp_path):
    _slug, round_ids = build_contest(app, tmp_path)
    path = tmp_path / "departments.csv"
    path.write_text("code,name,parent_code,headcount\nA,Ban A,,\nA1,Phòng A1,A,4\nA2,Phòng A2,A,6\nB,Ban B,,3\n",
                    encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["units", "load", str(path)]).exit_code == 0
    rng = random.Random(1)
    with app.app_context():
        units = dict(db.session.execute(text("SELECT code, id FROM units")).all())
        people = add_people("0974", [units.get(code) for code in ("A1", "A1", "A2", "A", "B", None)])
        db.session.execute(insert(Attempt), [attempt_row(round_ids[0], user_id, 1, OPENS + timedelta(hours=1), rng=rng)
                                             for user_id in people])
        db.session.commit()
        data = dashboard(db.session.scalar(select(Contest)))
    districts = {row.code: (row.participants, row.attempts, row.headcount) for row in data.districts}
    assert data.district_parent is None
    assert districts == {"A": (4, 4, 10), "B": (1, 1, 3), None: (1, 1, None)}


# --- the page ---------------------------------------------------------------------------------


def make_staff(app, auth, slug: str, role: str) -> None:
    phone = auth.login_as(role)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == phone))
        contest_id = db.session.scalar(select(Contest.id).where(Contest.slug == slug))
        db.session.add(ContestStaff(contest_id=contest_id, user_id=user_id, role=role))
        db.session.commit()


def test_the_page_shows_the_numbers_and_charts_to_an_organiser(app, client, auth, tmp_path):
    slug, _round_ids = generate(app, tmp_path)
    make_staff(app, auth, slug, "organiser")
    with app.app_context():
        data = dashboard(db.session.scalar(select(Contest).where(Contest.slug == slug)))
    response = client.get(f"/contests/manage/{slug}/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tài khoản đã đăng ký (toàn hệ thống)" in page
    assert f"<dd>{number(data.registered)}</dd>" in page and "." in number(data.registered)
    for value in (data.participants, data.attempts, data.open_now, data.submitted, data.past_deadline):
        assert f"<dd>{number(value)}</dd>" in page
    assert page.count('<svg class="chart" role="img"') == 6
    assert NO_UNIT in page and "Huyện Hai" in page
    # A unit's name is text, in the tables and in the charts' labels alike.
    assert "Xã &lt;Đông&gt; &amp; Tây" in page and "<Đông>" not in page
    h2 = next(row for row in data.districts if row.code == "H2")
    assert f'<td class="num">{percent(h2.rate)}</td>' in page
    for day in data.days:
        assert day.day.strftime("%d/%m/%Y") in page

    one_round = client.get(f"/contests/manage/{slug}/dashboard?round=2")
    assert one_round.status_code == 200 and "Vòng 2: Tuần 2" in one_round.get_data(as_text=True)
    assert client.get(f"/contests/manage/{slug}/dashboard?round=9").status_code == 404
    assert client.get(f"/contests/manage/{slug}/dashboard?round=x").status_code == 404
    assert client.get("/contests/manage/khong-co/dashboard").status_code == 404


def test_judges_of_the_contest_see_it_other_people_do_not(app, client, auth, tmp_path):
    slug, _round_ids = build_contest(app, tmp_path)
    url = f"/contests/manage/{slug}/dashboard"
    assert client.get(url).status_code == 302  # to the login page
    auth.login_as("taker")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login_as("organiser")  # an organiser, but not of this contest
    assert client.get(url).status_code == 403
    auth.logout()
    make_staff(app, auth, slug, "judge")
    response = client.get(url)
    assert response.status_code == 200
    assert "Chưa có lượt thi nào." in response.get_data(as_text=True)


# --- the pieces -------------------------------------------------------------------------------


def test_numbers_are_written_the_vietnamese_way():
    assert [number(0), number(999), number(1_234), number(1_234_567)] == ["0", "999", "1.234", "1.234.567"]
    assert number(1234.5, 1) == "1.234,5" and number(None) == "—"
    assert percent(0.125) == "12,5 %" and percent(None) == "—"


def test_charts_are_labelled_images_with_escaped_labels():
    bars = str(bar_chart([("<b>A & B</b>", 1_500), ("C", 0)], title="Người <tham> gia"))
    assert bars.startswith('<svg class="chart" role="img" aria-label="Người &lt;tham&gt; gia"')
    assert "<title>Người &lt;tham&gt; gia</title>" in bars and "&lt;b&gt;A &amp; B&lt;/b&gt;" in bars
    assert "<b>" not in bars and ">1.500<" in bars
    columns = str(column_chart([(str(n), n * 10) for n in range(60)], title="Ngày"))
    assert columns.count("<rect") == 60 and 'viewBox="0 0 640 240"' in columns
    assert "Chưa có số liệu." in str(column_chart([], title="Trống"))
