"""The app's CPU for one taker, request by request, without the network and the load generator.

    .venv/bin/python bench/taker_cost.py [--takers 60] [--register-share 0.25]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/13]
        [--profile "contest page"] [--profile-lines 40]

``contest_day.py`` measures what a whole layout spends per taker under load; this one says where
the app's share of it goes. It makes a throwaway PostgreSQL database with the demo contest (as
``contest_day.py`` does), then walks ``--takers`` takers through the same requests in one process
with Flask's test client: the share link, the sign-in or registration page and its POST, the
contest page, the start's confirmation page and the start, the attempt page, 20 answers, the
prediction, the submit and the result page. For each kind of request it prints the process's CPU
time (user + system) per request and per taker, and the CPU of the PostgreSQL backends serving the
run's database, read from ``/proc`` (their command lines name the database; ticks of 10 ms, so the
per-request figures are averages). The first taker warms the caches and is left out. Every
setting is the app's default, Argon2 included.

CPU times move with whatever else the machine runs. ``--calls`` counts Python function calls and
SQL statements per request instead, which do not (``--by-package`` adds where the CPU goes, by
library and room); ``--statements KIND`` prints one request's SQL; ``--profile KIND`` runs cProfile
(CPU time) over that kind's requests and prints the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "matkhau-thu-nghiem-2026"  # noqa: S105 - throwaway accounts in a throwaway database


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--takers", type=int, default=60)
    parser.add_argument("--register-share", type=float, default=0.25)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--profile", action="append", default=[], help="a request kind to run under cProfile")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--statements", action="append", default=[],
                        help="a request kind whose SQL statements (of the last taker) are printed")
    parser.add_argument("--calls", action="store_true",
                        help="count Python function calls per request instead (cProfile on every kind): a figure "
                             "that, unlike CPU time, other processes on the machine do not change")
    parser.add_argument("--by-package", action="store_true",
                        help="with --calls: the profile's own time summed by package (library or quizapp room)")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def database_cpu(database: str) -> float:
    """CPU seconds of every PostgreSQL backend serving ``database`` (their command lines name it)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f" {database} ".encode() not in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def package_of(filename: str) -> str:
    """``quizapp/attempts``, ``sqlalchemy``, ``jinja2``, a template, or ``builtins``."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if "quizapp" in path.parts:
        parts = path.parts[path.parts.index("quizapp"):]
        return "/".join(parts[:2]) if parts[1] != "templates" else "quizapp/templates"
    return "python stdlib"


def main(args: argparse.Namespace) -> int:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from conftest import create_postgres_database, drop_postgres_database

    database_url = create_postgres_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="taker-cost-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUIZAPP_")}
    env.update({"QUIZAPP_DATABASE_URL": database_url, "QUIZAPP_REDIS_URL": args.redis_url,
                "QUIZAPP_SECRET_KEY": secrets.token_urlsafe(48),
                "QUIZAPP_RATELIMIT_KEY_PREFIX": f"bench-cost-{secrets.token_hex(4)}",
                "QUIZAPP_INSTANCE_PATH": str(workdir / "instance"),
                "QUIZAPP_PASSWORD_HASH_SLOTS_DIR": str(workdir / "hash-slots")})
    try:
        for command in (("db", "upgrade"), ("demo",)):
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,  # noqa: S603
                           check=True, stdout=subprocess.DEVNULL)
        return measure(args, env)
    finally:
        drop_postgres_database(database_url)


def measure(args: argparse.Namespace, env: dict[str, str]) -> int:
    from datetime import UTC, datetime

    from sqlalchemy import insert, text

    from quizapp import create_app
    from quizapp.auth.models import User
    from quizapp.auth.passwords import hash_password
    from quizapp.config import from_environment
    from quizapp.extensions import db
    from quizapp.privacy.notice import VERSION as NOTICE_VERSION

    config = from_environment(env)
    # Each taker comes from an address of its own, as on contest day (per-address limits).
    config["TRUSTED_PROXIES"] = 1
    app = create_app(config)
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        now = datetime.now(UTC)
        db.session.execute(insert(User), [
            {"phone": f"039{n:07d}", "password_hash": password_hash, "full_name": f"Thí sinh {n}", "role": "taker",
             "is_active": True, "session_version": 1, "created_at": now, "consent_version": NOTICE_VERSION}
            for n in range(args.takers)])
        db.session.commit()
        database = db.session.scalar(text("SELECT current_database()"))
        db.session.remove()

    rng = random.Random(args.seed)
    app_cpu: dict[str, list[float]] = defaultdict(list)
    db_cpu: dict[str, list[float]] = defaultdict(list)
    # CPU time, not the wall clock: waiting for the database is not the app's work.
    profilers: dict[str, cProfile.Profile] = defaultdict(lambda: cProfile.Profile(time.process_time)) \
        if args.calls else {kind: cProfile.Profile(time.process_time) for kind in args.profile}

    statements: dict[str, list[str]] = {}
    current: list[str] = []
    sql_count: dict[str, int] = defaultdict(int)
    from sqlalchemy import event

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: current.append(" ".join(statement.split())))

    def request(client, kind: str, method: str, path: str, expect: int, address: str, **kwargs):
        profiler = profilers[kind] if args.calls else profilers.get(kind)
        current.clear()
        before_db, before = database_cpu(database), time.process_time()
        if profiler:
            profiler.enable()
        response = client.open(path, method=method, headers={"X-Forwarded-For": address, **kwargs.pop("headers", {})},
                               **kwargs)
        if profiler:
            profiler.disable()
        app_cpu[kind].append(time.process_time() - before)
        statements[kind] = list(current)
        sql_count[kind] += len(current)
        db_cpu[kind].append(database_cpu(database) - before_db)
        if response.status_code != expect:
            raise SystemExit(f"{kind}: {method} {path} answered {response.status_code}, not {expect}")
        return response

    def csrf_of(page: bytes, name: bytes = b"csrf_token") -> str:
        """The value of the page's input ``name`` (the CSRF token; the privacy notice's box)."""
        found = re.search(rb'name="' + name + rb'"[^>]*value="([^"]+)"', page) or \
            re.search(rb'value="([^"]+)"[^>]*name="' + name + rb'"', page)
        return found.group(1).decode()

    share = None
    for number in range(args.takers + 1):
        client = app.test_client()
        address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        if share is None:
            with app.app_context():
                from quizapp.contests.models import Contest
                share = f"/contests/{db.session.scalar(db.select(Contest.slug))}"
        request(client, "share link", "GET", share, 200, address)
        if rng.random() < args.register_share:
            page = request(client, "register page", "GET", f"/auth/register?next={share}", 200, address).data
            form = {"csrf_token": csrf_of(page), "phone": f"038{number:07d}", "full_name": f"Người mới {number}",
                    "password": PASSWORD, "confirm_password": PASSWORD, "birth_date": "", "gender": "",
                    "id_number": "", "unit_code": "", "participant_group": "",
                    "consent_version": csrf_of(page, b"consent_version")}
            response = request(client, "register", "POST", f"/auth/register?next={share}", 302, address, data=form)
        else:
            page = request(client, "sign-in page", "GET", f"/auth/login?next={share}", 200, address).data
            form = {"csrf_token": csrf_of(page), "phone": f"039{number % args.takers:07d}", "password": PASSWORD}
            response = request(client, "sign in", "POST", f"/auth/login?next={share}", 302, address, data=form)
        page = request(client, "contest page", "GET", response.headers["Location"], 200, address).data
        # The timed round, the first: not the practice round's form further down.
        start = min(set(re.findall(rb'(?:href|action)="(/contests/rounds/(\d+)/start)"', page)),
                    key=lambda found: int(found[1]))[0].decode()
        # A timed round's button opens the confirmation page, whose "Bắt đầu" posts.
        page = request(client, "confirmation", "GET", start, 200, address).data
        response = request(client, "start", "POST", start, 302, address, data={"csrf_token": csrf_of(page)})
        page = request(client, "attempt page", "GET", response.headers["Location"], 200, address).data
        data = json.loads(re.search(rb'<script type="application/json" id="attempt-data">(.*?)</script>',
                                    page, re.S).group(1))
        api, token = f"/api/v1/attempts/{data['id']}", data["csrf_token"]
        headers = {"X-CSRFToken": token}
        for seq, question in enumerate(data["questions"], start=1):
            request(client, "save", "PUT", f"{api}/answers/{question['id']}", 200, address, headers=headers,
                    json={"option_ids": [rng.choice(question["options"])["id"]], "seq": seq})
        if data.get("prediction_prompt"):
            request(client, "prediction", "PUT", f"{api}/prediction", 200, address, headers=headers,
                    json={"value": rng.randrange(1, 5000)})
        request(client, "submit", "POST", f"{api}/submit", 200, address, headers=headers, json={})
        request(client, "result page", "GET", f"/contests/attempts/{data['id']}/result", 200, address)
        if number == 0:  # warm-up
            app_cpu.clear()
            db_cpu.clear()
            sql_count.clear()
            for kind in list(profilers):
                profilers[kind] = cProfile.Profile(time.process_time)

    takers = args.takers
    if args.calls and args.by_package:
        merged = pstats.Stats(*profilers.values())
        shares: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for (filename, _line, _name), (_cc, calls, tottime, _cum, _callers) in merged.stats.items():
            package = package_of(filename)
            shares[package][0] += tottime
            shares[package][1] += calls
        total_time = sum(time for time, _ in shares.values())
        print("\nWhere the CPU goes (cProfile's own CPU time per function, summed by package):")
        for package, (spent, calls) in sorted(shares.items(), key=lambda item: -item[1][0])[:25]:
            print(f"  {package:<28}{spent / total_time:>7.1%}{calls / takers:>10.0f} calls/taker")
    if args.calls:
        print(f"{takers} takers, {args.register_share:.0%} registering; Python function calls and SQL statements")
        print(f"{'request':<15}{'count':>7}{'calls/req':>11}{'calls/taker':>13}{'SQL/req':>9}")
        total = 0.0
        for kind, values in app_cpu.items():
            calls = pstats.Stats(profilers[kind]).total_calls
            total += calls / takers
            print(f"{kind:<15}{len(values):>7}{calls / len(values):>11.0f}{calls / takers:>13.0f}"
                  f"{sql_count[kind] / len(values):>9.1f}")
        print(f"{'per taker':<15}{'':>7}{'':>11}{total:>13.0f}")
        return 0
    print(f"{takers} takers, {args.register_share:.0%} registering; CPU in ms "
          f"(app = this process, db = the database's PostgreSQL backends)")
    print(f"{'request':<15}{'count':>7}{'app/req':>9}{'db/req':>8}{'app/taker':>11}{'db/taker':>10}")
    total_app = total_db = 0.0
    for kind, values in app_cpu.items():
        per_taker_app, per_taker_db = sum(values) / takers * 1000, sum(db_cpu[kind]) / takers * 1000
        total_app += per_taker_app
        total_db += per_taker_db
        print(f"{kind:<15}{len(values):>7}{sum(values) / len(values) * 1000:>9.2f}"
              f"{sum(db_cpu[kind]) / len(values) * 1000:>8.2f}{per_taker_app:>11.1f}{per_taker_db:>10.1f}")
    print(f"{'per taker':<15}{'':>7}{'':>9}{'':>8}{total_app:>11.1f}{total_db:>10.1f}")
    for kind in args.statements:
        print(f"\n--- SQL of one {kind} ({len(statements.get(kind, []))} statements) ---")
        for statement in statements.get(kind, []):
            print(f"  {statement[:300]}")
    for kind, profiler in profilers.items():
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile_lines)
        print(f"\n--- cProfile: {kind} ---\n{out.getvalue()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(arguments()))
