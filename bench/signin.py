"""Benchmark: sign-in at the real Argon2id cost and failure budgets, alone and under password floods.

    .venv/bin/python bench/signin.py [--scenario all|profiles,signins,flood,spread,guess,office]
        [--database-url URL] [--redis-url URL] [--workers 4] [--flood-seconds 30] [--gunicorn "MORE OPTIONS"]

Nothing is made cheaper for the run: Argon2id, the hashing slots and every sign-in budget are the
app's defaults (quizapp/config.py). The run gets a throwaway PostgreSQL database on the server
of --database-url, its own Redis key prefix (its keys are deleted at the end), its own directory
of hashing-slot files (so another instance of the app on this machine cannot hold the run's
slot; the number of slots is still the default, cores - 1) and the project's gunicorn with
--workers sync workers, started as bench/answer_save.py starts it. The accounts are inserted in
bulk with one hash made at the default cost. Clients use many loopback addresses (Linux routes
all of 127/8 to lo), so each address has budgets of its own, as it would on the Internet.

Scenarios, each printed with its figures and PASS/FAIL per target (the exit code is 1 if any
target fails):

1. profiles - every OWASP Argon2id profile of equal strength, and the old default, in a child
   process each: CPU and wall time per verify, memory over a child that hashes nothing. The
   config's profile must be the cheapest in CPU of OWASP's (a warning if another is within 5 %).
2. signins  - 160 takers, 8 at a time, each from an address of its own, sign in through the JSON
   API, waiting out any 503 as the sign-in page does. Target: at least 25 sign-ins a second.
3. flood    - 30 takers save an answer a second each while 8 addresses send wrong passwords for
   random phones on 24 connections for --flood-seconds; 20 honest takers sign in from another
   address after 10 s. Targets: saves p99 under 1 s; once the addresses' budgets are spent, at
   most 8 ms of server CPU per flood request; every honest taker in within 20 s; no 5xx but 503.
4. spread   - the same savers while 200 addresses send 10 wrong passwords each (under every
   per-address budget), 20 connections at a time; 20 honest takers sign in meanwhile. Targets:
   saves p99 under 1 s; honest sign-ins see only 200, or 503/429 with Retry-After, never a
   timeout or another 5xx.
5. guess    - one phone guessed from 8 addresses in turn: at most 30 wrong passwords before the
   first 429; its owner, in a browser that signed in before, signs out and in again meanwhile (200).
6. office   - 50 accounts behind one address sign in together and each starts an attempt (201).

The machine is shared: each scenario says how much of the CPUs other processes used meanwhile.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import resource
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from importlib.metadata import version
from pathlib import Path

# answer_save puts the repository on sys.path: it comes before quizapp.
import answer_save
from answer_save import ROOT, TAKER_PASSWORD, USER_AGENT
from flask_migrate import upgrade
from sqlalchemy import insert, select

from quizapp import create_app
from quizapp.attempts.services import start_attempt
from quizapp.auth.models import User
from quizapp.auth.passwords import hash_password
from quizapp.banks.services import import_bank_file
from quizapp.config import DEFAULTS, from_environment
from quizapp.contests.models import Round
from quizapp.contests.services import save_contest, validate_contest
from quizapp.extensions import db
from quizapp.privacy.notice import VERSION as NOTICE_VERSION

SCENARIOS = ("profiles", "signins", "flood", "spread", "guess", "office")
# No client waits longer than this for an answer; a request that does counts as a hang.
CLIENT_TIMEOUT = 30.0
# A client told to come back waits Retry-After plus up to this much, as the sign-in page does.
JITTER = 0.2
WRONG_PASSWORD = "sai-mat-khau-{}"  # noqa: S105 - what the attackers send

# OWASP's Argon2id profiles of equal strength, (memory KiB, passes), all with parallelism 1.
OWASP_PROFILES = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
OLD_DEFAULT = (65536, 3)

# Accounts of each scenario, by number (phone 09 and eight digits); scenarios never share a
# phone, since a phone's failure budget outlives the scenario that spent it.
SIGNIN_TAKERS = range(0, 160)
SAVERS = range(200, 230)
FLOOD_HONEST = range(300, 320)
FLOOD_OTHERS = range(320, 370)
SPREAD_HONEST = range(400, 420)
SPREAD_OTHERS = range(420, 520)
GUESS_OWNER = 600
OFFICE = range(700, 750)

# Client addresses, likewise one set per scenario.
FLOOD_SOURCES = [f"127.0.0.{n}" for n in range(2, 10)]
FLOOD_HONEST_SOURCE = "127.0.0.20"
SPREAD_SOURCES = [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(200)]
SPREAD_HONEST_SOURCE = "127.0.0.21"
GUESS_SOURCES = [f"127.0.0.{n}" for n in range(10, 18)]
GUESS_OWNER_SOURCE = "127.0.0.22"
GUESS_STRANGER_SOURCE = "127.0.0.23"
OFFICE_SOURCE = "127.0.0.30"


def phone(number: int) -> str:
    return f"09{number:08d}"


def unregistered(number: int) -> str:
    return f"08{number:08d}"


# --- data ----------------------------------------------------------------------------------


@dataclass
class Data:
    round_id: int
    saver_attempts: dict[str, int]  # phone -> started attempt id
    accounts: int


def load_data(app) -> Data:
    """A bank, a contest, every scenario's accounts (one hash at the default cost, inserted in
    bulk) and a started attempt for each saver."""
    numbers = [*SIGNIN_TAKERS, *SAVERS, *FLOOD_HONEST, *FLOOD_OTHERS, *SPREAD_HONEST, *SPREAD_OTHERS,
               GUESS_OWNER, *OFFICE]
    with app.app_context():
        upgrade()
        import_bank_file("bench.csv", answer_save.bank_csv(60), slug="bench")
        save_contest(validate_contest(answer_save.contest_definition(10)))
        # The app's own hashing, at the cost the server runs with.
        password_hash = hash_password(TAKER_PASSWORD)
        now = datetime.now(UTC)
        db.session.execute(insert(User), [
            {"phone": phone(n), "password_hash": password_hash, "full_name": f"Thí sinh {n}",
             "role": "taker", "is_active": True, "session_version": 1, "created_at": now,
             "consent_version": NOTICE_VERSION}
            for n in numbers
        ])
        round_ = db.session.scalar(select(Round))
        attempts = {}
        for n in SAVERS:
            user = db.session.scalar(select(User).where(User.phone == phone(n)))
            attempts[phone(n)] = start_attempt(round_, user).attempt.id
        db.session.commit()
        data = Data(round_.id, attempts, len(numbers))
        db.session.remove()
        db.engine.dispose()
    return data


# --- a client: one browser at one address ---------------------------------------------------


@dataclass
class Reply:
    status: int
    code: str | None  # the JSON error code, if any
    retry_after: str | None
    seconds: float
    body: bytes
    cookies: dict[str, str | None]  # None: the server deleted the cookie


def call(port: int, method: str, path: str, *, source: str = "127.0.0.1", headers=None, body=None) -> Reply:
    """One request on a new connection from ``source``; OSError (TimeoutError too) on failure."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT, source_address=(source, 0))
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if body is not None:
        sent["Content-Type"] = "application/json"
        body = json.dumps(body)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        cookies = {name: None if morsel["max-age"] == "0" or "1970" in morsel["expires"] else morsel.value
                   for name, morsel in jar.items()}
        code = None
        if response.status >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
            code = (json.loads(content).get("error") or {}).get("code")
        return Reply(response.status, code, response.headers.get("Retry-After"), time.monotonic() - started,
                     content, cookies)
    finally:
        connection.close()


