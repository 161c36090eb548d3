"""Benchmark: import a generated 10,000-question xlsx bank (target: under 10 s on 2 cores).

    .venv/bin/python bench/bank_import.py [--questions 10000] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary directory (the embedded
default); with a PostgreSQL server URL it creates a throwaway database there and drops it.
It times parsing and checking alone, then the whole import (parse, check, insert, commit),
and prints both with the rate in questions per second.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.banks.formats import parse_file  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.extensions import db  # noqa: E402

WORDS = ("Đảng", "Nhân dân", "nghị quyết", "tư tưởng", "đạo đức", "phong cách", "chuyển đổi số", "cải cách",
         "hành chính", "Hà Giang", "đoàn kết", "độc lập", "tự do", "hạnh phúc", "cán bộ", "đảng viên")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def generate_xlsx(count: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Câu hỏi")
    sheet.append(["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Giải thích", "Nguồn", "Độ khó"])
    for number in range(1, count + 1):
        options = [f"{sentence(rng, 3)} ({number}.{letter})" for letter in "ABCD"]
        sheet.append([
            f"Chủ đề {number % 12 + 1}",
            f"Câu {number}: {sentence(rng, 14)}?",
            *options,
            rng.choice("ABCD"),
            sentence(rng, 20),
            f"Văn bản số {number}-NQ/TW",
            rng.randint(1, 3),
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    data = generate_xlsx(args.questions)
    print(f"generated {args.questions} questions: {len(data) / 1e6:.1f} MB xlsx")

    drop = None
    if args.database_url and args.database_url.startswith(("postgres", "postgresql")):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from conftest import create_postgres_database, drop_postgres_database

        url = create_postgres_database(args.database_url)
        drop = lambda: drop_postgres_database(url)  # noqa: E731
    else:
        url = args.database_url or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db")

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40})
    try:
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            result = parse_file("bench.xlsx", data)
            parse_seconds = time.perf_counter() - started
            assert not result.errors, result.errors[:5]

            started = time.perf_counter()
            report = import_bank_file("bench.xlsx", data, slug="bench")
            db.session.commit()
            total_seconds = time.perf_counter() - started
            assert report.created == args.questions
            db.engine.dispose()
    finally:
        if drop:
            drop()
    print(f"database: {url.split('@')[-1]}")
    print(f"parse and check: {parse_seconds:.2f} s")
    print(f"full import (parse, check, insert, commit): {total_seconds:.2f} s "
          f"({args.questions / total_seconds:,.0f} questions/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
