"""Benchmark: the registration page's size with a province's units directory, and the cost of
the unit picker's search (target: the page under 40 KB at 10,000 units).

    .venv/bin/python bench/unit_picker.py [--sizes 400,10000] [--source DIR] [--database-url URL]
        [--repeat 20]

For each size it loads a generated directory (tests/unit_support.py: the province Hà Nội, 20
districts for 400 units and 30 for 10,000, the rest communes whose names repeat from one district
to the next) through the real loader into a fresh database, then GETs /auth/register and
/auth/profile (a taker whose commune is the last of its district) through the Flask test client
and prints each page's bytes as served and gzipped at level 5 (nginx's setting in
deploy/nginx/quizapp-server.conf).

``--source DIR`` runs the same against another checkout of the code, for the figures before a
change: ``git archive <commit> | tar -x -C DIR``. Where that code has the picker's index
(``quizapp.units.search``), it also times, --repeat times each (median), building the index,
the version query every use makes, searches of a few kinds, and two ways it was not built: each
search folding every name again, and a SQL scan with ``LIKE '%…%'`` over the names, as a stored
folded column would need for a match inside a name (a B-tree index serves only prefixes).

SQLite in a temporary directory by default; with --database-url (a PostgreSQL server) a
throwaway database on that server, dropped at the end.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(32)
PASSWORD = secrets.token_urlsafe(12)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="400,10000", help="directory sizes, comma-separated")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose quizapp/ is measured")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=20)
    return parser.parse_args(argv)


def _from_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def page_sizes(client, path: str) -> tuple[int, int]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(response.data), len(gzip.compress(response.data, compresslevel=5))


def measure(size: int, args: argparse.Namespace, support, database_url: str, instance: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from quizapp import create_app
    from quizapp.auth.services import register_user
    from quizapp.auth.terms import on_paper
    from quizapp.extensions import db
    from quizapp.units.services import load_units_csv

    districts = 20 if size <= 1000 else 30
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
                      "INSTANCE_PATH": instance, "RATELIMIT_ENABLED": False, "REDIS_URL": None,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade(directory=str(args.source / "migrations"))
        start = time.perf_counter()
        load_units_csv(support.province_csv(size, districts), "units.csv")
        db.session.commit()
        loaded = time.perf_counter() - start
        communes = size - 1 - districts
        last = support.commune_code(districts, communes // districts)  # the last district has the fewest
        register_user(phone="0912345678", password=PASSWORD, full_name="Người đo", unit_code=last, consent=on_paper())
        db.session.commit()
    client = app.test_client()
    register = page_sizes(client, "/auth/register")
    client.post("/auth/login", data={"phone": "0912345678", "password": PASSWORD})
    profile = page_sizes(client, "/auth/profile")
    print(f"{size:>6} units ({districts} districts; loaded in {loaded:.1f} s): "
          f"/auth/register {register[0]:,} B raw, {register[1]:,} B gzip; "
          f"/auth/profile {profile[0]:,} B raw, {profile[1]:,} B gzip")

    try:
        from quizapp.units import search
        from quizapp.units.tree import Directory
    except ImportError:
        return  # the code before the picker: pages only
    queries = {"one word": "dong", "a commune's name": "xa tan lap", "name and district": "tan lap dan phuong",
               "a whole name, no diacritics": "xa tan lap 9 hoai duc"}
    with app.test_request_context():
        index = search.directory_index()
        build = median_ms(lambda: search.DirectoryIndex(Directory.load()), max(3, args.repeat // 4))
        version = median_ms(search._version, args.repeat)
        print(f"        index: built in {build:.0f} ms; version query {version:.2f} ms a use")
        for what, query in queries.items():
            found, total = index.search(query)
            took = median_ms(lambda query=query: index.search(query), args.repeat)
            print(f"        search {what} ({query!r}): {total} found, {took:.2f} ms")
        names = [entry.name for entry in index.entries]
        refold = median_ms(lambda: [name for name in names if "tan lap" in " ".join(search.words(name))],
                           max(3, args.repeat // 4))
        like = median_ms(lambda: db.session.execute(
            text("SELECT code FROM units WHERE lower(name) LIKE :pattern"), {"pattern": "%tân lập%"}).all(),
            args.repeat)
        print(f"        without the index: folding every name per search {refold:.0f} ms; "
              f"SQL LIKE '%…%' scan of the names {like:.2f} ms (diacritics still in)")


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    sys.path.insert(0, str(args.source))
    support = _from_file("unit_support", ROOT / "tests" / "unit_support.py")
    print(f"code: {args.source}; Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    for size in (int(size) for size in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-units-") as instance:
            if args.database_url:
                conftest = _from_file("bench_conftest", ROOT / "tests" / "conftest.py")
                database_url = conftest.create_postgres_database(args.database_url)
            else:
                database_url = f"sqlite:///{instance}/quizapp.db"
            try:
                measure(size, args, support, database_url, instance)
            finally:
                if args.database_url:
                    conftest.drop_postgres_database(database_url)


if __name__ == "__main__":
    main()