class Browser:
    """A taker's browser or phone: an address, the cookies the server gave it, its CSRF token."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def send(self, method: str, path: str, body=None) -> Reply:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET" and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        reply = call(self.port, method, path, source=self.source, headers=headers, body=body)
        for name, value in reply.cookies.items():
            if value is None:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if reply.status < 300 and reply.body.startswith(b"{"):
            token = json.loads(reply.body).get("csrf_token")
            if token:
                self.csrf = token
        return reply

    def open(self) -> Reply:
        return self.send("GET", "/api/v1/session")

    def login(self, phone: str, password: str) -> Reply:
        if self.csrf is None:
            self.open()
        return self.send("POST", "/api/v1/login", {"phone": phone, "password": password})


@dataclass
class Patience:
    """What one honest client saw while it kept trying, as a phone would."""

    statuses: Counter = field(default_factory=Counter)
    # Answers that a client may not simply wait out: 503/429 without Retry-After, other errors.
    bad: list[str] = field(default_factory=list)
    timeouts: int = 0
    seconds: float | None = None  # from the first try to success
    waited: float = 0.0  # seconds spent waiting out Retry-After


def patiently(action: Callable[[], Reply], patience: Patience, *, success: int, give_up: float) -> Reply | None:
    """Repeat ``action`` while it is answered 503 or 429 with Retry-After (waiting that long plus
    a little jitter), until it succeeds, something else comes back, or ``give_up`` (monotonic)."""
    started = time.monotonic()
    while time.monotonic() < give_up:
        try:
            reply = action()
        except TimeoutError:
            patience.timeouts += 1
            patience.bad.append(f"no answer within {CLIENT_TIMEOUT:.0f} s")
            return None
        except OSError as error:
            patience.bad.append(f"connection failed: {error}")
            return None
        patience.statuses[reply.status] += 1
        if reply.status == success:
            patience.seconds = time.monotonic() - started
            return reply
        if reply.status in (429, 503) and reply.retry_after and reply.retry_after.isdigit():
            wait = max(0.0, min(int(reply.retry_after) + random.uniform(0, JITTER), give_up - time.monotonic()))
            time.sleep(wait)
            patience.waited += wait
            continue
        patience.bad.append(f"{reply.status} {reply.code or ''} {reply.body[:120]!r}")
        return None
    patience.bad.append("gave up waiting")
    return None


def sign_in_patiently(port: int, source: str, phone: str, give_up: float) -> tuple[Browser | None, Patience]:
    browser, patience = Browser(port, source), Patience()
    try:
        browser.open()
    except OSError as error:
        patience.bad.append(f"GET /api/v1/session failed: {error}")
        return None, patience
    reply = patiently(lambda: browser.login(phone, TAKER_PASSWORD), patience, success=200, give_up=give_up)
    return (browser if reply is not None else None), patience


def honest_crowd(port: int, source: str, phones: list[str], give_up_after: float) -> list[Patience]:
    """Every phone signs in at once from ``source``, each waiting out 503s and 429s."""
    give_up = time.monotonic() + give_up_after
    with ThreadPoolExecutor(len(phones)) as pool:
        return [result[1] for result in pool.map(lambda p: sign_in_patiently(port, source, p, give_up), phones)]


# --- clients in child processes: the savers and the attackers --------------------------------
# Each runs in a process of its own, so that its threads do not take the GIL from the others'
# and the savers' latencies are the server's, not this script's.


@dataclass
class Saver:
    attempt_id: int
    cookie: str
    csrf: str
    # (question id, two different option ids of it)
    questions: list[tuple[int, str, str]]


def sign_in_savers(port: int, attempts: dict[str, int]) -> list[Saver]:
    savers = []
    for number, (saver_phone, attempt_id) in enumerate(attempts.items()):
        browser, patience = sign_in_patiently(port, "127.0.0.1", saver_phone, time.monotonic() + 60)
        if browser is None:
            raise RuntimeError(f"saver {number} could not sign in: {patience.bad}")
        reply = browser.send("GET", f"/api/v1/attempts/{attempt_id}")
        if reply.status != 200:
            raise RuntimeError(f"reading attempt {attempt_id} failed: {reply.status} {reply.body[:200]!r}")
        questions = [(q["id"], q["options"][0]["id"], q["options"][1]["id"])
                     for q in json.loads(reply.body)["questions"]]
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        savers.append(Saver(attempt_id, cookie, browser.csrf, questions))
    return savers


def keep_saving(port: int, savers: list[Saver], stop) -> list[tuple[float, float, int]]:
    """Each saver saves about once a second, cycling its questions, until ``stop`` is set;
    (start, latency, status) of each save, status 0 for a request that failed or timed out."""
    records: list[tuple[float, float, int]] = []

    def one(index: int, saver: Saver) -> None:
        next_at = time.monotonic() + index / len(savers)
        done = 0
        while not stop.wait(max(0.0, next_at - time.monotonic())):
            question_id, first, second = saver.questions[done % len(saver.questions)]
            option = first if (done // len(saver.questions)) % 2 == 0 else second
            started = time.monotonic()
            try:
                status = call(port, "PUT", f"/api/v1/attempts/{saver.attempt_id}/answers/{question_id}",
                              headers={"Cookie": saver.cookie, "X-CSRFToken": saver.csrf},
                              body={"option_ids": [option]}).status
            except OSError:
                status = 0
            records.append((started, time.monotonic() - started, status))
            done += 1
            next_at = max(next_at + 1.0, time.monotonic())

    threads = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(savers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return records


def wrong_passwords(port: int, source: str, phones: list[str], rng: random.Random, stop, *,
                    until: float | None = None, count: int | None = None) -> list[tuple[float, int, str | None]]:
    """Wrong passwords for random ``phones`` from ``source``, as fast as answers come, until
    ``until`` or ``count`` sent; (answered at, status, error code), status 0 for no answer."""
    browser = Browser(port, source)
    records: list[tuple[float, int, str | None]] = []
    try:
        browser.open()
    except OSError:
        return [(time.monotonic(), 0, "session")]
    sent = 0
    while (until is None or time.monotonic() < until) and (count is None or sent < count) and not stop.is_set():
        sent += 1
        try:
            reply = browser.login(rng.choice(phones), WRONG_PASSWORD.format(rng.randrange(10**9)))
            records.append((time.monotonic(), reply.status, reply.code))
        except OSError:
            records.append((time.monotonic(), 0, None))
    return records


def flood(port: int, sources: list[str], connections: int, seconds: float, phones: list[str], stop) -> list:
    until = time.monotonic() + seconds
    with ThreadPoolExecutor(connections) as pool:
        runs = [pool.submit(wrong_passwords, port, sources[i % len(sources)], phones, random.Random(i), stop,
                            until=until)
                for i in range(connections)]
        return [record for run in runs for record in run.result()]


def spread(port: int, sources: list[str], per_source: int, connections: int, phones: list[str], stop) -> list:
    with ThreadPoolExecutor(connections) as pool:
        runs = [pool.submit(wrong_passwords, port, source, phones, random.Random(i), stop, count=per_source)
                for i, source in enumerate(sources)]
        return [record for run in runs for record in run.result()]


CLIENTS = {"savers": keep_saving, "flood": flood, "spread": spread}


def client_process(kind: str, params: dict, ready, go, stop, results) -> None:
    ready.put(kind)
    go.wait()
    results.put((kind, CLIENTS[kind](stop=stop, **params)))


@dataclass
class Client:
    process: multiprocessing.Process
    go: object
    stop: object


class Clients:
    """Client processes, started ahead (a spawned Python takes a second to import this script)
    and set going when told to; each hands back what it recorded."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.ready, self.results = self.context.Queue(), self.context.Queue()
        self.clients: dict[str, Client] = {}
        self.collected: dict[str, list] = {}

    def add(self, kind: str, **params) -> None:
        go, stop = self.context.Event(), self.context.Event()
        process = self.context.Process(target=client_process,
                                       args=(kind, params, self.ready, go, stop, self.results))
        process.start()
        self.clients[kind] = Client(process, go, stop)

    def wait_ready(self) -> None:
        for _ in self.clients:
            self.ready.get(timeout=60)

    def go(self, kind: str) -> float:
        self.clients[kind].go.set()
        return time.monotonic()

    def collect(self, kind: str, stop: bool = False) -> list:
        """What ``kind`` recorded, once it has finished (told to stop first if ``stop``)."""
        if stop:
            self.clients[kind].stop.set()
        while kind not in self.collected:
            done, records = self.results.get(timeout=300)
            self.collected[done] = records
        self.clients[kind].process.join(timeout=30)
        return self.collected[kind]


