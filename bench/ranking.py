"""Benchmark: rank and export a round of 200,000 submitted attempts by 100,000 people on
PostgreSQL (targets: ranking under 5 s; `rankings export` xlsx under 6 s with peak memory under
150 MB), and the judges' ranking page (target: under 1 s; issue 13 measures it on 450,000
attempts: ``--people 225000``).

    .venv/bin/python bench/ranking.py [--database-url URL] [--people 100000] [--attempts-each 2] [--repeat 5]

It creates a throwaway database on the server of --database-url, builds it with the
migrations, loads a small bank and a contest whose round uses every tie-break key, a
prediction (truth: people with an all-correct counting attempt, locked) and award tiers,
then inserts the people and their attempts with ``generate_series`` (scores, durations,
submission times and predictions drawn from small sets, so ties are everywhere). It times
the full ranking in this process (every row fetched); then the judges' ranking page GET
through the Flask test client, signed in as a judge of the contest: the first view (which
keeps the finished round's ranking, judging/materialised.py), then the first page and a deep
page (the middle of the ranking), --repeat times each; then runs the real
``flask --app wsgi rankings export ROUND -o FILE.xlsx`` in a child process and reports its
wall time and peak resident memory, and the same for CSV. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.auth.services import register_user  # noqa: E402
from quizapp.auth.terms import on_paper  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.contests.models import ContestStaff, Round  # noqa: E402
from quizapp.contests.services import save_contest, validate_contest  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.judging.ranking import rank  # noqa: E402

SECRET = secrets.token_urlsafe(32)
JUDGE_PHONE = "0899999998"
# A random password for the judge this run signs in as.
PASSWORD = secrets.token_urlsafe(12)


def contest(now: datetime) -> dict:
    return {
        "slug": "bench-xep-hang", "title": "Cuộc thi đo tốc độ xếp hạng",
        "rounds": [{
            "number": 1, "title": "Tuần 1",
            "opens_at": (now - timedelta(days=8)).isoformat(), "closes_at": (now - timedelta(days=1)).isoformat(),
            "time_limit_seconds": 1200, "max_attempts": None, "counting_attempt": "best",
            "draw": [{"bank": "bench", "count": 20}],
            "prediction": {"prompt": "Bao nhiêu người trả lời đúng tất cả?", "truth": "participants_all_correct",
                           "locked": True},
            "tie_breakers": ["correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc",
                             "attempts_used_asc"],
            "awards": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2},
                       {"name": "Giải Ba", "count": 3}, {"name": "Giải Khuyến khích", "count": 10}],
            "review": "after_close",
        }],
    }


def bank_csv(count: int = 40) -> bytes:
    lines = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án"]
    lines += [f"Chung,Câu hỏi số {number} về nghị quyết?,Một,Hai,Ba,Bốn,A" for number in range(1, count + 1)]
    return ("\n".join(lines) + "\n").encode()


def load(app, people: int, each: int) -> int:
    now = datetime.now(UTC)
    with app.app_context():
        upgrade()
        import_bank_file("bench.csv", bank_csv(), slug="bench")
        save_contest(validate_contest(contest(now)))
        judge = register_user(phone=JUDGE_PHONE, password=PASSWORD, full_name="Giám khảo", role="judge",
                              consent=on_paper())
        db.session.flush()
        round_ = db.session.scalar(select(Round))
        round_id = round_.id
        db.session.add(ContestStaff(contest_id=round_.contest_id, user_id=judge.id, role="judge"))
        db.session.commit()
        db.session.execute(text("""
            INSERT INTO users (phone, password_hash, full_name, role, is_active, session_version, created_at)
            SELECT '09' || lpad(g::text, 8, '0'), 'x', 'Người dự thi ' || g, 'taker', true, 1, now()
            FROM generate_series(1, :people) AS g"""), {"people": people})
        db.session.execute(text("""
            INSERT INTO attempts (round_id, user_id, number, max_attempts, status, started_at, deadline,
                                  submitted_at, expired, question_count, correct_count, duration_ms, prediction,
                                  disqualified)
            SELECT :round, u.id, n, NULL, 'submitted', s.start, s.start + interval '20 minutes',
                   s.start + ((s.duration / 1000) || ' seconds')::interval, false, 20,
                   16 + (random() * 4)::int, s.duration,
                   CASE WHEN random() < 0.1 THEN NULL ELSE 5000 + (random() * 20)::int * 250 END, false
            FROM users u CROSS JOIN generate_series(1, :each) AS n
            CROSS JOIN LATERAL (SELECT :opens + ((random() * 6 * 24 * 60)::int || ' minutes')::interval AS start,
                                       (300 + (random() * 20)::int * 30) * 1000 AS duration) AS s"""),
            {"round": round_id, "each": each, "opens": now - timedelta(days=8)})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return round_id


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def bench_app(url: str, **settings):
    """The app the benchmarks load and measure: no Redis, password hashing cheap for the seeding."""
    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None,
                       "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST_KIB": 8, **settings})


def machine() -> str:
    return f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, " \
           f"Python {platform.python_version()}"


def timed_export(env: dict[str, str], round_id: int, path: Path) -> tuple[float, float, float]:
    """(seconds, peak MB, CPU seconds) of the real CLI export in a child process (Linux)."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-c",
               "import sys; sys.argv = ['flask'] + sys.argv[1:]; "
               "from flask.cli import main; "
               # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so the child would report this
               # process's peak (the ranking above holds every row).
               "import atexit; atexit.register(lambda: print('peak-kb', next(line.split()[1] for line in "
               "open('/proc/self/status') if line.startswith('VmHWM')), file=sys.stderr)); main()",
               "--app", "wsgi", "rankings", "export", str(round_id), "-o", str(path)]
    began, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - began
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = used.ru_utime - cpu.ru_utime + used.ru_stime - cpu.ru_stime
    if finished.returncode != 0:
        raise RuntimeError(f"export failed:\n{finished.stdout}\n{finished.stderr}")
    peak_kb = int(next(line.split()[1] for line in finished.stderr.splitlines() if line.startswith("peak-kb")))
    return seconds, peak_kb / 1024, cpu_seconds


