"""Benchmark: the admins' accounts page among 200,000 accounts, on PostgreSQL and SQLite
(target: well under 1 s a page, whatever the search or filter).

    .venv/bin/python bench/accounts_search.py [--database-url URL] [--people 200000] [--repeat 7]

``--database-url`` names a PostgreSQL server (a throwaway database is made on it and dropped at
the end) or ``sqlite`` (a throwaway file). The database is built by the migrations; the people
get Vietnamese names drawn from common family, middle and given names (so a search for a
common name matches thousands and a rare one none), 1 % disabled, a few organisers, judges and
admins; their search keys are written as any bulk insert writes them (the column's default).

It times ``GET /admin/users`` through the Flask test client, signed in as an admin, for the
list, a diacritic-free name, a name typed with tones and capitals, a rare name, a piece of a
phone, a whole phone, and the role and state filters with and without a search; --repeat times
each after one warm-up, and prints the median and the maximum.
"""

from __future__ import annotations

import argparse
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.auth.models import User  # noqa: E402
from quizapp.auth.services import register_user  # noqa: E402
from quizapp.auth.terms import on_paper  # noqa: E402
from quizapp.extensions import db  # noqa: E402

SECRET = secrets.token_urlsafe(32)
PASSWORD = secrets.token_urlsafe(12)
ADMIN_PHONE = "0399999999"
FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Hữu Đức Minh Ngọc Thanh Quốc Xuân Thu Hoàng Kim".split()
GIVEN = ("An Bình Cường Dũng Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Khánh Lan Linh Long Mai Nam Nga Phong Phúc "
         "Quang Sơn Tâm Thảo Trang Tuấn Việt Yến Đạt Đông Đào").split()
QUERIES = [
    ("the list, first page", {}),
    ("the list, page 2,000", {"page": 2000}),
    ("'tran van binh'", {"q": "tran van binh"}),
    ("'TRẦN VĂN BÌNH'", {"q": "TRẦN VĂN BÌNH"}),
    ("'dao' (common)", {"q": "dao"}),
    ("'xyz' (none)", {"q": "xyz"}),
    ("'12345' (phone piece)", {"q": "12345"}),
    ("whole phone", {"q": "0900123456"}),
    ("role admin", {"role": "admin"}),
    ("disabled", {"state": "disabled"}),
    ("disabled + 'nguyen'", {"state": "disabled", "q": "nguyen"}),
    ("role taker + 'thi thu'", {"role": "taker", "q": "thi thu"}),
]


def load(app, people: int) -> None:
    rng = random.Random(14)
    with app.app_context():
        upgrade()
        register_user(phone=ADMIN_PHONE, password=PASSWORD, full_name="Quản trị", role="admin", consent=on_paper())
        db.session.commit()
        batch = []
        for number in range(people):
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            role = "taker" if number % 1000 else rng.choice(["organiser", "judge", "admin"])
            batch.append({"phone": f"09{number:08d}", "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$" + "x" * 66,
                          "full_name": name, "role": role, "is_active": rng.random() > 0.01})
            if len(batch) == 5000:
                db.session.execute(insert(User), batch)
                batch = []
        if batch:
            db.session.execute(insert(User), batch)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def timed(action, repeat: int) -> tuple[float, float]:
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def run(url: str, people: int, repeat: int) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None,
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST_KIB": 8})
    started = time.perf_counter()
    load(app, people)
    print(f"{url.split(':', 1)[0]}: loaded {people:,} accounts "
          f"in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    login = client.post("/auth/login", data={"phone": ADMIN_PHONE, "password": PASSWORD, "csrf_token": csrf})
    assert login.status_code == 302, login.get_data(as_text=True)[:500]
    for label, args in QUERIES:
        def page(args=args):
            response = client.get("/admin/users", query_string=args)
            assert response.status_code == 200
            return response
        total = page().get_data(as_text=True).split("Tài khoản (", 1)[1].split(")", 1)[0]
        median, worst = timed(page, repeat)
        print(f"  {label:<28} {total:>9} found  median {median * 1000:6.1f} ms, max {worst * 1000:6.1f} ms")
    with app.app_context():
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server's URL, or 'sqlite'")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    if args.database_url == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            run(f"sqlite:///{directory}/bench.db", args.people, args.repeat)
        return 0
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    try:
        run(url, args.people, args.repeat)
    finally:
        drop_postgres_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