# --- CPU -----------------------------------------------------------------------------------


class Meter(answer_save.Probe):
    """CPU seconds used so far by the server (gunicorn), its PostgreSQL backends, Redis, this
    script and its finished children (the clients), and the whole machine."""

    def __init__(self, app, server, redis_pid: int | None) -> None:
        super().__init__(app, server)
        self.redis_pid = redis_pid

    def snapshot(self) -> dict[str, float]:
        used = super().snapshot()
        own = resource.getrusage(resource.RUSAGE_SELF)
        used["clients"] = used.pop("wrk") + own.ru_utime + own.ru_stime
        used["redis"] = self._process(self.redis_pid) if self.redis_pid else 0.0
        return used


class Sampler:
    """Snapshots of a Meter every half second, in a thread, for windows chosen afterwards."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), self.meter.snapshot()))
            if self._stop.wait(0.5):
                return

    def window(self, start: float, end: float) -> tuple[float, float, dict[str, float]] | None:
        """(from, to, CPU seconds used) between the first sample at or after ``start`` and the
        last one at or before ``end``."""
        inside = [(t, s) for t, s in self.samples if start <= t <= end]
        if len(inside) < 2:
            return None
        (t0, first), (t1, last) = inside[0], inside[-1]
        return t0, t1, {key: last[key] - first[key] for key in first}


@dataclass
class Usage:
    seconds: float
    cpu: dict[str, float]

    @property
    def server(self) -> float:
        return self.cpu["server"] + self.cpu["postgres"]

    @property
    def others(self) -> float:
        ours = sum(value for key, value in self.cpu.items() if key != "machine")
        return max(self.cpu["machine"] - ours, 0) / (self.seconds * len(os.sched_getaffinity(0)))

    def line(self) -> str:
        busy = "  <- busy machine: not a clean figure" if self.others > answer_save.BUSY else ""
        return (f"CPU s: server {self.cpu['server']:.2f}, PostgreSQL {self.cpu['postgres']:.2f}, "
                f"Redis {self.cpu['redis']:.2f}, clients {self.cpu['clients']:.2f} over {self.seconds:.1f} s; "
                f"other processes used {self.others:.0%} of the CPUs{busy}")


class Measured:
    """The CPU used between entering and leaving the block."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def __enter__(self) -> Measured:
        self.started, self.before = time.monotonic(), self.meter.snapshot()
        return self

    def __exit__(self, *_exc) -> None:
        after = self.meter.snapshot()
        self.usage = Usage(time.monotonic() - self.started, {key: after[key] - self.before[key] for key in after})


