"""Benchmark: the item analysis of a round (judging/items.py) and a key correction, on PostgreSQL.

    .venv/bin/python bench/item_analysis.py [--database-url URL] [--attempts 450000] [--repeat 3]

It creates a throwaway database on the server of --database-url, builds it with the
migrations, loads a bank of 200 four-option questions and a finished round drawing 20, then
inserts --attempts submitted attempts (two per person) with 20 attempt items each with
``generate_series``: each item's options in one of four shown orders, answered right three
times in four, and every attempt scored from its items as a submit scores it. It times
``items.analyse`` in this process, the judges' page and its CSV through the Flask test
client (signed in as a judge of the contest), then one key correction (rolled back), each
--repeat times. The database is dropped at the end.

The issue's national round is 450,000 attempts × 20 questions: 9 million attempt items.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import timed  # noqa: E402  - bench/dashboard.py: a warm-up run, then the median and max
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.auth.services import register_user  # noqa: E402
from quizapp.auth.terms import on_paper  # noqa: E402
from quizapp.banks.models import Option  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.contests.models import ContestStaff, Round  # noqa: E402
from quizapp.contests.services import save_contest, validate_contest  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.judging import items  # noqa: E402

SECRET = secrets.token_urlsafe(32)
JUDGE_PHONE = "0899999997"
PASSWORD = secrets.token_urlsafe(12)
QUESTIONS, DRAWN = 200, 20


def contest(now: datetime) -> dict:
    return {
        "slug": "bench-phan-tich", "title": "Cuộc thi đo tốc độ phân tích câu hỏi",
        "rounds": [{
            "number": 1, "title": "Tuần 1",
            "opens_at": (now - timedelta(days=8)).isoformat(), "closes_at": (now - timedelta(days=1)).isoformat(),
            "time_limit_seconds": 1200, "max_attempts": None, "counting_attempt": "best",
            "draw": [{"bank": "bench", "count": DRAWN}], "prediction": None,
            "tie_breakers": ["correct_desc", "duration_asc", "submitted_at_asc"], "review": "after_close",
        }],
    }


def bank_csv() -> bytes:
    lines = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án"]
    lines += [f"Chung,Câu hỏi số {number} về nghị quyết?,Một,Hai,Ba,Bốn,A" for number in range(1, QUESTIONS + 1)]
    return ("\n".join(lines) + "\n").encode()


def load(app, attempts: int) -> int:
    now = datetime.now(UTC)
    people = max(1, attempts // 2)
    with app.app_context():
        upgrade()
        import_bank_file("bench.csv", bank_csv(), slug="bench")
        save_contest(validate_contest(contest(now)))
        judge = register_user(phone=JUDGE_PHONE, password=PASSWORD, full_name="Giám khảo", role="judge",
                              consent=on_paper())
        db.session.flush()
        round_ = db.session.scalar(select(Round))
        db.session.add(ContestStaff(contest_id=round_.contest_id, user_id=judge.id, role="judge"))
        # Four shown orders per question (rotations of the bank's), each with its key's index.
        orders = []
        options: dict[int, list[int]] = {}
        for question_id, option_id in db.session.execute(select(Option.question_id, Option.id)
                                                         .order_by(Option.question_id, Option.position)):
            options.setdefault(question_id, []).append(option_id)
        for number, (question_id, ids) in enumerate(sorted(options.items())):
            for turn in range(4):
                shown = ids[turn:] + ids[:turn]
                orders.append({"number": number, "turn": turn, "question": question_id,
                               "shown": json.dumps(shown), "key": str(shown.index(ids[0]))})
        db.session.execute(text("CREATE TABLE bench_orders (number int, turn int, question int, shown text, "
                                "key text)"))
        db.session.execute(text("INSERT INTO bench_orders VALUES (:number, :turn, :question, :shown, :key)"), orders)
        db.session.commit()
        db.session.execute(text("""
            INSERT INTO users (phone, password_hash, full_name, role, is_active, session_version, created_at)
            SELECT '09' || lpad(g::text, 8, '0'), 'x', 'Người dự thi ' || g, 'taker', true, 1, now()
            FROM generate_series(1, :people) AS g"""), {"people": people})
        db.session.execute(text("""
            INSERT INTO attempts (round_id, user_id, number, max_attempts, status, started_at, deadline,
                                  submitted_at, expired, question_count, duration_ms, disqualified)
            SELECT :round, u.id, n, NULL, 'submitted', :opens, :opens + interval '20 minutes',
                   :opens + interval '10 minutes', false, 20, 600000, false
            FROM users u CROSS JOIN generate_series(1, 2) AS n WHERE u.role = 'taker'"""),
            {"round": round_.id, "opens": now - timedelta(days=8)})
        db.session.execute(text("""
            INSERT INTO attempt_items (attempt_id, position, question_id, question_revision, multiple, option_count,
                                       option_ids, correct_key, chosen)
            SELECT a.id, p, o.question, 1, false, 4, o.shown::json, o.key,
                   CASE WHEN random() < 0.75 THEN o.key ELSE (floor(random() * 4))::int::text END
            FROM attempts a CROSS JOIN generate_series(0, 19) AS p
            JOIN bench_orders o ON o.number = (a.id + p * 10) % 200 AND o.turn = (a.id + p) % 4"""))
        db.session.execute(text("""
            UPDATE attempts SET correct_count = (SELECT count(*) FROM attempt_items i
                                                 WHERE i.attempt_id = attempts.id AND i.chosen = i.correct_key)"""))
        db.session.execute(text("DROP TABLE bench_orders"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        round_id = round_.id
        db.session.remove()
        db.engine.dispose()
    return round_id


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--attempts", type=int, default=450_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None,
                          "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST_KIB": 8})
        began = time.perf_counter()
        round_id = load(app, args.attempts)
        with app.app_context():
            count = db.session.scalar(text("SELECT count(*) FROM attempt_items"))
        print(f"loaded {args.attempts:,} attempts, {count:,} attempt items in {time.perf_counter() - began:.1f} s")

        with app.app_context():
            stats = items.analyse(round_id)
            assert len(stats) == QUESTIONS and sum(item.drawn for item in stats) == count
            median, worst = timed(lambda: items.analyse(round_id), args.repeat)
            db.session.remove()
        print(f"items.analyse: median {median:.2f} s, max {worst:.2f} s over {args.repeat}, {load_average()}")

        client = app.test_client()
        csrf = client.get("/api/v1/session").get_json()["csrf_token"]
        login = client.post("/auth/login", data={"phone": JUDGE_PHONE, "password": PASSWORD, "csrf_token": csrf})
        assert login.status_code == 302

        def get(path: str) -> None:
            response = client.get(path)
            assert response.status_code == 200, response.status_code

        for label, path in (("page", f"/judging/rounds/{round_id}/questions"),
                            ("CSV", f"/judging/rounds/{round_id}/questions.csv")):
            median, worst = timed(lambda path=path: get(path), args.repeat)
            print(f"GET {label}: median {median:.2f} s, max {worst:.2f} s over {args.repeat}, {load_average()}")

        with app.app_context():
            question_id = stats[0].question_id
            wrong = next(option.option_id for option in stats[0].options if not option.key)
            round_ = db.session.get(Round, round_id)

            def correct() -> None:
                done = items.correct_key(round_, question_id, [wrong], "Đo tốc độ", None)
                assert done.rescored > 0
                db.session.rollback()

            median, worst = timed(correct, args.repeat)
            print(f"key correction of one question ({stats[0].drawn:,} items, rolled back): median {median:.2f} s, "
                  f"max {worst:.2f} s over {args.repeat}, {load_average()}")
            db.session.remove()
            db.engine.dispose()
        print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}")
        return 0
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    sys.exit(main())
