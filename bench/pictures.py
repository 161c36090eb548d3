"""Benchmark: processing the pictures of a bank (banks/pictures.py), per picture and for a file.

    .venv/bin/python bench/pictures.py [--pictures 200] [--questions 2000]

Generates a mix of the pictures Word and Excel banks carry: phone photos (4000×3000 JPEG, as a
camera writes them), photos Word has already compressed (1600×1200 JPEG, its 220 ppi default),
maps and screenshots (1400×1000 PNG with flat colours and text-like detail), logos with
transparency (800×600 PNG) and small portraits (300×400 JPEG). It prints the time per picture
of each kind on one thread, the time for all of them through ``process_many`` (two threads),
and then a whole import of ``--questions`` questions of which ``--pictures`` have a picture,
through ``import_bank_file`` on SQLite (the parsed questions are handed in: the Word reader's
own time is measured by the Word bench), with the stored bytes. Target: the pictures of a
2,000-question Word file with 200 pictures leave the import well under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.banks import pictures, services  # noqa: E402
from quizapp.banks.formats.common import ParsedQuestion, ParseResult  # noqa: E402
from quizapp.banks.models import Picture  # noqa: E402
from quizapp.extensions import db  # noqa: E402


def _photo(rng: random.Random, width: int, height: int, quality: int) -> bytes:
    bands = [Image.effect_noise((width // 6, height // 6), rng.randrange(40, 90)) for _ in range(3)]
    image = Image.merge("RGB", bands).resize((width, height), Image.Resampling.BICUBIC)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.randrange(width // 20, width // 4)
        draw.ellipse((x, y, x + size, y + size), fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _map(rng: random.Random, width: int, height: int, alpha: bool) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (0, 0, 0, 0) if alpha else (245, 242, 230))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(6)]
        draw.polygon(points, fill=tuple(rng.randrange(256) for _ in range(3)), outline=(40, 40, 40))
    for line in range(0, height, 18):
        draw.text((rng.randrange(width // 2), line), "Xã Phú Thọ · Huyện Lâm Thao", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


KINDS = {
    "phone photo 4000×3000 JPEG": lambda rng: _photo(rng, 4000, 3000, 92),
    "Word photo 1600×1200 JPEG": lambda rng: _photo(rng, 1600, 1200, 85),
    "map 1400×1000 PNG": lambda rng: _map(rng, 1400, 1000, alpha=False),
    "logo 800×600 PNG, transparent": lambda rng: _map(rng, 800, 600, alpha=True),
    "portrait 300×400 JPEG": lambda rng: _photo(rng, 300, 400, 90),
}
# Of a Word bank's pictures, most are what Word already compressed, some straight from a phone.
MIX = ["Word photo 1600×1200 JPEG"] * 4 + ["map 1400×1000 PNG"] * 2 + ["phone photo 4000×3000 JPEG",
       "logo 800×600 PNG, transparent", "portrait 300×400 JPEG", "Word photo 1600×1200 JPEG"]


def per_kind(rng: random.Random) -> None:
    print("one thread, median of 5 (input → output):")
    for name, make in KINDS.items():
        data = make(rng)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = pictures.process(data)
            times.append(time.perf_counter() - start)
        print(f"  {name:32} {len(data) / 1024:7.0f} KB → {len(result.data) / 1024:3.0f} KB "
              f"{result.width}×{result.height}: {statistics.median(times) * 1000:6.1f} ms")


def import_file(count: int, with_pictures: list[bytes]) -> None:
    questions = [
        ParsedQuestion(line=f"Câu {number}", topic=f"Chủ đề {number % 7}", text=f"Câu hỏi số {number} về địa lý?",
                       options=[f"Phương án {letter} của câu {number}" for letter in "ABCD"], correct={number % 4},
                       multiple=False, picture=with_pictures[number] if number < len(with_pictures) else None)
        for number in range(count)
    ]
    services.parse_file = lambda *_args, **_kwargs: ParseResult(questions=questions)
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": f"sqlite:///{directory}/bench.db",
                          "REDIS_URL": None})
        with app.app_context():
            upgrade()
            start = time.perf_counter()
            report = services.import_bank_file("bench.docx", b"", slug="bench")
            db.session.commit()
            elapsed = time.perf_counter() - start
            stored = db.session.scalar(select(func.sum(Picture.byte_size)))
            print(f"import of {count} questions, {len(report.pictures)} with a picture "
                  f"({len(report.picture_problems)} refused): {elapsed:.2f} s, "
                  f"{stored / 1024:.0f} KB of pictures stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=200)
    parser.add_argument("--questions", type=int, default=2000)
    arguments = parser.parse_args()
    rng = random.Random(12)
    per_kind(rng)
    datas = [KINDS[MIX[index % len(MIX)]](rng) for index in range(arguments.pictures)]
    total = sum(len(data) for data in datas)
    start = time.perf_counter()
    for data in datas:
        pictures.process(data)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    pictures.process_many(datas)
    threaded = time.perf_counter() - start
    print(f"{len(datas)} pictures ({total / 1024 / 1024:.1f} MB): one thread {serial:.2f} s "
          f"({serial / len(datas) * 1000:.1f} ms each), process_many {threaded:.2f} s")
    import_file(arguments.questions, datas)


if __name__ == "__main__":
    main()
