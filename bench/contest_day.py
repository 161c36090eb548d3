"""Benchmark: contest day's opening hour, compressed, against the production layout (Locust).

    .venv/bin/python bench/contest_day.py [--rates 200,400,600,833,1000] [--step-seconds 80]
        [--compress 5] [--slow-share 0.15] [--register-share 0.25] [--burst 300] [--quick]
        [--database-url URL] [--redis-url URL] [--workers N] [--port PORT] [--seed N]

What it starts, as an admin would (README, Production): a throwaway PostgreSQL database on the
server of --database-url, migrated and loaded with the demo contest (``flask --app wsgi db
upgrade`` and ``flask --app wsgi demo``: a round of 20 questions, 20 minutes, open now), takers'
accounts inserted in bulk with one hash made at the default Argon2 cost (as bench/signin.py
does), then the production layout through its launcher ``deploy/run_prod.py`` (Debian's nginx in
front of gunicorn with deploy/gunicorn.conf.py, the background worker when this version has one)
with ``QUIZAPP_ENV=production``, the machine's Redis at --redis-url under a key prefix of the
run's own, and every other setting at its default (Argon2id, hashing slots, rate limits,
admission control: nothing is made cheaper for the run).

The load: a child process runs Locust's gevent runtime and statistics (``locust`` from
requirements-dev.txt); every taker is a greenlet that does what a phone's browser does with
the pages' scripts:

1. opens the share link (``/contests/demo-hcm``) and the static files it names (once: after
   that they are cached a year);
2. registers (--register-share of them; the page form with the CSRF token) or signs in with a
   pre-created account (the sign-in form), and is sent back to the contest page;
3. starts the round (the contest page's button, the confirmation page it opens and that
   page's form; the attempt page follows the redirect);
4. answers the 20 questions through the JSON API as static/attempt.js does (``PUT
   /api/v1/attempts/{id}/answers/{qid}`` with the token of the page), with 3-15 s of thought
   each divided by --compress, and gives the prediction;
5. submits (``POST /api/v1/attempts/{id}/submit``) and reads the result page.

A 503 or 429 with ``Retry-After`` is waited out (plus the scripts' random jitter) and sent again,
as busy-retry.js, wait.js and attempt.js do; anything else unexpected, or no answer within 30 s,
is an error. Each taker comes from a loopback address of its own (Linux routes all of 127/8 to
lo), so per-address limits see a national crowd, not one office. A share of takers
(--slow-share) are slow 3G phones: their socket is throttled in the client to WebPageTest's
"3G Slow" profile (400 kbit/s each way, 400 ms round trip; a small receive buffer, so that nginx
really holds their bytes), which is what nginx in front of gunicorn is for.

Arrivals are an open model: takers arrive at random (Poisson) at each step's rate whether the
site kept up or not (Locust's own spawning keeps a fixed number of users, a closed model that
slows the arrivals down exactly when the server is overloaded). Compressing the thinking time
by --compress leaves the requests per taker, and so the server's work per minute at a given
arrival rate, as on the real day; only the number of takers in the middle of an attempt at once
(and so of idle connections) is divided by it. Each step's figures come from its second half,
once takers of the step's rate fill the site. After the steps, --burst takers arrive in the same
second and only sign in: the opening minute's sign-in rate at the Argon2 settings in force.

CPU is read from /proc over each window: the server (the launcher's process tree: nginx,
gunicorn and its workers, the background worker; the PostgreSQL backends of the run's database;
the Redis server, shared with other users of the machine) apart from the load generator, and
what other processes used. Exit code 1 if a step had errors (other than 503/429 with
Retry-After) or no step met the target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTEST = "demo-hcm"
PASSWORD = "ngay-thi-matkhau-1"  # noqa: S105 - throwaway accounts in a throwaway database
CLIENT_TIMEOUT = 30.0
THINK_SECONDS = (3.0, 15.0)
SAVE_P99_TARGET = 1.0
TARGET_PER_MINUTE = 50_000 / 60
# A busy answer is sent again at most this many times before the taker counts as turned away.
MAX_TRIES = 60
# How long the generator waits for takers still in an attempt after the last arrival.
DRAIN_SECONDS = 150
# WebPageTest's "3G Slow": 400 kbit/s down and up, 400 ms round trip.
SLOW_3G = {"rtt": 0.4, "down": 400_000 / 8, "up": 400_000 / 8}
SLOW_RECEIVE_BUFFER = 4096
USER_AGENT = "Mozilla/5.0 (Linux; Android 10) quizapp-contest-day"


def account_phone(number: int) -> str:
    return f"091{number:07d}"


def new_phone(number: int) -> str:
    return f"097{number:07d}"


def address(number: int) -> str:
    """A loopback address of the taker's own (127.20.1.1, 127.20.1.2, ...)."""
    return f"127.{20 + number // 62_500}.{(number // 250) % 250 + 1}.{number % 250 + 1}"