# --- outcome -------------------------------------------------------------------------------


@dataclass
class Check:
    target: str
    passed: bool
    figure: str

    def line(self) -> str:
        return f"  {'PASS' if self.passed else 'FAIL'}  {self.target}: {self.figure}"


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": ordered[-1]}


def latency_text(values: list[float]) -> str:
    return " ".join(f"{key} {1000 * value:.0f}" for key, value in percentiles(values).items()) + " ms"


def saves_checks(records: list, start: float, end: float, what: str) -> tuple[list[str], list[Check]]:
    before = [latency for t, latency, _ in records if t < start]
    during = [(latency, status) for t, latency, status in records if start <= t <= end]
    statuses = Counter(status for _, status in during)
    lines = []
    if before:
        lines.append(f"saves before the {what}: {len(before)}, latency {latency_text(before)}")
    latencies = [latency for latency, _ in during]
    lines.append(f"saves during the {what}: {len(during)} ({len(during) / max(end - start, 1e-9):.1f}/s), "
                 f"latency {latency_text(latencies)}; statuses {dict(sorted(statuses.items()))}")
    p99 = percentiles(latencies).get("p99", float("inf"))
    failed = sum(count for status, count in statuses.items() if status != 200)
    return lines, [
        Check("saves p99 < 1 s", p99 < 1.0, f"{1000 * p99:.0f} ms"),
        Check("every save answered 200", failed == 0, f"{failed} of {len(during)} not"),
    ]


def honest_lines(who: str, crowd: list[Patience]) -> list[str]:
    statuses = sum((p.statuses for p in crowd), Counter())
    times = [p.seconds for p in crowd if p.seconds is not None]
    lines = [f"{who}: {len(times)} of {len(crowd)} signed in; answers seen {dict(sorted(statuses.items()))}"]
    if times:
        lines[0] += f"; seconds to sign in: median {statistics.median(times):.1f}, max {max(times):.1f}"
    problems = [problem for p in crowd for problem in p.bad]
    if problems:
        lines.append(f"  problems: {Counter(problems).most_common(5)}")
    return lines


def flood_counts(records: list) -> tuple[Counter, int]:
    statuses = Counter(status for _, status, _ in records)
    other_5xx = sum(count for status, count in statuses.items() if status >= 500 and status != 503)
    return statuses, other_5xx


# --- scenarios -----------------------------------------------------------------------------

# Peak memory is the child's own high-water mark (VmHWM): its ru_maxrss would be at least the
# parent's, since Linux carries the peak of the process image replaced by exec over to the new one.
PROFILE_CHILD = """
import json, os, sys, time
from argon2 import PasswordHasher
memory, passes, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
result = {}
if memory:
    hasher = PasswordHasher(time_cost=passes, memory_cost=memory, parallelism=1)
    stored = hasher.hash("mat-khau-thu-123")
    hasher.verify(stored, "mat-khau-thu-123")
    count, cpu, wall, kernel = 0, time.process_time(), time.perf_counter(), os.times().system
    while count < 5 or time.process_time() - cpu < seconds:
        hasher.verify(stored, "mat-khau-thu-123")
        count += 1
    result = {"count": count, "cpu_ms": 1000 * (time.process_time() - cpu) / count,
              "kernel_ms": 1000 * (os.times().system - kernel) / count,
              "wall_ms": 1000 * (time.perf_counter() - wall) / count}
status = open("/proc/self/status").read().split("VmHWM:")[1]
result["rss_kib"] = int(status.split()[0])
print(json.dumps(result))
"""


def profile_child(memory: int, passes: int, seconds: float = 0.5) -> dict:
    finished = subprocess.run([sys.executable, "-c", PROFILE_CHILD, str(memory), str(passes), str(seconds)],  # noqa: S603 - this Python, fixed code
                              capture_output=True, text=True, check=True)
    return json.loads(finished.stdout)