def ranking_pages(app, round_id: int, people: int, repeat: int) -> None:
    """The judges' ranking page GET: the first view, then the first page and a deep one."""
    client = app.test_client()
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    login = client.post("/auth/login", data={"phone": JUDGE_PHONE, "password": PASSWORD, "csrf_token": csrf})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]

    def page(number: int = 1) -> None:
        response = client.get(f"/judging/rounds/{round_id}/ranking?page={number}")
        assert response.status_code == 200, response.status_code

    began = time.perf_counter()
    page()
    print(f"ranking page, first view (keeps the ranking): {time.perf_counter() - began:.2f} s, {load_average()}")
    deep = max(1, people // 50 // 2)
    for label, number in (("first page", 1), (f"page {deep:,} (the middle)", deep)):
        seconds = []
        for _ in range(repeat):
            began = time.perf_counter()
            page(number)
            seconds.append(time.perf_counter() - began)
        print(f"ranking page GET, {label}: median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s "
              f"over {repeat}, {load_average()} (target < 1 s)")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--attempts-each", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--exports", type=int, default=2, help="how many times each export runs")
    args = parser.parse_args()
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="ranking-bench-"))
    try:
        app = bench_app(url)
        started = time.perf_counter()
        round_id = load(app, args.people, args.attempts_each)
        print(f"loaded {args.people:,} people x {args.attempts_each} attempts in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            began = time.perf_counter()
            rows = rank(round_id)
            ranking_seconds = time.perf_counter() - began
            db.session.remove()
            db.engine.dispose()
        print(f"ranking: {len(rows):,} people ranked from {args.people * args.attempts_each:,} attempts "
              f"in {ranking_seconds:.2f} s, {load_average()} (target < 5 s)")
        ranking_pages(app, round_id, len(rows), args.repeat)
        env = {**os.environ, "QUIZAPP_DATABASE_URL": url, "QUIZAPP_SECRET_KEY": SECRET}
        env.pop("QUIZAPP_REDIS_URL", None)
        for kind in ("xlsx", "csv"):
            path = workdir / f"xep-hang.{kind}"
            for _ in range(args.exports):
                seconds, peak, cpu = timed_export(env, round_id, path)
                print(f"export {kind}: {seconds:.2f} s ({cpu:.2f} s CPU of the export process), peak memory "
                      f"{peak:.0f} MB, {path.stat().st_size / 1e6:.1f} MB file, {load_average()}"
                      + (" (targets: < 6 s, < 150 MB)" if kind == "xlsx" else ""))
        print(machine())
        return 0
    finally:
        drop_postgres_database(url)
        for path in workdir.glob("*"):
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
