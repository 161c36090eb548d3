"""Benchmark: lock a finished round of 100,000 submitted attempts on PostgreSQL (one per person by
default, so every attempt is ranked and gets its rank written at the lock; a national round locks
about 160,000 rows).

    .venv/bin/python bench/lock.py [--database-url URL] [--people 100000] [--attempts-each 1] [--repeat 3]

It loads the round as bench/ranking.py does (a throwaway database built with the migrations,
ties on every key, award tiers), keeps its ranking first (as a judge's view of the lock page
does; judging/materialised.py), then times ``judging.locking.lock_round`` and its commit, the
part a judge waits for after pressing "Khóa kết quả": the canonical CSV, the row digests, and
each ranked person's rank and award written for their counting attempt (``attempt_places``).
Each repeat unlocks the round again (deleting the snapshot and the places) before locking it
once more. On a version without ``attempt_places`` it times the lock as it was.
The database is dropped at the end.
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
from sqlalchemy import delete, func, select, update  # noqa: E402

from quizapp.contests import models  # noqa: E402
from quizapp.contests.models import Round  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.judging import locking  # noqa: E402
from quizapp.judging.locking import lock_round  # noqa: E402
from quizapp.judging.materialised import keep  # noqa: E402
from quizapp.judging.models import RoundResult  # noqa: E402

# Run on a version before ranks and awards were written at the lock too, to compare.
AttemptPlace = getattr(models, "AttemptPlace", None)
PLACES = AttemptPlace is not None


def unlock(round_id: int) -> None:
    """Undo a lock for the next repeat (no product code does this: a lock is final)."""
    db.session.execute(delete(RoundResult).where(RoundResult.round_id == round_id))
    if PLACES:
        db.session.execute(delete(AttemptPlace).where(AttemptPlace.round_id == round_id))
        db.session.execute(update(Round).where(Round.id == round_id).values(results_locked_at=None,
                                                                            ranked_count=None))
    db.session.commit()


def timing_places() -> list[float]:
    """Wrap the lock's writing of the places to time it apart (seconds per lock)."""
    spent: list[float] = []
    original = getattr(locking, "write_places", None)
    if original is None:
        return spent

    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - began)

    locking.write_places = timed
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--attempts-each", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    try:
        app = bench_app(url)
        started = time.perf_counter()
        round_id = load(app, args.people, args.attempts_each)
        print(f"loaded {args.people:,} people x {args.attempts_each} attempts in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            round_ = db.session.get(Round, round_id)
            keep(round_)
            db.session.commit()
            seconds = []
            places = timing_places()
            for _ in range(args.repeat):
                unlock(round_id)
                round_ = db.session.get(Round, round_id)
                began = time.perf_counter()
                result = lock_round(round_, None, reason="đo thời gian khóa")
                db.session.commit()
                seconds.append(time.perf_counter() - began)
                print(f"lock: {result.rows:,} rows in {seconds[-1]:.2f} s"
                      + (f" (writing the places: {places[-1]:.2f} s)" if places else "") + f", {load_average()}")
            ranked = db.session.scalar(select(func.count()).select_from(AttemptPlace).where(
                AttemptPlace.round_id == round_id)) if PLACES else None
            db.session.remove()
            db.engine.dispose()
        print(f"lock of {args.people * args.attempts_each:,} attempts: median {statistics.median(seconds):.2f} s, "
              f"max {max(seconds):.2f} s over {args.repeat}"
              + (f"; ranks written on {ranked:,} attempts" if ranked is not None else ""))
        print(machine())
        return 0
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    sys.exit(main())
