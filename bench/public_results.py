"""Benchmark: the public results page of a large locked round on PostgreSQL, as anyone without
signing in requests it (``GET /contests/<slug>/rounds/<n>/results``, judging/public.py).

    .venv/bin/python bench/public_results.py [--database-url URL] [--people 100000] [--items 20] [--views 20]

It loads the round as bench/ranking.py does (one submitted attempt per person) plus ``--items``
attempt items per attempt drawn from the bank's questions, locks it, and times: what the lock now
spends computing the page's figures (``public.figures``); the first view of a round locked
before the figures were kept (they are computed and stored then); and the views after, which read
the kept row: the figure that any client can repeat for free (DESIGN §3 rule 11), with the
statements each one runs. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from ranking import bench_app, load, load_average, machine  # noqa: E402
from sqlalchemy import event, select, text, update  # noqa: E402

from quizapp.contests.models import Contest, Round  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.judging import public  # noqa: E402
from quizapp.judging.locking import lock_round  # noqa: E402
from quizapp.judging.models import RoundResult  # noqa: E402


def add_items(round_id: int, items: int) -> int:
    """``items`` attempt items per attempt of the round, the bank's questions in turn, half right."""
    db.session.execute(text("""
        INSERT INTO attempt_items (attempt_id, position, question_id, question_revision, multiple, option_count,
                                   option_ids, correct_key, chosen)
        SELECT a.id, p, q.id, q.revision, false, 4, '[]', '0', CASE WHEN random() < 0.5 THEN '0' ELSE '1' END
        FROM attempts a CROSS JOIN generate_series(1, :items) AS p
        JOIN (SELECT id, revision, row_number() OVER (ORDER BY id) AS n FROM questions) AS q
          ON q.n = 1 + (a.id + p) % (SELECT count(*) FROM questions)
        WHERE a.round_id = :round"""), {"round": round_id, "items": items})
    db.session.commit()
    db.session.execute(text("ANALYZE attempt_items"))
    db.session.commit()
    return db.session.scalar(text("SELECT count(*) FROM attempt_items"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--views", type=int, default=20)
    args = parser.parse_args()
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    try:
        app = bench_app(url, RATELIMIT_ENABLED=False)
        started = time.perf_counter()
        round_id = load(app, args.people, 1)
        with app.app_context():
            items = add_items(round_id, args.items)
            print(f"loaded {args.people:,} attempts and {items:,} attempt items in "
                  f"{time.perf_counter() - started:.1f} s")
            round_ = db.session.get(Round, round_id)
            began = time.perf_counter()
            result = lock_round(round_, None, reason="đo trang kết quả công khai")
            db.session.commit()
            print(f"lock: {result.rows:,} rows in {time.perf_counter() - began:.2f} s, {load_average()}")
            round_ = db.session.get(Round, round_id)
            began = time.perf_counter()
            public.figures(round_, db.session.get(RoundResult, result.id))
            print(f"  of which the page's figures (public.figures, computed again): "
                  f"{time.perf_counter() - began:.2f} s")
            slug = db.session.scalar(select(Contest.slug).where(Contest.id == round_.contest_id))
            # As migration 0030 leaves a round locked before: no figures until its first view.
            db.session.execute(update(RoundResult).where(RoundResult.id == result.id).values(public_figures=None))
            db.session.commit()
            db.session.remove()
        url_path = f"/contests/{slug}/rounds/{round_.number}/results"
        client = app.test_client()
        began = time.perf_counter()
        assert client.get(url_path).status_code == 200
        print(f"first view of a round locked before (computes and keeps the figures): "
              f"{time.perf_counter() - began:.2f} s")
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda _c, _k, statement, *_r: statements.append(statement))
        seconds = []
        for _ in range(args.views):
            began = time.perf_counter()
            assert client.get(url_path).status_code == 200
            seconds.append(time.perf_counter() - began)
        print(f"kept view x {args.views}: median {statistics.median(seconds) * 1000:.1f} ms, "
              f"max {max(seconds) * 1000:.1f} ms, {len(statements) / args.views:.0f} statements each, "
              f"{load_average()}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        print(machine())
        return 0
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    sys.exit(main())