def scenario_profiles(rounds: int = 3) -> tuple[list[str], list[Check]]:
    """Each profile measured ``rounds`` times, interleaved, so a busy moment of the machine
    does not fall on one profile only; the medians are compared."""
    profiles = [*OWASP_PROFILES, OLD_DEFAULT]
    chosen = (int(DEFAULTS["PASSWORD_MEMORY_COST_KIB"]), int(DEFAULTS["PASSWORD_TIME_COST"]))
    runs: dict[tuple[int, int], list[dict]] = {profile: [] for profile in profiles}
    baselines = []
    for _ in range(rounds):
        baselines.append(profile_child(0, 0)["rss_kib"])
        for profile in profiles:
            runs[profile].append(profile_child(*profile))
    baseline = statistics.median(baselines)
    lines = [f"baseline child (imports argon2, hashes nothing): peak RSS (VmHWM) {baseline / 1024:.1f} MiB; "
             f"{rounds} rounds, each profile verifying for 0.5 s of CPU a round",
             "  m KiB  t   CPU ms/verify (median; min-max)   of which kernel   wall ms   memory over baseline"]
    cpu = {}
    for profile in profiles:
        measured = runs[profile]
        cpu[profile] = statistics.median(run["cpu_ms"] for run in measured)
        low, high = min(run["cpu_ms"] for run in measured), max(run["cpu_ms"] for run in measured)
        wall = statistics.median(run["wall_ms"] for run in measured)
        kernel = statistics.median(run["kernel_ms"] for run in measured)
        memory = (statistics.median(run["rss_kib"] for run in measured) - baseline) / 1024
        notes = []
        if profile == chosen:
            notes.append("<- the config's")
        if profile == OLD_DEFAULT:
            notes.append("(old default, not an OWASP profile)")
        lines.append(f"  {profile[0]:6} {profile[1]:2}   {cpu[profile]:6.2f} ({low:6.2f}-{high:6.2f}){'':10}"
                     f"{kernel:6.2f}    {wall:7.2f}   {memory:6.1f} MiB  {' '.join(notes)}")
    if chosen not in OWASP_PROFILES:
        return lines, [Check("the config uses an OWASP profile", False, f"m={chosen[0]} t={chosen[1]}")]
    others = {profile: value for profile, value in cpu.items() if profile in OWASP_PROFILES and profile != chosen}
    cheapest_other = min(others, key=others.get)
    margin = others[cheapest_other] / cpu[chosen] - 1
    kernel_heavy = [p for p in profiles if statistics.median(run["kernel_ms"] for run in runs[p]) > 1]
    if kernel_heavy:
        lines.append("kernel time: glibc hands an allocation above 32 MiB back to the kernel after each hash, so "
                     f"{', '.join(f'm={p[0]}' for p in kernel_heavy)} page in their memory again on every hash")
    if abs(margin) <= 0.05:
        lines.append(f"warning: m={cheapest_other[0]} t={cheapest_other[1]} is within 5 % of the chosen profile "
                     f"({margin:+.1%}): on this machine the two cannot be told apart")
    return lines, [Check("the config's profile is the cheapest OWASP one in CPU (within 5 %)", margin >= -0.05,
                         f"m={chosen[0]} t={chosen[1]} {cpu[chosen]:.2f} ms; next m={cheapest_other[0]} "
                         f"t={cheapest_other[1]} {others[cheapest_other]:.2f} ms ({margin:+.1%})")]


@dataclass
class Run:
    """What every scenario against the server needs."""

    port: int
    meter: Meter
    data: Data
    args: argparse.Namespace
    savers: list[Saver] | None = None

    def signed_in_savers(self) -> list[Saver]:
        if self.savers is None:
            self.savers = sign_in_savers(self.port, self.data.saver_attempts)
        return self.savers


def scenario_signins(run: Run) -> tuple[list[str], list[Check], Usage]:
    phones = [phone(n) for n in SIGNIN_TAKERS]
    # A national crowd comes from many addresses: one per taker (127.0.2.1 ...).
    sources = [f"127.0.{2 + i // 250}.{1 + i % 250}" for i in range(len(phones))]
    give_up = time.monotonic() + 120
    with Measured(run.meter) as measured, ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        crowd = [result[1] for result in pool.map(lambda pair: sign_in_patiently(run.port, *pair, give_up),
                                                 zip(sources, phones, strict=True))]
        seconds = time.monotonic() - started
    usage = measured.usage
    done = sum(1 for p in crowd if p.seconds is not None)
    rate = done / seconds
    cpu_ms = 1000 * usage.server / max(done, 1)
    busy = sum(p.statuses[503] for p in crowd)
    latencies = [p.seconds for p in crowd if p.seconds is not None]
    waited = sum(p.waited for p in crowd)
    lines = [
        f"{done} of {len(phones)} signed in in {seconds:.1f} s: {rate:.1f} sign-ins/s "
        f"(8 clients, gunicorn --workers {run.args.workers}); 503 busy answers: {busy}; "
        f"other answers {dict(sorted(sum((p.statuses for p in crowd), Counter()).items()))}",
        f"the clients spent {waited:.1f} of their {8 * seconds:.1f} s waiting out Retry-After "
        f"({waited / (8 * seconds):.0%})",
        f"time per sign-in, first try to 200: {latency_text(latencies)}",
        f"server CPU per sign-in (gunicorn {1000 * usage.cpu['server'] / max(done, 1):.1f} ms "
        f"+ PostgreSQL {1000 * usage.cpu['postgres'] / max(done, 1):.1f} ms): {cpu_ms:.1f} ms, "
        f"so {1000 / cpu_ms:.0f} sign-ins/s per core at this cost; Redis "
        f"{1000 * usage.cpu['redis'] / max(done, 1):.1f} ms",
    ]
    lines += honest_lines("takers", crowd)[1:]
    return lines, [Check("sign-ins per second >= 25", rate >= 25 and done == len(phones),
                         f"{rate:.1f}/s, {done} of {len(phones)}")], usage


