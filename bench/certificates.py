"""Benchmark: a locked round's certificates for 1,000 award winners, made as the judges' ZIP job
(target: under 60 s on the project's 2-core machine).

    .venv/bin/python bench/certificates.py [--database-url URL] [--winners 1000] [--logo]

``--database-url`` names a PostgreSQL server (a throwaway database is made on it and dropped at
the end); without it a throwaway SQLite file. The database is built by the migrations; a contest
with its letterhead and one round whose award tiers cover every taker, 1,000 takers with
Vietnamese names and units, one submitted attempt each, locked as a judge locks it. Then the
``judging.certificates`` job runs as ``start_certificates`` starts it, here and now (no Redis: the
same function the worker runs, its file stored in the database in chunks), issuing every code and
writing one PDF per person into the ZIP. Printed: the job's time, per certificate, this process's
CPU time (the machine's load changes the first, hardly the second), the ZIP's size, and a check
that it holds one PDF per winner; then the same click again (the kept file).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import platform
import random
import secrets
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask_migrate import upgrade  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.auth.models import User  # noqa: E402
from quizapp.contests.logos import logo_png  # noqa: E402
from quizapp.contests.models import Attempt, Contest, Round  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.jobs import services as jobs  # noqa: E402
from quizapp.judging.certificates.models import Certificate  # noqa: E402
from quizapp.judging.jobs import start_certificates  # noqa: E402
from quizapp.judging.locking import lock_round  # noqa: E402
from quizapp.units.models import Unit  # noqa: E402

FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Hữu Đức Minh Ngọc Thanh Quốc Xuân Thu Hoàng Kim".split()
GIVEN = ("An Bình Cường Dũng Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Khánh Lan Linh Long Mai Nam Nga Phong Phúc "
         "Quang Sơn Tâm Thảo Trang Tuấn Việt Yến Đạt Đông Đào").split()
BASE_URL = "https://thi.namdinh.example.vn"


def logo_data_url() -> str:
    image = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 590, 590), fill=(200, 20, 20, 255))
    draw.regular_polygon((300, 300, 200), 5, rotation=-90, fill=(255, 220, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def build(winners: int, logo: bool) -> int:
    """The contest, its takers and their attempts, the round locked; returns the round's id."""
    rng = random.Random(15)
    now = datetime.now(UTC)
    db.session.add_all([Unit(code=f"U{number:02d}", name=f"Phường số {number}, thành phố Nam Định")
                        for number in range(20)])
    db.session.commit()
    units = list(db.session.scalars(select(Unit.id)))
    contest = Contest(slug="gcn-bench",
                      title="Cuộc thi trắc nghiệm trực tuyến “Tìm hiểu Nghị quyết Đại hội Đảng bộ tỉnh”",
                      organising_body="Ban Tuyên giáo Tỉnh ủy", parent_body="Tỉnh ủy Nam Định",
                      document_place="Nam Định", document_heading="party",
                      signers=[{"on_behalf": "T/M BAN TỔ CHỨC", "title": "Trưởng ban", "name": "Trần Văn Bình"}])
    db.session.add(contest)
    db.session.flush()
    if logo:
        # Checked and shrunk as the contest file's validator does it.
        contest.certificate_logo = logo_png(logo_data_url())
    round_ = Round(contest=contest, number=1, title="Tuần 1", opens_at=now - timedelta(days=8),
                   closes_at=now - timedelta(days=1), time_limit_seconds=1200, max_attempts=1,
                   counting_attempt="best", draw=[], tie_breakers=["correct_desc", "duration_asc"],
                   awards=[{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2},
                           {"name": "Giải Ba", "count": 5}, {"name": "Giải Khuyến khích", "count": winners - 8}])
    db.session.add(round_)
    db.session.commit()
    db.session.execute(insert(User), [
        {"phone": f"0977{number:06d}", "password_hash": "x", "unit_id": rng.choice(units),
         "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"} for number in range(winners)])
    user_ids = list(db.session.scalars(select(User.id).where(User.phone.like("0977%")).order_by(User.id)))
    started = now - timedelta(days=3)
    db.session.execute(insert(Attempt), [
        {"round_id": round_.id, "user_id": user_id, "number": 1, "max_attempts": 1, "status": "submitted",
         "started_at": started, "deadline": started + timedelta(minutes=20), "question_count": 20,
         "submitted_at": started + timedelta(minutes=10), "correct_count": rng.randint(12, 20),
         "duration_ms": rng.randint(200_000, 1_100_000), "expired": False, "disqualified": False}
        for user_id in user_ids])
    db.session.commit()
    lock_round(round_, None, reason="Đo thời gian tạo giấy chứng nhận")
    db.session.commit()
    return round_.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--winners", type=int, default=1000)
    parser.add_argument("--logo", action="store_true", help="the contest has a logo on its certificates")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = options.database_url
        dropped = None
        if database and database.startswith("postgres"):
            from tests.conftest import create_postgres_database

            database = dropped = create_postgres_database(database)
        elif not database:
            database = f"sqlite:///{folder}/bench.db"
        app = create_app({"SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": database, "REDIS_URL": None,
                          "INSTANCE_PATH": folder, "PUBLIC_URL": BASE_URL, "ID_NUMBER_KEYS": [
                              base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()]})
        try:
            with app.app_context():
                upgrade()
                round_id = build(options.winners, options.logo)
                round_ = db.session.get(Round, round_id)
                print(f"Python {platform.python_version()}, {db.engine.dialect.name}, {options.winners} winners"
                      f"{', with a logo' if options.logo else ''}")
                load = f"{os.getloadavg()[0]:.1f}"
                began, cpu = time.perf_counter(), time.process_time()
                job = start_certificates(round_, "giay-chung-nhan-vong-1.zip", None, BASE_URL)
                took, cpu = time.perf_counter() - began, time.process_time() - cpu
                assert job.status == "finished", (job.status, job.message)
                data = b"".join(jobs.chunks(job))
                names = zipfile.ZipFile(io.BytesIO(data)).namelist()
                issued = db.session.scalar(select(func.count()).select_from(Certificate))
                assert len(names) == options.winners == issued, (len(names), issued)
                print(f"the job: {took:.1f} s ({took / options.winners * 1000:.1f} ms a certificate; this process's "
                      f"CPU {cpu:.1f} s), load average before and after: {load} / {os.getloadavg()[0]:.1f}")
                print(f"  "
                      f"ZIP {len(data) / 1024 / 1024:.1f} MB, {len(names)} PDFs, e.g. {names[0]}, {names[-1]}")
                began = time.perf_counter()
                again = start_certificates(round_, "giay-chung-nhan-vong-1.zip", None, BASE_URL)
                print(f"the same click again (the kept file): {time.perf_counter() - began:.3f} s, "
                      f"same job: {again.id == job.id}")
                db.session.remove()
                db.engine.dispose()
        finally:
            if dropped:
                from tests.conftest import drop_postgres_database

                drop_postgres_database(dropped)


if __name__ == "__main__":
    main()