# --- the plan -------------------------------------------------------------------------------


def start_path(page: bytes) -> str | None:
    """The first round's start address in a taker's page: the link to its confirmation page (a
    timed round), or the form that posts to it (the confirmation page itself, or a resume)."""
    starts = sorted(set(re.findall(rb'(?:href|action)="(/contests/rounds/(\d+)/start)"', page)),
                    key=lambda m: int(m[1]))
    return starts[0][0].decode() if starts else None


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="200,400,600,833,1000",
                        help="takers arriving per minute in each step, comma-separated")
    parser.add_argument("--step-seconds", type=float, default=80.0, help="length of each step")
    parser.add_argument("--compress", type=float, default=5.0,
                        help="thinking time is 3-15 s divided by this (1: real time)")
    parser.add_argument("--slow-share", type=float, default=0.15, help="share of takers on slow 3G")
    parser.add_argument("--register-share", type=float, default=0.25,
                        help="share of takers who register; the others sign in")
    parser.add_argument("--burst", type=int, default=300, help="takers signing in in the same second at the end")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: two short steps (120 and 300 a minute, 30 s each) and a burst of 40")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server; a throwaway database is made there and dropped")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13",
                        help="a Redis database; the run's keys (its own prefix) are deleted at the end")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (WEB_CONCURRENCY; default deploy/gunicorn.conf.py's)")
    parser.add_argument("--port", type=int, default=0, help="nginx's port (default: a free one)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--generator", nargs=2, metavar=("PLAN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generator:
        return args
    if args.quick:
        args.rates, args.step_seconds, args.burst = "120,300", 30.0, 40
    try:
        args.rate_list = [float(part) for part in args.rates.split(",") if part.strip()]
    except ValueError:
        parser.error("--rates must be numbers separated by commas")
    if not args.rate_list or min(args.rate_list) <= 0:
        parser.error("--rates needs at least one rate above 0")
    if args.step_seconds < 20 or args.compress < 1:
        parser.error("--step-seconds must be at least 20 and --compress at least 1")
    if not (0 <= args.slow_share <= 1 and 0 <= args.register_share <= 1) or args.burst < 0:
        parser.error("--slow-share and --register-share are shares between 0 and 1; --burst is not negative")
    if not args.database_url.startswith(("postgres://", "postgresql")):
        parser.error("--database-url must name a PostgreSQL server")
    return args


@dataclass
class Plan:
    """What the load generator does, handed to it as JSON."""

    port: int
    start_at: float  # time.monotonic() of the first arrival (the clock is the machine's)
    rates: list[float]
    step_seconds: float
    compress: float
    slow_share: float
    register_share: float
    burst: int
    seed: int
    accounts: int  # pre-created accounts 0 .. accounts-1; the burst takes the last `burst`
    round_hint: str = CONTEST

    def steps(self) -> list[tuple[float, float, float]]:
        """(rate, start, end) of each step."""
        return [(rate, self.start_at + i * self.step_seconds, self.start_at + (i + 1) * self.step_seconds)
                for i, rate in enumerate(self.rates)]

    def expected_arrivals(self) -> int:
        return int(sum(rate * self.step_seconds / 60 for rate in self.rates) * 1.3) + 50


# --- the load generator (a child process with gevent) ----------------------------------------


def generator_main(plan_path: str, out_path: str) -> int:
    # Locust patches the standard library for gevent when imported: before anything else.
    import http.client

    import gevent
    import locust  # noqa: F401
    from gevent.pool import Group
    from locust.env import Environment

    plan = Plan(**json.loads(Path(plan_path).read_text()))
    environment = Environment()
    environment.create_local_runner()  # the runner's listeners feed Locust's statistics
    records: list[tuple] = []  # (started, name, status, seconds, slow)
    takers: list[dict] = []

    class Connection(http.client.HTTPConnection):
        """A phone's connection: from its own address; on slow 3G, throttled both ways."""

        def __init__(self, source: str, network: dict | None) -> None:
            super().__init__("127.0.0.1", plan.port, timeout=CLIENT_TIMEOUT, source_address=(source, 0))
            self.network = network

        def connect(self) -> None:
            if self.network is None:
                super().connect()
                return
            gevent.sleep(self.network["rtt"])  # the TCP handshake
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RECEIVE_BUFFER)
            self.sock.settimeout(self.timeout)
            self.sock.bind(self.source_address)
            self.sock.connect((self.host, self.port))

        def send(self, data) -> None:
            if self.network is None:
                super().send(data)
                return
            data = data.encode() if isinstance(data, str) else bytes(data)
            for offset in range(0, len(data), 1400):
                piece = data[offset:offset + 1400]
                super().send(piece)
                gevent.sleep(len(piece) / self.network["up"])

    class Phone:
        """One taker's browser: an address, a connection kept alive, cookies, a network."""

        def __init__(self, number: int, network: dict | None) -> None:
            self.number, self.source, self.network = number, address(number), network
            self.connection: Connection | None = None
            self.cookies: dict[str, str] = {}
            self.slow = network is not None

        def _exchange(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple:
            if self.connection is None:
                self.connection = Connection(self.source, self.network)
            if self.network:
                gevent.sleep(self.network["rtt"])
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            if self.network:
                chunks = []
                while chunk := response.read(2048):
                    chunks.append(chunk)
                    gevent.sleep(len(chunk) / self.network["down"])
                content = b"".join(chunks)
            else:
                content = response.read()
            if response.will_close:
                self.connection.close()
                self.connection = None
            return response, content

        def send(self, name: str, method: str, path: str, *, form: dict | None = None, data=None,
                 csrf: str | None = None) -> tuple[int, dict, bytes]:
            headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
            body = None
            if form is not None:
                body = "&".join(f"{k}={_quote(v)}" for k, v in form.items()).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            elif data is not None:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
                headers["Accept"] = "application/json"
            if csrf:
                headers["X-CSRFToken"] = csrf
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            started, clock = time.monotonic(), time.perf_counter()
            status, found, content, error = 0, {}, b"", None
            for reused in (True, False):
                try:
                    response, content = self._exchange(method, path, body, headers)
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as failure:
                    # The server closed a kept-alive connection while the taker thought: a
                    # browser opens a new one and sends again.
                    if self.connection is not None:
                        self.connection.close()
                        self.connection = None
                    if reused:
                        continue
                    error = failure
                except OSError as failure:
                    if self.connection is not None:
                        self.connection.close()
                        self.connection = None
                    error = failure
                else:
                    status = response.status
                    found = {k.lower(): v for k, v in response.getheaders() if k.lower() != "set-cookie"}
                    for header in response.headers.get_all("Set-Cookie") or []:
                        self._cookie(header)
                    if found.get("content-encoding") == "gzip":
                        content = zlib.decompress(content, 16 + zlib.MAX_WBITS)
                break
            seconds = time.perf_counter() - clock
            records.append((started, name, status, seconds, self.slow))
            environment.events.request.fire(
                request_type=method, name=name + (" (3G)" if self.slow else ""), response_time=seconds * 1000,
                response_length=len(content), exception=error or (None if status else OSError("no answer")),
                context={})
            if error is not None:
                raise TakerFailed(f"{name}: {type(error).__name__} {error}")
            return status, found, content

        def _cookie(self, header: str) -> None:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            lowered = attributes.lower()
            if "max-age=0" in lowered or "1970" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

        def patiently(self, name: str, method: str, path: str, expect: int, taker: dict, **kwargs):
            """Send until ``expect``; wait out 503/429 with Retry-After as the pages' scripts do."""
            for _ in range(MAX_TRIES):
                status, headers, content = self.send(name, method, path, **kwargs)
                if status == expect:
                    return headers, content
                retry = headers.get("retry-after", "")
                if status in (429, 503) and retry.isdigit():
                    taker["busy"][f"{name} {status}"] += 1
                    pause = int(retry) + random.uniform(0, 1)
                    taker["waited"] += pause
                    gevent.sleep(pause)
                    continue
                raise TakerFailed(f"{name}: {status} {content[:160]!r}")
            raise TakerFailed(f"{name}: still busy after {MAX_TRIES} tries")

    class TakerFailed(Exception):
        pass

    cached_static: set[tuple[int, str]] = set()

    def fetch_static(phone: Phone, page: bytes) -> None:
        for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', page):
            path = url.decode().replace("&amp;", "&")
            if (phone.number, path) not in cached_static:
                cached_static.add((phone.number, path))
                status, _, _ = phone.send("static", "GET", path)
                if status != 200:
                    raise TakerFailed(f"static {path}: {status}")

    def location(headers: dict) -> str:
        target = headers.get("location", "")
        return re.sub(r"^https?://[^/]+", "", target)

    def csrf_of(page: bytes, name: bytes = b"csrf_token") -> str:
        """The value of the page's input ``name`` (the CSRF token; the privacy notice's box)."""
        found = re.search(rb'name="' + name + rb'"[^>]*value="([^"]+)"', page) or \
            re.search(rb'value="([^"]+)"[^>]*name="' + name + rb'"', page)
        if not found:
            raise TakerFailed(f"no {name.decode()} in the page")
        return found.group(1).decode()

    def take(number: int, rng: random.Random, kind: str, signin_only: bool = False) -> None:
        network = SLOW_3G if rng.random() < plan.slow_share and not signin_only else None
        phone = Phone(number, network)
        taker = {"number": number, "kind": kind, "slow": phone.slow, "arrived": time.monotonic(),
                 "signed_in": None, "finished": None, "error": None, "busy": Counter(), "waited": 0.0}
        takers.append(taker)
        share = f"/contests/{plan.round_hint}"
        try:
            status, _, page = phone.send("share link", "GET", share)
            if status != 200:
                raise TakerFailed(f"share link: {status}")
            fetch_static(phone, page)
            if kind == "register":
                status, _, page = phone.send("register page", "GET", f"/auth/register?next={share}")
                form = {"csrf_token": csrf_of(page), "phone": new_phone(number), "full_name": f"Thí sinh {number}",
                        "password": PASSWORD, "confirm_password": PASSWORD, "birth_date": "", "gender": "",
                        "id_number": "", "unit_code": "", "participant_group": "",
                        "consent_version": csrf_of(page, b"consent_version")}
                headers, _ = phone.patiently("register", "POST", f"/auth/register?next={share}", 302, taker,
                                             form=form)
            else:
                status, _, page = phone.send("sign-in page", "GET", f"/auth/login?next={share}")
                form = {"csrf_token": csrf_of(page), "phone": account_phone(number), "password": PASSWORD}
                headers, _ = phone.patiently("sign in", "POST", f"/auth/login?next={share}", 302, taker, form=form)
            taker["signed_in"] = time.monotonic()
            status, _, page = phone.send("contest page", "GET", location(headers))
            if status != 200:
                raise TakerFailed(f"contest page: {status}")
            if signin_only:
                taker["finished"] = time.monotonic()
                return
            start = start_path(page)
            if start is None:
                raise TakerFailed("no start button on the contest page")
            # A timed round's button opens the confirmation page, whose "Bắt đầu" posts.
            status, _, page = phone.send("start confirmation", "GET", start)
            if status != 200 or start_path(page) != start:
                raise TakerFailed(f"start confirmation: {status}")
            headers, _ = phone.patiently("start", "POST", start, 302, taker, form={"csrf_token": csrf_of(page)})
            status, _, page = phone.send("attempt page", "GET", location(headers))
            found = re.search(rb'<script type="application/json" id="attempt-data">(.*?)</script>', page, re.S)
            if status != 200 or not found:
                raise TakerFailed(f"attempt page: {status}")
            fetch_static(phone, page)
            data = json.loads(found.group(1))
            api, token = f"/api/v1/attempts/{data['id']}", data["csrf_token"]
            for seq, question in enumerate(data["questions"], start=1):
                gevent.sleep(rng.uniform(*THINK_SECONDS) / plan.compress)
                choice = [rng.choice(question["options"])["id"]]
                phone.patiently("save", "PUT", f"{api}/answers/{question['id']}", 200, taker,
                                data={"option_ids": choice, "seq": seq}, csrf=token)
            if data.get("prediction_prompt"):
                phone.patiently("prediction", "PUT", f"{api}/prediction", 200, taker,
                                data={"value": rng.randrange(1, 5000)}, csrf=token)
            phone.patiently("submit", "POST", f"{api}/submit", 200, taker, data={}, csrf=token)
            status, _, _ = phone.send("result page", "GET", f"/contests/attempts/{data['id']}/result")
            if status != 200:
                raise TakerFailed(f"result page: {status}")
            taker["finished"] = time.monotonic()
        except TakerFailed as failure:
            taker["error"] = str(failure)
        finally:
            if phone.connection is not None:
                phone.connection.close()

    group = Group()
    rng = random.Random(plan.seed)
    number, signers = 0, 0
    burst_first = plan.accounts - plan.burst
    for rate, start, end in plan.steps():
        moment = start
        while True:
            moment += rng.expovariate(rate / 60)
            if moment >= end:
                break
            gevent.sleep(max(0.0, moment - time.monotonic()))
            kind = "register" if rng.random() < plan.register_share else "sign in"
            if kind == "sign in":
                if signers >= burst_first:
                    kind = "register"
                else:
                    signers += 1
            taker_number = signers - 1 if kind == "sign in" else 500_000 + number
            group.spawn(take, taker_number, random.Random(rng.random()), kind)
            number += 1
    arrivals_end = time.monotonic()
    # An overloaded site may keep some takers much longer: they count as unfinished.
    group.join(timeout=DRAIN_SECONDS)
    group.kill()
    drained = time.monotonic()
    if plan.burst:
        gevent.sleep(5)  # let the site settle after the steps
        burst_at = time.monotonic()
        for index in range(plan.burst):
            group.spawn(take, burst_first + index, random.Random(index), "burst", True)
        group.join(timeout=DRAIN_SECONDS)
    else:
        burst_at = drained
    group.kill()
    print(f"{'request':30} {'count':>7} {'failed':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)")
    for entry in sorted(environment.stats.entries.values(), key=lambda entry: entry.name):
        print(f"{entry.method + ' ' + entry.name:30} {entry.num_requests:7} {entry.num_failures:6} "
              + " ".join(f"{entry.get_response_time_percentile(share):6.0f}" for share in (0.5, 0.95, 0.99))
              + f" {entry.max_response_time:6.0f}")
    for taker in takers:
        taker["busy"] = dict(taker["busy"])
    Path(out_path).write_text(json.dumps({
        "records": records, "takers": takers, "arrivals_end": arrivals_end, "drained": drained,
        "burst_at": burst_at, "ended": time.monotonic(),
    }))
    return 0


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(str(value))


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_environment(args, prefix: str, database_url: str, workdir: Path) -> dict[str, str]:
    """The app's defaults for everything but where its data lives."""
    from cryptography.fernet import Fernet

    inherited = {key: value for key, value in os.environ.items()
                 if not key.startswith("QUIZAPP_") and key != "WEB_CONCURRENCY"}
    env = {
        **inherited,
        "QUIZAPP_DATABASE_URL": database_url,
        "QUIZAPP_REDIS_URL": args.redis_url,
        "QUIZAPP_SECRET_KEY": secrets.token_urlsafe(48),
        # Production (the launcher's QUIZAPP_ENV) wants an ID-number key and refuses SMS to the log.
        "QUIZAPP_ID_NUMBER_KEYS": Fernet.generate_key().decode(),
        "QUIZAPP_SMS_BACKEND": f"file:{workdir / 'sms.jsonl'}",
        "QUIZAPP_RATELIMIT_KEY_PREFIX": prefix,
        "QUIZAPP_INSTANCE_PATH": str(workdir / "instance"),
        # Slots of this run's own; their number is still the default (cores - 1).
        "QUIZAPP_PASSWORD_HASH_SLOTS_DIR": str(workdir / "hash-slots"),
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    return env


def flask(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,  # noqa: S603
                   check=True, stdout=subprocess.DEVNULL)


def create_accounts(env: dict[str, str], count: int) -> tuple[dict, str]:
    """``count`` takers inserted in bulk, all with one hash made at the default cost."""
    from sqlalchemy import insert

    from quizapp import create_app
    from quizapp.auth.models import User
    from quizapp.auth.passwords import hash_password
    from quizapp.config import from_environment
    from quizapp.extensions import db
    from quizapp.privacy.notice import VERSION as NOTICE_VERSION

    app = create_app(from_environment(env))
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        now = datetime.now(UTC)
        rows = [{"phone": account_phone(n), "password_hash": password_hash, "full_name": f"Thí sinh {n}",
                 "role": "taker", "is_active": True, "session_version": 1, "created_at": now,
                 # Accounts that consented to the privacy notice (no sign-in detour to the consent page).
                 "consent_version": NOTICE_VERSION} for n in range(count)]
        for first in range(0, len(rows), 5000):
            db.session.execute(insert(User), rows[first:first + 5000])
        db.session.commit()
        settings = {key: app.config[key] for key in (
            "PASSWORD_MEMORY_COST_KIB", "PASSWORD_TIME_COST", "PASSWORD_PARALLELISM", "PASSWORD_HASH_SLOTS",
            "PASSWORD_HASH_WAIT_MS", "ADMISSION_STARTS_PER_SECOND", "RATELIMIT_SAVE_BATCH")}
        db.session.remove()
        db.engine.dispose()
    return settings, password_hash


def wait_for_site(port: int, launcher: subprocess.Popen, timeout: float = 120) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            raise RuntimeError(f"deploy/run_prod.py stopped (exit code {launcher.returncode})")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the site did not answer /healthz through nginx")


# --- CPU from /proc ---------------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int, children_too: bool = True) -> float:
    """utime + stime (+ the waited-for children's) of ``pid``, in seconds; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children_too:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def process_tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class Meter:
    """CPU seconds used so far by each part, sampled by a thread every second."""

    def __init__(self, launcher_pid: int, database_url: str, redis_url: str) -> None:
        import psycopg
        import redis

        self.launcher_pid = launcher_pid
        self.connection = psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True)
        self.database = database_url.rsplit("/", 1)[1]
        client = redis.Redis.from_url(redis_url)
        self.redis_pid = int(client.info("server")["process_id"])
        client.close()
        self.generator_pid: int | None = None
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.gone: dict[int, float] = {}  # backends seen before, by pid: their last CPU
        self._stop = False

    def snapshot(self) -> dict[str, float]:
        tree = process_tree(self.launcher_pid)
        nginx = gunicorn = 0.0
        for pid in tree:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            used = process_cpu(pid)
            if b"nginx" in command:
                nginx += used
            elif pid != self.launcher_pid:
                gunicorn += used
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,)
        ).fetchall()
        for (pid,) in rows:
            self.gone[pid] = process_cpu(pid, children_too=False)
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return {
            "gunicorn": gunicorn,
            "nginx": nginx,
            # A backend that has exited keeps the last CPU seen of it.
            "postgres": sum(self.gone.values()),
            "redis": process_cpu(self.redis_pid, children_too=False),
            "generator": process_cpu(self.generator_pid) if self.generator_pid else 0.0,
            "machine": (sum(ticks) - ticks[3] - ticks[4]) / TICKS,
        }

    def run(self) -> None:
        while not self._stop:
            self.samples.append((time.monotonic(), self.snapshot()))
            time.sleep(1.0)

    def stop(self) -> None:
        self._stop = True

    def window(self, start: float, end: float) -> tuple[float, dict[str, float]] | None:
        inside = [(t, s) for t, s in self.samples if start <= t <= end]
        if len(inside) < 2:
            return None
        (t0, first), (t1, last) = inside[0], inside[-1]
        return t1 - t0, {key: last[key] - first[key] for key in first}


# --- the report -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(value: float) -> str:
    return f"{1000 * value:.0f} ms"


@dataclass
class StepResult:
    rate: float
    arrived: int
    finished: int
    errors: list[str]
    saves: int
    save_p50: float
    save_p99: float
    slow_save_p50: float
    busy: int
    signin_p50: float
    signin_p99: float
    seconds: float
    cpu: dict[str, float] | None

    @property
    def server_cpu(self) -> float:
        return sum(self.cpu[key] for key in ("gunicorn", "nginx", "postgres", "redis")) if self.cpu else float("nan")

    @property
    def met(self) -> bool:
        return not self.errors and self.save_p99 < SAVE_P99_TARGET and self.finished >= 0.95 * self.arrived


def step_results(plan: Plan, out: dict, meter: Meter) -> list[StepResult]:
    results = []
    records, takers = out["records"], out["takers"]
    for rate, start, end in plan.steps():
        # The second half of the step: takers who arrived at this rate fill the site by then.
        middle = start + (end - start) / 2
        window = [r for r in records if middle <= r[0] < end]
        saves = [r for r in window if r[1] == "save"]
        fast = [r[3] for r in saves if not r[4] and r[2] == 200]
        all_saves = [r[3] for r in saves if not r[4]]
        arrived = [t for t in takers if start <= t["arrived"] < end and t["kind"] != "burst"]
        errors = [t["error"] for t in arrived if t["error"]]
        signins = [t["signed_in"] - t["arrived"] for t in arrived if t["signed_in"] and not t["slow"]]
        busy = sum(1 for r in window if r[2] in (429, 503))
        cpu = meter.window(middle, end)
        results.append(StepResult(
            rate=rate, arrived=len(arrived), finished=sum(1 for t in arrived if t["finished"]), errors=errors,
            saves=len(saves), save_p50=percentile(fast, 0.5), save_p99=percentile(all_saves, 0.99),
            slow_save_p50=percentile([r[3] for r in saves if r[4] and r[2] == 200], 0.5), busy=busy,
            signin_p50=percentile(signins, 0.5), signin_p99=percentile(signins, 0.99),
            seconds=cpu[0] if cpu else end - middle, cpu=cpu[1] if cpu else None,
        ))
    return results


def describe_step(step: StepResult) -> list[str]:
    lines = [f"{step.rate:6.0f}/min: {step.arrived} arrived, {step.finished} finished; "
             f"{len(step.errors)} errors; 503/429 with Retry-After in the window: {step.busy}"]
    lines.append(f"         saves in the window: {step.saves} ({step.saves / step.seconds:.0f}/s); fast phones p50 "
                 f"{ms(step.save_p50)}, p99 {ms(step.save_p99)}; slow 3G p50 {ms(step.slow_save_p50)} (network "
                 f"included); arrival to signed in p50 {step.signin_p50:.1f} s, p99 {step.signin_p99:.1f} s")
    if step.cpu:
        cpu, seconds = step.cpu, step.seconds
        per_taker = step.server_cpu / (step.rate * seconds / 60)
        others = max(cpu["machine"] - step.server_cpu - cpu["generator"], 0) / seconds
        lines.append(
            f"         CPU cores: gunicorn {cpu['gunicorn'] / seconds:.2f}, "
            f"PostgreSQL {cpu['postgres'] / seconds:.2f}, "
            f"Redis {cpu['redis'] / seconds:.2f}, nginx {cpu['nginx'] / seconds:.2f} = server "
            f"{step.server_cpu / seconds:.2f}; load generator {cpu['generator'] / seconds:.2f}; other processes "
            f"{others:.2f}; server CPU per taker {1000 * per_taker:.0f} ms")
    if step.errors:
        lines.append(f"         errors: {Counter(step.errors).most_common(4)}")
    return lines


def describe_burst(out: dict, meter: Meter) -> list[str]:
    burst = [t for t in out["takers"] if t["kind"] == "burst"]
    if not burst:
        return []
    signed = [t["signed_in"] for t in burst if t["signed_in"]]
    began = out["burst_at"]
    if not signed:
        return [f"burst: none of {len(burst)} signed in; errors {Counter(t['error'] for t in burst).most_common(3)}"]
    last = max(signed)
    rate = len(signed) / (last - began)
    busy = sum(sum(t["busy"].values()) for t in burst)
    lines = [f"burst: {len(signed)} of {len(burst)} signed in, all arriving at once, in {last - began:.1f} s: "
             f"{rate:.1f} sign-ins/s (each taker waited out {busy / len(burst):.1f} busy answers on average); "
             f"errors {len([t for t in burst if t['error']])}"]
    window = meter.window(began, last)
    if window:
        seconds, cpu = window
        server = sum(cpu[key] for key in ("gunicorn", "nginx", "postgres", "redis"))
        lines.append(f"  server CPU per sign-in (with its pages) {1000 * server / len(signed):.0f} ms; "
                     f"server {server / seconds:.2f} cores, load generator {cpu['generator'] / seconds:.2f}")
    lines.append(f"  an opening minute at this rate signs in {60 * rate:,.0f} takers; {TARGET_PER_MINUTE:,.0f} "
                 f"arriving in one minute wait up to {TARGET_PER_MINUTE / rate:.0f} s")
    return lines


def machine_line() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}"


def versions_line(database_url: str, redis_url: str) -> str:
    import psycopg
    import redis

    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    client = redis.Redis.from_url(redis_url)
    redis_version = client.info("server")["redis_version"]
    client.close()
    nginx = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True, text=True, check=False).stderr.strip()  # noqa: S603
    return (f"versions: Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, "
            f"{nginx.split(': ')[-1]}, gunicorn {version('gunicorn')}, locust {version('locust')}")


# --- the run ----------------------------------------------------------------------------------


def forget_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def stop_launcher(launcher: subprocess.Popen) -> None:
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()


def main(args: argparse.Namespace) -> int:
    import threading

    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from conftest import create_postgres_database, drop_postgres_database

    began = time.monotonic()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}; steps "
          f"{', '.join(f'{rate:.0f}' for rate in args.rate_list)} takers/min x {args.step_seconds:.0f} s; thinking "
          f"{THINK_SECONDS[0] / args.compress:.1f}-{THINK_SECONDS[1] / args.compress:.1f} s (compressed "
          f"{args.compress:g}x); slow 3G {args.slow_share:.0%}, registering {args.register_share:.0%}", flush=True)
    prefix = f"bench-day-{secrets.token_hex(4)}"
    database_url = create_postgres_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="contest-day-"))
    env = run_environment(args, prefix, database_url, workdir)
    launcher = meter = None
    try:
        flask(env, "db", "upgrade")
        flask(env, "demo")
        port = args.port or free_port()
        plan = Plan(port=port, start_at=0.0, rates=args.rate_list, step_seconds=args.step_seconds,
                    compress=args.compress, slow_share=args.slow_share, register_share=args.register_share,
                    burst=args.burst, seed=args.seed, accounts=0)
        plan.accounts = plan.expected_arrivals() + args.burst
        settings, _ = create_accounts(env, plan.accounts)
        print(f"set up the demo contest and {plan.accounts} accounts in {time.monotonic() - began:.0f} s; "
              f"settings in force: Argon2id m={settings['PASSWORD_MEMORY_COST_KIB']} KiB "
              f"t={settings['PASSWORD_TIME_COST']} p={settings['PASSWORD_PARALLELISM']}, hashing slots "
              f"{settings['PASSWORD_HASH_SLOTS'] or 'cores - 1'}, admission "
              f"{settings['ADMISSION_STARTS_PER_SECOND']} starts/s", flush=True)

        launcher = subprocess.Popen(  # noqa: S603 - our own launcher
            [sys.executable, str(ROOT / "deploy" / "run_prod.py"), "--port", str(port),
             "--run-dir", str(workdir / "run")],
            cwd=ROOT, env={**env, "QUIZAPP_ENV": "production"}, stdout=subprocess.DEVNULL,
            stderr=(workdir / "server.log").open("wb"), start_new_session=True)
        wait_for_site(port, launcher)
        meter = Meter(launcher.pid, database_url, args.redis_url)
        sampler = threading.Thread(target=meter.run, daemon=True)
        sampler.start()
        print(f"nginx -> gunicorn up on port {port} ({workdir / 'server.log'}); "
              f"{machine_line()}\n{versions_line(database_url, args.redis_url)}", flush=True)

        plan.start_at = time.monotonic() + 8  # the generator imports Locust meanwhile
        (workdir / "plan.json").write_text(json.dumps(plan.__dict__))
        out_path = workdir / "out.json"
        generator = subprocess.Popen(  # noqa: S603 - this script
            [sys.executable, str(Path(__file__).resolve()), "--generator", str(workdir / "plan.json"), str(out_path)],
            cwd=ROOT, stdout=(workdir / "locust.log").open("wb"), stderr=subprocess.STDOUT)
        meter.generator_pid = generator.pid
        duration = len(plan.rates) * plan.step_seconds
        while generator.poll() is None:
            elapsed = time.monotonic() - plan.start_at
            if 0 < elapsed < duration and int(elapsed) % 30 == 0:
                print(f"  {elapsed:.0f} s of {duration:.0f}; load average {os.getloadavg()[0]:.2f}", flush=True)
            time.sleep(1)
        # The generator's CPU, read once more after it ended: its final figure as a waited child.
        meter.generator_pid = None
        meter.stop()
        sampler.join()
        if generator.returncode != 0 or not out_path.exists():
            print((workdir / "locust.log").read_text()[-3000:])
            raise RuntimeError(f"the load generator failed ({generator.returncode})")
        out = json.loads(out_path.read_text())
        print("\nLocust's statistics (3G: slow phones, network included):")
        print((workdir / "locust.log").read_text().strip())
        print()
        return report(args, plan, out, meter, workdir)
    finally:
        if meter is not None:
            meter.stop()
        if launcher is not None:
            stop_launcher(launcher)
        log = workdir / "server.log"
        if log.exists():
            text = log.read_text(errors="replace")
            errors = [line for line in text.splitlines() if "Traceback" in line or "CRITICAL" in line]
            print(f"server log: {len(text.splitlines())} lines, {len(errors)} with a traceback or CRITICAL")
        drop_postgres_database(database_url)
        forget_redis_keys(args.redis_url, prefix)
        shutil.rmtree(workdir, ignore_errors=True)


def report(args, plan: Plan, out: dict, meter: Meter, workdir: Path) -> int:
    results = step_results(plan, out, meter)
    print("== steps (figures from the second half of each step)")
    for step in results:
        for line in describe_step(step):
            print(line)
    print("== sign-in burst")
    for line in describe_burst(out, meter):
        print(line)
    takers = [t for t in out["takers"] if t["kind"] != "burst"]
    durations = [t["finished"] - t["arrived"] for t in takers if t["finished"]]
    if durations:
        print(f"takers: {len(takers)}, finished {len(durations)}; arrival to result p50 "
              f"{statistics.median(durations):.0f} s, max {max(durations):.0f} s; "
              f"registered {sum(1 for t in takers if t['kind'] == 'register')}, slow 3G "
              f"{sum(1 for t in takers if t['slow'])}")
    good = [step for step in results if step.met]
    errors = sum(len(step.errors) for step in results)
    best = max((step.rate for step in good), default=0.0)
    print(f"\nsustained: {best:.0f} takers/min with save p99 < 1 s and no errors "
          f"({60 * best:,.0f} an hour); target {TARGET_PER_MINUTE:.0f}/min (50,000 in the opening hour): "
          f"{'MET' if best >= TARGET_PER_MINUTE else 'NOT MET'}")
    return 0 if good and not errors else 1


if __name__ == "__main__":
    parsed = arguments()
    if parsed.generator:
        sys.exit(generator_main(*parsed.generator))
    sys.exit(main(parsed))