def budgets_spent_at(records: list) -> float:
    """When the last flood answer that was not a cheap 429 came: from then on, every address
    of the flood has spent its budgets."""
    costly = [t for t, status, _ in records if status != 429]
    return max(costly) if costly else min(t for t, _, _ in records)


def flood_cpu(sampler: Sampler, records: list, saves: list, spent_at: float, end: float) -> tuple[list[str], Check]:
    """Server CPU per flood request from just after the budgets are spent to the end of the flood."""
    window = sampler.window(spent_at + 0.5, end - 0.25)
    if window is None or window[1] - window[0] < 3:
        return [f"the flood addresses' budgets were spent only {end - spent_at:.1f} s before its end"], \
            Check("server CPU per flood request <= 8 ms after the budgets are spent", False, "no window to measure")
    t0, t1, used = window
    answered = sum(1 for t, _, _ in records if t0 <= t <= t1)
    other_saves = sum(1 for t, _, _ in saves if t0 <= t <= t1)
    server_ms = 1000 * (used["server"] + used["postgres"]) / max(answered, 1)
    each = {key: 1000 * value / max(answered, 1) for key, value in used.items()}
    lines = [
        f"CPU window of {t1 - t0:.1f} s after the budgets were spent: {answered} flood requests "
        f"({answered / (t1 - t0):.0f}/s), with "
        f"{other_saves} saves and the honest sign-ins meanwhile",
        f"server CPU per flood request: {server_ms:.2f} ms (gunicorn {each['server']:.2f}, "
        f"PostgreSQL {each['postgres']:.2f}; Redis {each['redis']:.2f})"
        f"; the server used {(used['server'] + used['postgres']) / (t1 - t0):.2f} cores",
    ]
    return lines, Check("server CPU per flood request <= 8 ms after the budgets are spent", server_ms <= 8.0,
                        f"{server_ms:.2f} ms")


def scenario_flood(run: Run) -> tuple[list[str], list[Check], Usage]:
    savers = run.signed_in_savers()
    seconds = run.args.flood_seconds
    targets = [phone(n) for n in (*FLOOD_HONEST, *FLOOD_OTHERS, *SAVERS)]
    targets += [unregistered(n) for n in range(len(targets))]
    clients = Clients()
    clients.add("savers", port=run.port, savers=savers)
    clients.add("flood", port=run.port, sources=FLOOD_SOURCES, connections=24, seconds=seconds, phones=targets)
    clients.wait_ready()
    with Measured(run.meter) as measured, Sampler(run.meter) as sampler:
        clients.go("savers")
        time.sleep(3)
        start = clients.go("flood")
        time.sleep(10)
        crowd = honest_crowd(run.port, FLOOD_HONEST_SOURCE, [phone(n) for n in FLOOD_HONEST], 60)
        records = clients.collect("flood")
        end = start + seconds
        saves = clients.collect("savers", stop=True)
    statuses, other_5xx = flood_counts(records)
    codes = Counter(code for _, status, code in records if status == 429)
    lines = [f"flood: {len(records)} wrong passwords in {seconds:.0f} s from {len(FLOOD_SOURCES)} addresses on 24 "
             f"connections ({len(records) / seconds:.0f}/s); answers {dict(sorted(statuses.items()))}; 429 codes "
             f"{dict(codes)}"]
    spent_at = budgets_spent_at(records)
    hashing = sum(1 for t, _, _ in records if t <= spent_at)
    lines.append(f"the addresses' budgets were spent {spent_at - start:.1f} s in (last answer not a 429), "
                 f"after {hashing} requests ({hashing / max(spent_at - start, 1e-9):.0f}/s until then)")
    save_lines, checks = saves_checks(saves, start, end, "flood")
    lines += save_lines
    for phase, first, last in (("until the budgets were spent", start, spent_at), ("after", spent_at, end)):
        latencies = [latency for t, latency, _ in saves if first < t <= last]
        if latencies:
            lines.append(f"  saves {phase}: {len(latencies)}, latency {latency_text(latencies)}")
    cpu_lines, cpu_check = flood_cpu(sampler, records, saves, spent_at, end)
    lines += cpu_lines
    lines += honest_lines(f"honest takers from {FLOOD_HONEST_SOURCE}, 10 s in", crowd)
    slowest = max((p.seconds for p in crowd if p.seconds is not None), default=float("inf"))
    all_in = all(p.seconds is not None for p in crowd)
    checks += [
        cpu_check,
        Check("all 20 honest takers signed in within 20 s", all_in and slowest <= 20,
              f"{sum(p.seconds is not None for p in crowd)} signed in, slowest {slowest:.1f} s"),
        Check("no 5xx but 503 seen by the flood", other_5xx == 0, f"{other_5xx}"),
    ]
    return lines, checks, measured.usage


