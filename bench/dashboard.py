"""Benchmark: the organisers' dashboard of a contest of 500,000 attempts on PostgreSQL
(target: about 1 s a load).

    .venv/bin/python bench/dashboard.py [--database-url URL] [--people 200000] [--attempts 500000]
        [--rounds 4] [--repeat 7] [--no-vacuum] [--keep]

It creates a throwaway database on the server of --database-url, builds it with the
migrations, loads a small bank, a units directory of a province with 20 districts of 10
communes each (headcounts on the communes), and a contest of --rounds weekly rounds, the last
one open now. It then inserts the people (5 % without a unit, some at a district) and their
attempts with ``generate_series``: every person takes part, two attempts in one round and one
in the next, until --attempts; start times spread over each round's week; a few attempts open
now, a few open past their deadline; then VACUUM ANALYZE, as autovacuum would have done
(``--no-vacuum``: ANALYZE only, so index-only scans must visit the table too).

It times the dashboard service (``contests.dashboard.dashboard``) for all rounds and for the
last round, and the full page ``GET /contests/manage/<slug>/dashboard`` through the Flask test
client signed in as an organiser of the contest, --repeat times each after one warm-up, and
prints the median and the maximum, the slowest SQL statements of one load, and the machine.

Then the contest's overall standings (judging/standings.py, target under 1 s): first with
every round ranked live (page and count, every row), then with the three finished rounds'
rankings kept (timed: closing expired attempts and keeping them) and added up once per person
(``standing_totals``, timed), the open round ranked live: the page with its count at the top and
the middle, with the kept totals dropped (before) and kept (after) in turn (--alternations);
the same pages with the open round's per-person results already in a table (option (a) of issue
13's open standings at its best); the provisional snapshot (judging/provisional.py): computing
it, and its pages read by place; every row, and the judges' standings page GET as a judge of the
contest, first and middle page (the snapshot, the round being open); then the same before and
after once the last round has closed too (a page read by place).
``--standings-only`` skips the dashboard and the standings with nothing kept.
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, event, select, text, update  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.attempts.services import finalise_expired  # noqa: E402
from quizapp.auth.services import register_user  # noqa: E402
from quizapp.auth.terms import on_paper  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.clock import utcnow  # noqa: E402
from quizapp.contests.dashboard import dashboard  # noqa: E402
from quizapp.contests.models import Contest, ContestStaff, Round  # noqa: E402
from quizapp.contests.services import save_contest, validate_contest  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.judging import provisional  # noqa: E402
from quizapp.judging.materialised import keep, keep_totals, kept, ranking_source  # noqa: E402
from quizapp.judging.models import StandingBuild, StandingTotal  # noqa: E402
from quizapp.judging.standings import count as standings_count  # noqa: E402
from quizapp.judging.standings import counted_rounds, standings  # noqa: E402
from quizapp.judging.standings import page as standings_page  # noqa: E402
from quizapp.units.services import load_units_csv  # noqa: E402

SECRET = secrets.token_urlsafe(32)
SLUG = "bench-bang-tin"
ORGANISER_PHONE = "0899999999"
JUDGE_PHONE = "0899999997"
# A random password for the organiser this run signs in as.
PASSWORD = secrets.token_urlsafe(12)


def contest(now: datetime, rounds: int) -> dict:
    first = now - timedelta(days=7 * (rounds - 1) + 3)
    return {
        "slug": SLUG, "title": "Cuộc thi đo tốc độ trang theo dõi",
        "rounds": [{
            "number": number, "title": f"Tuần {number}",
            "opens_at": (first + timedelta(days=7 * (number - 1))).isoformat(),
            "closes_at": (first + timedelta(days=7 * number, hours=-1)).isoformat(),
            "time_limit_seconds": 1200, "max_attempts": None, "counting_attempt": "best",
            "draw": [{"bank": "bench", "count": 20}], "prediction": None,
            "tie_breakers": ["correct_desc", "duration_asc", "submitted_at_asc"], "review": "after_close",
        } for number in range(1, rounds + 1)],
    }


def bank_csv(count: int = 40) -> bytes:
    lines = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án"]
    lines += [f"Chung,Câu hỏi số {number} về nghị quyết?,Một,Hai,Ba,Bốn,A" for number in range(1, count + 1)]
    return ("\n".join(lines) + "\n").encode()


def units_csv(districts: int = 20, communes: int = 10) -> bytes:
    lines = ["code,name,parent_code,headcount", "T,Tỉnh Thử Nghiệm,,"]
    for d in range(1, districts + 1):
        lines.append(f"H{d:02d},Huyện số {d},T,")
        lines += [f"X{d:02d}{c:02d},Xã {c} huyện {d},H{d:02d},{1000 + 37 * c * d}" for c in range(1, communes + 1)]
    return ("\n".join(lines) + "\n").encode()


def load(app, people: int, attempts: int, rounds: int, vacuum: bool = True) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        upgrade()
        import_bank_file("bench.csv", bank_csv(), slug="bench")
        load_units_csv(units_csv(), "units.csv")
        save_contest(validate_contest(contest(now, rounds)))
        organiser = register_user(phone=ORGANISER_PHONE, password=PASSWORD, full_name="Ban tổ chức", role="organiser",
                                  consent=on_paper())
        db.session.flush()
        contest_id = db.session.scalar(select(Contest.id).where(Contest.slug == SLUG))
        db.session.add(ContestStaff(contest_id=contest_id, user_id=organiser.id, role="organiser"))
        db.session.commit()
        # Units: 5 % none, 3 % a district, the rest a commune.
        db.session.execute(text("""
            WITH communes AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM units WHERE code LIKE 'X%'),
                 districts AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM units WHERE code LIKE 'H%')
            INSERT INTO users (phone, password_hash, full_name, role, is_active, session_version, created_at, unit_id)
            SELECT '09' || lpad(g::text, 8, '0'), 'x', 'Người dự thi ' || g, 'taker', true, 1, now(),
                   CASE WHEN g % 20 = 0 THEN NULL
                        WHEN g % 33 = 0 THEN (SELECT id FROM districts WHERE k = g % 20)
                        ELSE (SELECT id FROM communes WHERE k = (g * 7919) % 200) END
            FROM generate_series(1, :people) AS g"""), {"people": people})
        # Attempt i is person u = i % people's q-th, q = i / people: two in round (u + q/2) % R,
        # numbers 1 and 2, then the next round; (round, person, number) never repeats.
        db.session.execute(text("""
            WITH takers AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS u FROM users WHERE role = 'taker'),
                 rounds AS (SELECT id, opens_at, LEAST(closes_at, now()) AS until,
                                   row_number() OVER (ORDER BY number) - 1 AS r FROM rounds),
                 planned AS (SELECT i % :people AS u, i / :people AS q FROM generate_series(0, :attempts - 1) AS i)
            INSERT INTO attempts (round_id, user_id, number, max_attempts, status, started_at, deadline,
                                  submitted_at, expired, question_count, correct_count, duration_ms, disqualified)
            SELECT rounds.id, takers.id, 1 + p.q % 2, NULL, s.status, s.start, s.start + interval '20 minutes',
                   CASE WHEN s.status = 'submitted' THEN s.start + s.duration * interval '1 millisecond' END,
                   false, 20, CASE WHEN s.status = 'submitted' THEN (random() * 20)::int END,
                   CASE WHEN s.status = 'submitted' THEN s.duration END, false
            FROM planned p JOIN takers ON takers.u = p.u
            JOIN rounds ON rounds.r = (p.u + p.q / 2) % :rounds
            CROSS JOIN LATERAL (
                SELECT rounds.opens_at + random() * (rounds.until - rounds.opens_at - interval '20 minutes') AS start,
                       (60 + (random() * 1140)::int) * 1000 AS duration,
                       CASE WHEN p.q % 2 = 1 AND random() < 0.02 THEN 'open' ELSE 'submitted' END AS status
            ) AS s"""), {"people": people, "attempts": attempts, "rounds": rounds})
        # The open ones of the open round: some still running now.
        db.session.execute(text("""
            UPDATE attempts SET started_at = now() - interval '5 minutes', deadline = now() + interval '15 minutes'
            WHERE status = 'open' AND round_id = (SELECT max(id) FROM rounds) AND id % 3 = 0"""))
        db.session.commit()
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if vacuum else "ANALYZE"))
        db.engine.dispose()


def timed(action, repeat: int) -> tuple[float, float]:
    action()  # warm-up: first connections, compiled statements, templates
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), max(seconds)


def statement_times(app, action) -> list[tuple[float, str]]:
    """Seconds of each SQL statement one run of ``action`` sends, slowest first."""
    spent: dict[str, float] = defaultdict(float)

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        spent[" ".join(statement.split())[:150]] += time.perf_counter() - conn.info.pop("bench_began")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return sorted(((seconds, sql) for sql, seconds in spent.items()), reverse=True)


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def kept_standings(app, repeat: int, alternations: int) -> None:
    """The standings once the finished rounds' rankings are kept (judging/materialised.py), the
    open round ranked live; then with the last round finished too. Each time the finished rounds
    added up from their kept rankings in the query (before: as before issue 13's leftovers)
    and from their kept totals (after: ``standing_totals``), alternated ``alternations`` times:
    the service's page with its count at the top and the middle; then every row, and the judges'
    standings page GET (which closes expired attempts and checks every round is kept)."""
    with app.app_context():
        shown = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        judge = register_user(phone=JUDGE_PHONE, password=PASSWORD, full_name="Giám khảo", role="judge",
                              consent=on_paper())
        db.session.flush()
        db.session.add(ContestStaff(contest_id=shown.id, user_id=judge.id, role="judge"))
        db.session.commit()
        db.session.remove()
    keep_rankings_and_totals(app)
    before_and_after(app, repeat, alternations, "three rounds finished, the fourth open")
    incremental_floor(app, repeat)
    provisional_snapshot(app, repeat)

    def every_row() -> int:
        return sum(1 for _ in standings(contest_now()))

    median, worst = timed(in_context(app, every_row), repeat)
    print(f"standings, kept totals, every row (the CSV): median {median:.3f} s, max {worst:.3f} s, {load_average()}")
    people = in_context(app, lambda: standings_page(contest_now(), 50, 0)[1])()
    client = app.test_client()  # signed in as the judge, not the organiser
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    login = client.post("/auth/login", data={"phone": JUDGE_PHONE, "password": PASSWORD, "csrf_token": csrf})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    for label, number in (("first page", 1), ("the middle page", people // 2 // 50)):
        def get(number=number):
            response = client.get(f"/judging/contests/{SLUG}/standings?page={number}")
            assert response.status_code == 200, response.status_code
        median, worst = timed(get, repeat)
        print(f"standings page GET as a judge, the fourth round open (its provisional snapshot), {label}: "
              f"median {median:.3f} s, max {worst:.3f} s, {load_average()} (target < 1 s)")

    # The last round closes: every round is in the kept totals, and a page is read by place.
    with app.app_context():
        last = counted_rounds(contest_now())[-1]
        db.session.execute(update(Round).where(Round.id == last.id).values(closes_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        db.session.remove()
    keep_rankings_and_totals(app)
    before_and_after(app, repeat, alternations, "all four rounds finished")


def incremental_floor(app, repeat: int) -> None:
    """Option (a) of the open round's standings at its best: the round's per-person results
    kept as attempts come in (here copied once into a table, with nothing to maintain), so a
    page only adds them to the finished rounds' kept totals, sorts and counts."""
    with app.app_context():
        shown = contest_now()
        ranked = ranking_source(counted_rounds(shown)[-1])
        query = select(ranked.c.user_id, ranked.c.correct_count, ranked.c.duration_ms)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(text(f"CREATE TABLE bench_open_results AS {compiled}"))
        db.session.execute(text("ALTER TABLE bench_open_results ADD PRIMARY KEY (user_id)"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE bench_open_results"))
        contest_id = shown.id
        db.session.remove()
    statement = text("""
        SELECT user_id, correct, duration, taken, count(*) OVER () AS listed FROM (
            SELECT user_id, sum(correct) AS correct, sum(duration) AS duration, sum(taken) AS taken,
                   max(per_round) AS per_round, max(open_correct) AS open_correct
            FROM (SELECT user_id, correct, duration_ms AS duration, taken, per_round, NULL::int AS open_correct
                  FROM standing_totals WHERE contest_id = :contest
                  UNION ALL
                  SELECT user_id, correct_count, duration_ms, 1, NULL, correct_count FROM bench_open_results) AS parts
            GROUP BY user_id) AS totals
        ORDER BY correct DESC, duration ASC, taken DESC, user_id LIMIT 50 OFFSET :offset""")
    people = in_context(app, lambda: db.session.scalar(text(
        "SELECT count(*) FROM (SELECT user_id FROM standing_totals UNION SELECT user_id FROM bench_open_results) AS p"
    )))()
    for label, offset in (("first page", 0), ("the middle page", people // 2 // 50 * 50)):
        median, worst = timed(in_context(app, lambda offset=offset: db.session.execute(
            statement, {"contest": contest_id, "offset": offset}).all()), repeat)
        print(f"standings, the open round's per-person results kept (option a, its floor), {label} with its count: "
              f"median {median:.3f} s, max {worst:.3f} s, {load_average()}")
    in_context(app, lambda: (db.session.execute(text("DROP TABLE bench_open_results")), db.session.commit()))()


def provisional_snapshot(app, repeat: int) -> None:
    """Option (b): the standings with the fourth round open computed once into a snapshot (the
    ``judging.provisional`` job's work, forced each time), and its pages read by place."""
    def compute() -> int:
        shown = contest_now()
        provisional.forget([shown.id])
        build = provisional.refresh(shown)
        db.session.commit()
        return build.rows

    rows = in_context(app, compute)()
    median, worst = timed(in_context(app, compute), max(3, repeat // 2))
    print(f"provisional snapshot, computed by the job ({rows:,} people): median {median:.3f} s, max {worst:.3f} s, "
          f"{load_average()}")

    def read(offset: int) -> int:
        shown = contest_now()
        rounds = counted_rounds(shown)
        build = provisional.current(shown, rounds, provisional.live_rounds(rounds))
        return len(provisional.page(build, rounds, 50, offset)[0])

    for label, offset in (("first page", 0), ("the middle page", rows // 2 // 50 * 50)):
        median, worst = timed(in_context(app, lambda offset=offset: read(offset)), repeat)
        print(f"provisional snapshot, {label} with its count: median {median:.3f} s, max {worst:.3f} s, "
              f"{load_average()} (target < 1 s)")


def contest_now() -> Contest:
    return db.session.scalar(select(Contest).where(Contest.slug == SLUG))


def in_context(app, action):
    def run():
        with app.app_context():
            try:
                return action()
            finally:
                db.session.remove()
    return run


def keep_rankings_and_totals(app) -> None:
    with app.app_context():
        shown = contest_now()
        began = time.perf_counter()
        for round_ in counted_rounds(shown):
            finalise_expired(round_id=round_.id)
            keep(round_)
            db.session.commit()
        finished = sum(1 for round_ in counted_rounds(shown) if kept(round_) is not None)
        print(f"keeping the rankings of the {finished} finished rounds (expired attempts closed first): "
              f"{time.perf_counter() - began:.2f} s, {load_average()}")
        began = time.perf_counter()
        totals = keep_totals(shown)
        db.session.commit()
        print(f"adding them up once (standing_totals, {totals.rows:,} people): {time.perf_counter() - began:.2f} s, "
              f"{load_average()}")
        db.session.remove()


def before_and_after(app, repeat: int, alternations: int, scenario: str) -> None:
    """Pages of the standings with the kept totals dropped (before) and kept again (after), in turn."""
    def drop_totals():
        db.session.execute(delete(StandingTotal))
        db.session.execute(delete(StandingBuild))
        db.session.commit()

    def restore_totals():
        keep_totals(contest_now())
        db.session.commit()

    people = in_context(app, lambda: standings_page(contest_now(), 50, 0)[1])()
    medians: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _turn in range(alternations):
        for variant, prepare in (("before", drop_totals), ("after", restore_totals)):
            in_context(app, prepare)()
            for label, offset in (("first page", 0), ("the middle page", people // 2 // 50 * 50)):
                median, _worst = timed(in_context(app, lambda offset=offset: standings_page(contest_now(), 50,
                                                                                            offset)), repeat)
                medians[(variant, label)].append(median)
    for (variant, label), values in medians.items():
        print(f"standings ({scenario}), {variant}: {label} with its count: medians "
              f"{' / '.join(f'{value:.3f}' for value in values)} s, {load_average()} (target < 1 s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--attempts", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-vacuum", action="store_true",
                        help="ANALYZE only: the visibility map is empty, as right after a burst of attempts")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed) to study plans")
    parser.add_argument("--standings-only", action="store_true",
                        help="time only the standings with kept rankings, before and after their kept totals")
    parser.add_argument("--alternations", type=int, default=3,
                        help="how many times the standings' before and after take turns")
    args = parser.parse_args()
    if args.attempts > args.people * 2 * args.rounds:
        parser.error("at most two attempts per person per round")
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    try:
        # A snapshot of provisional standings stays current through the timings (no job runs
        # between them: provisional_snapshot times the computation itself).
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None,
                          "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST_KIB": 8,
                          "PROVISIONAL_STANDINGS_SECONDS": 3600})
        started = time.perf_counter()
        load(app, args.people, args.attempts, args.rounds, vacuum=not args.no_vacuum)
        print(f"loaded {args.people:,} people, {args.attempts:,} attempts in {args.rounds} rounds, "
              f"a directory of 221 units, in {time.perf_counter() - started:.1f} s")

        if args.standings_only:
            kept_standings(app, args.repeat, args.alternations)
            return 0

        def service(last_round_only: bool = False):
            with app.app_context():
                shown = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
                data = dashboard(shown, shown.rounds[-1] if last_round_only else None)
                db.session.remove()
                return data

        data = service()
        print(f"the dashboard counts {data.participants:,} participants, {data.attempts:,} attempts "
              f"({data.open_now:,} open now, {data.past_deadline:,} past their deadline), {len(data.days)} days, "
              f"{len(data.units) - 1} units, {len(data.districts) - 1} district rows")
        median, worst = timed(service, args.repeat)
        print(f"service, all rounds:      median {median:.3f} s, max {worst:.3f} s over {args.repeat} runs "
              "(target about 1 s)")
        median, worst = timed(lambda: service(True), args.repeat)
        print(f"service, last round only: median {median:.3f} s, max {worst:.3f} s over {args.repeat} runs")

        client = app.test_client()
        csrf = client.get("/api/v1/session").get_json()["csrf_token"]
        login = client.post("/auth/login", data={"phone": ORGANISER_PHONE, "password": PASSWORD, "csrf_token": csrf})
        assert login.status_code == 302, login.get_data(as_text=True)[:500]

        def page(query: str = ""):
            response = client.get(f"/contests/manage/{SLUG}/dashboard{query}")
            assert response.status_code == 200, response.status_code
            return response

        size = len(page().get_data())
        median, worst = timed(page, args.repeat)
        print(f"page GET, all rounds:      median {median:.3f} s, max {worst:.3f} s ({size / 1024:.0f} KiB of HTML)")
        median, worst = timed(lambda: page("?round=" + str(args.rounds)), args.repeat)
        print(f"page GET, last round only: median {median:.3f} s, max {worst:.3f} s")

        # The same contest's overall standings (judging.standings): every round ranked, added up.
        def overall(pages: bool = True):
            with app.app_context():
                shown = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
                rows = sum(1 for _ in standings(shown, limit=50 if pages else None))
                total = standings_count(shown) if pages else rows
                db.session.remove()
                return total

        median, worst = timed(overall, args.repeat)
        print(f"standings, nothing kept, first page and count: median {median:.3f} s, max {worst:.3f} s "
              f"({overall():,} people), {load_average()}")
        median, worst = timed(lambda: overall(False), args.repeat)
        print(f"standings, nothing kept, every row (the CSV): median {median:.3f} s, max {worst:.3f} s, "
              f"{load_average()}")
        kept_standings(app, args.repeat, args.alternations)

        print("slowest statements of one load (all rounds):")
        for seconds, sql in statement_times(app, service)[:6]:
            print(f"  {seconds:.3f} s  {sql}")
        with app.app_context():
            server = db.session.execute(text("SHOW server_version")).scalar()
            db.session.remove()
            db.engine.dispose()
        print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}, PostgreSQL {server} on the same machine")
        return 0
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            drop_postgres_database(url)


if __name__ == "__main__":
    sys.exit(main())
