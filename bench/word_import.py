"""Benchmark: import a generated 2,000-question Word bank with 200 pictures (target: under 10 s).

    .venv/bin/python bench/word_import.py [--questions 2000] [--pictures 200] [--database-url URL]

The file is what organisers send: `Câu N:` stems, four `A. …` options a line each, the key in
bold with every label bold and every text dark grey (the marks the importer must see through),
an explanation line, a topic heading every 100 questions, and a 800×600 photo-like JPEG (a
gradient with noise, about 60–90 KB) under every tenth stem. It times the parse and check
(python-docx opens the package, the body is read, the marking decided, every rule checked) and
then the whole import (parse, check, insert, commit) on a fresh SQLite file or a throwaway
PostgreSQL database. Storing the pictures (resizing, recompressing) is not part of this branch:
when it is, the full import includes it.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402
from docx.shared import Cm, RGBColor  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from PIL import Image  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.banks.formats import parse_file  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.extensions import db  # noqa: E402

WORDS = ("Đảng", "Nhân dân", "nghị quyết", "tư tưởng", "đạo đức", "phong cách", "chuyển đổi số", "cải cách",
         "hành chính", "Hà Giang", "đoàn kết", "độc lập", "tự do", "hạnh phúc", "cán bộ", "đảng viên")
GREY = RGBColor(0x40, 0x40, 0x40)


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def photo(rng: random.Random, width: int = 800, height: int = 600) -> bytes:
    """A photo-like JPEG: a colour gradient with noise, which compresses like a photograph."""
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), rng.randint(20, 40))
    channels = [Image.blend(base, noise, rng.uniform(0.2, 0.5)) for _ in range(3)]
    image = Image.merge("RGB", channels).rotate(rng.choice((0, 90, 180, 270)), expand=False)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def generate_docx(count: int, pictures: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    every = max(count // pictures, 1) if pictures else count + 1
    images = [photo(rng) for _ in range(pictures)]  # all distinct: python-docx stores a repeated image once
    document = docx.Document()
    for number in range(1, count + 1):
        if number % 100 == 1:
            document.add_heading(f"Chủ đề {number // 100 + 1}", level=1)
        document.add_paragraph(f"Câu {number}: {sentence(rng, 14)}?")
        if pictures and number % every == 0 and number // every <= pictures:
            document.add_paragraph().add_run().add_picture(io.BytesIO(images[number // every - 1]), width=Cm(8))
        key = rng.randrange(4)
        for index, letter in enumerate("ABCD"):
            paragraph = document.add_paragraph()
            label = paragraph.add_run(f"{letter}. ")
            label.bold, label.font.color.rgb = True, GREY
            text = paragraph.add_run(f"{sentence(rng, 3)} ({number}.{letter})")
            text.bold, text.font.color.rgb = index == key, GREY
        document.add_paragraph(f"Giải thích: {sentence(rng, 20)}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--pictures", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate_docx(args.questions, args.pictures)
    print(f"generated {args.questions} questions, {args.pictures} pictures: {len(data) / 1e6:.1f} MB docx "
          f"in {time.perf_counter() - started:.1f} s")

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
            result = parse_file("bench.docx", data)
            parse_seconds = time.perf_counter() - started
            assert not result.errors, result.errors[:5]
            with_pictures = sum(question.picture is not None for question in result.questions)
            assert with_pictures == args.pictures, with_pictures

            started = time.perf_counter()
            report = import_bank_file("bench.docx", data, slug="bench")
            db.session.commit()
            total_seconds = time.perf_counter() - started
            assert report.created == args.questions
            stored = len(report.pictures)
            assert stored == args.pictures and not report.picture_problems, report.picture_problems[:5]
            db.engine.dispose()
    finally:
        if drop:
            drop()
    print(f"database: {url.split('@')[-1]}")
    print(f"notes: {result.notes}")
    print(f"parse and check: {parse_seconds:.2f} s ({with_pictures} pictures extracted)")
    print(f"full import (parse, check, {stored} pictures resized and stored, insert, commit): {total_seconds:.2f} s "
          f"({args.questions / total_seconds:,.0f} questions/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