def scenario_spread(run: Run) -> tuple[list[str], list[Check], Usage]:
    savers = run.signed_in_savers()
    honest = [phone(n) for n in SPREAD_HONEST]
    # Enough numbers that none reaches its own budget of 10 failures: the per-phone budget is
    # the guess scenario's.
    targets = honest + [phone(n) for n in SPREAD_OTHERS]
    targets += [unregistered(n) for n in range(100_000, 100_000 + 2000 - len(targets))]
    clients = Clients()
    clients.add("savers", port=run.port, savers=savers)
    clients.add("spread", port=run.port, sources=SPREAD_SOURCES, per_source=10, connections=20, phones=targets)
    clients.wait_ready()
    with Measured(run.meter) as measured:
        clients.go("savers")
        time.sleep(3)
        start = clients.go("spread")
        time.sleep(3)
        crowd = honest_crowd(run.port, SPREAD_HONEST_SOURCE, honest, 80)
        # The spread ends when its last address has sent its ten.
        records = clients.collect("spread")
        end = max((t for t, _, _ in records), default=time.monotonic())
        saves = clients.collect("savers", stop=True)
    statuses, other_5xx = flood_counts(records)
    lines = [f"spread: {len(records)} wrong passwords from {len(SPREAD_SOURCES)} addresses, 20 connections, in "
             f"{end - start:.1f} s ({len(records) / (end - start):.0f}/s); answers {dict(sorted(statuses.items()))}"]
    save_lines, checks = saves_checks(saves, start, end, "spread")
    lines += save_lines
    lines += honest_lines(f"honest takers from {SPREAD_HONEST_SOURCE}, 3 s in", crowd)
    bad = [problem for p in crowd for problem in p.bad]
    timeouts = sum(p.timeouts for p in crowd)
    checks += [
        Check("honest sign-ins see only 200, or 503/429 with Retry-After", not bad,
              "all did" if not bad else f"{len(bad)} other: {Counter(bad).most_common(3)}"),
        Check("no honest sign-in left without an answer", timeouts == 0, f"{timeouts} timeouts"),
        Check("no 5xx but 503 seen by the spread", other_5xx == 0, f"{other_5xx}"),
    ]
    return lines, checks, measured.usage


def scenario_guess(run: Run) -> tuple[list[str], list[Check], Usage]:
    owner_phone = phone(GUESS_OWNER)
    owner = Browser(run.port, GUESS_OWNER_SOURCE)
    first = owner.login(owner_phone, TAKER_PASSWORD)
    if first.status != 200 or "quizapp_signin" not in owner.cookies:
        raise RuntimeError(f"the owner's first sign-in failed: {first.status} {first.body[:200]!r}")
    guessers = [Browser(run.port, source) for source in GUESS_SOURCES]
    seen: list[int] = []
    stop = threading.Event()
    first_429 = threading.Event()

    def guess() -> None:
        turn = 0
        while not stop.is_set():
            reply = guessers[turn % len(guessers)].login(owner_phone, WRONG_PASSWORD.format(turn))
            seen.append(reply.status)
            if reply.status == 429:
                first_429.set()
            turn += 1

    with Measured(run.meter) as measured:
        attacker = threading.Thread(target=guess)
        attacker.start()
        first_429.wait(timeout=60)
        time.sleep(0.5)
        during = len(seen)
        out = owner.send("POST", "/api/v1/logout")
        owner.open()
        back = owner.login(owner_phone, TAKER_PASSWORD)
        stranger = Browser(run.port, GUESS_STRANGER_SOURCE).login(owner_phone, TAKER_PASSWORD)
        time.sleep(0.5)
        stop.set()
        attacker.join()
    before = seen[: seen.index(429)] if 429 in seen else seen
    wrong = Counter(before)
    lines = [
        f"guesses from {len(GUESS_SOURCES)} addresses in turn: before the first 429, {len(before)} sent "
        f"({dict(sorted(wrong.items()))}); {len(seen)} in all, {dict(sorted(Counter(seen).items()))}",
        f"the owner, {during} guesses into the attack: sign out {out.status}, sign in again {back.status}"
        f" in {1000 * back.seconds:.0f} ms; a new browser with the right password meanwhile: {stranger.status}"
        f" {stranger.code or ''} (Retry-After {stranger.retry_after})",
    ]
    return lines, [
        Check("wrong passwords before the first 429 <= 30", 429 in seen and wrong[401] <= 30 and len(before) <= 30,
              f"{wrong[401]} wrong passwords checked, {len(before)} requests"),
        Check("the owner's browser signs in during the attack (200)", back.status == 200, f"{back.status}"),
    ], measured.usage


def scenario_office(run: Run) -> tuple[list[str], list[Check], Usage]:
    phones = [phone(n) for n in OFFICE]
    give_up = time.monotonic() + 120

    def arrive(office_phone: str) -> tuple[Patience, Patience]:
        browser, signed_in = sign_in_patiently(run.port, OFFICE_SOURCE, office_phone, give_up)
        started = Patience()
        if browser is not None:
            patiently(lambda: browser.send("POST", f"/api/v1/rounds/{run.data.round_id}/attempts"), started,
                      success=201, give_up=give_up)
        return signed_in, started

    with Measured(run.meter) as measured, ThreadPoolExecutor(12) as pool:
        began = time.monotonic()
        results = list(pool.map(arrive, phones))
        seconds = time.monotonic() - began
    crowd = [signed for signed, _ in results]
    starts = [started for _, started in results]
    begun = sum(1 for p in starts if p.seconds is not None)
    lines = honest_lines(f"office of {len(phones)} behind {OFFICE_SOURCE} (12 at a time)", crowd)
    answers = sum((p.statuses for p in starts), Counter())
    lines += [f"attempts started (201): {begun}; answers {dict(sorted(answers.items()))}; "
              f"everyone done in {seconds:.1f} s"]
    problems = [problem for p in starts for problem in p.bad]
    if problems:
        lines.append(f"  problems starting: {Counter(problems).most_common(3)}")
    return lines, [Check("all 50 sign in and start an attempt (201)", begun == len(phones),
                         f"{begun} of {len(phones)}")], measured.usage


SERVER_SCENARIOS: dict[str, Callable[[Run], tuple[list[str], list[Check], Usage]]] = {
    "signins": scenario_signins,
    "flood": scenario_flood,
    "spread": scenario_spread,
    "guess": scenario_guess,
    "office": scenario_office,
}


# --- the run -------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="all",
                        help=f"'all' or a comma-separated list of: {', '.join(SCENARIOS)}")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server; a throwaway database is made there and dropped")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6",
                        help="a Redis database; the run's keys are deleted at the end")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--gunicorn", default="",
                        help="more gunicorn options, e.g. \"--access-logfile /tmp/a.log --access-logformat "
                             "'%%(m)s %%(U)s %%(s)s %%(M)s'\" to see how long each request spent in its worker")
    parser.add_argument("--flood-seconds", type=float, default=30.0)
    args = parser.parse_args()
    chosen = SCENARIOS if args.scenario == "all" else tuple(part.strip() for part in args.scenario.split(","))
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    args.scenarios = [name for name in SCENARIOS if name in chosen]
    if not args.database_url.startswith(("postgres://", "postgresql")):
        parser.error("--database-url must name a PostgreSQL server")
    if args.flood_seconds < 15:
        parser.error("--flood-seconds must be at least 15: the honest takers come 10 s in")
    return args


def run_environment(args, prefix: str, database_url: str, workdir: Path) -> dict[str, str]:
    """The app's defaults for everything but where its data lives: any QUIZAPP_* setting of the
    calling shell is left out, so the run measures the defaults."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("QUIZAPP_")}
    return {
        **inherited,
        "QUIZAPP_DATABASE_URL": database_url,
        "QUIZAPP_REDIS_URL": args.redis_url,
        "QUIZAPP_SECRET_KEY": secrets.token_urlsafe(48),
        "QUIZAPP_RATELIMIT_KEY_PREFIX": prefix,
        "QUIZAPP_PASSWORD_HASH_SLOTS_DIR": str(workdir / "hash-slots"),
    }


def redis_pid(redis_url: str) -> int | None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def describe_setup(app, args) -> list[str]:
    postgres, redis_version = answer_save.server_versions(app, args.redis_url)
    config = app.config
    return [
        answer_save.machine_line(),
        f"versions: Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, "
        f"gunicorn {version('gunicorn')} (sync workers), Flask {version('flask')}, "
        f"argon2-cffi {version('argon2-cffi')}, Flask-Limiter {version('flask-limiter')}",
        f"settings (the defaults): Argon2id m={config['PASSWORD_MEMORY_COST_KIB']} KiB "
        f"t={config['PASSWORD_TIME_COST']} p={config['PASSWORD_PARALLELISM']}; hashing slots "
        f"{config['PASSWORD_HASH_SLOTS']} (= cores - 1 = {max(1, (os.cpu_count() or 1) - 1)}), wait "
        f"{config['PASSWORD_HASH_WAIT_MS']} ms; failures per address {config['RATELIMIT_LOGIN_FAILURES_PER_IP']}, "
        f"per phone {config['RATELIMIT_LOGIN_FAILURES_PER_PHONE']}, per browser "
        f"{config['RATELIMIT_LOGIN_FAILURES_PER_BROWSER']}; sign-ins per address {config['RATELIMIT_LOGIN_PER_IP']}",
    ]


def report(name: str, lines: list[str], checks: list[Check], usage: Usage | None) -> None:
    header = f"== {name}"
    if usage is not None:
        header += f" ({usage.line()})"
    print(header)
    for line in lines:
        print(f"  {line}")
    for check in checks:
        print(check.line())
    print(flush=True)


def with_server(args, checks: list[Check]) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import create_postgres_database, drop_postgres_database

    prefix = f"bench-signin-{secrets.token_hex(4)}"
    database_url = create_postgres_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="signin-bench-"))
    env = run_environment(args, prefix, database_url, workdir)
    app = server = None
    try:
        app = create_app(from_environment(env))
        started = time.perf_counter()
        data = load_data(app)
        server, port = answer_save.start_gunicorn(workdir, env, args.workers, shlex.split(args.gunicorn))
        print(f"set up {data.accounts} accounts and gunicorn --workers {args.workers} "
              f"in {time.perf_counter() - started:.1f} s")
        print("\n".join(describe_setup(app, args)), end="\n\n", flush=True)
        run = Run(port, Meter(app, server, redis_pid(args.redis_url)), data, args)
        for name in args.scenarios:
            if name in SERVER_SCENARIOS:
                lines, found, usage = SERVER_SCENARIOS[name](run)
                report(name, lines, found, usage)
                checks += found
        log = (workdir / "gunicorn.log").read_text()
        if "Traceback" in log or "CRITICAL" in log:
            print(f"gunicorn logged errors:\n{log[-3000:]}")
    finally:
        if server is not None:
            answer_save.stop_gunicorn(server)
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        drop_postgres_database(database_url)
        answer_save.forget_redis_keys(args.redis_url, prefix)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    args = arguments()
    began = time.monotonic()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}; scenarios: "
          f"{', '.join(args.scenarios)}", flush=True)
    checks: list[Check] = []
    if "profiles" in args.scenarios:
        with_profiles = time.monotonic()
        lines, found = scenario_profiles()
        report(f"profiles ({time.monotonic() - with_profiles:.0f} s)", lines, found, None)
        checks += found
    if any(name in SERVER_SCENARIOS for name in args.scenarios):
        with_server(args, checks)
    failed = [check for check in checks if not check.passed]
    print(f"{len(checks) - len(failed)} of {len(checks)} targets met in {time.monotonic() - began:.0f} s")
    for check in failed:
        print(check.line())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
