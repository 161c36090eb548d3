"""Benchmark: answer-save throughput under gunicorn against a bare hello route (target: ratio >= 0.4).

    .venv/bin/python bench/answer_save.py [--database-url URL] [--redis-url URL] [--users 200]
        [--questions 200] [--per-attempt 20] [--workers 2] [--gunicorn "MORE OPTIONS"] [--threads 2]
        [--connections 32] [--duration 15] [--warmup 3] [--repeat 1]

It creates a throwaway PostgreSQL database on the server of --database-url, builds it with the
migrations and loads a generated bank, a contest with an open round, and --users takers each with
a started attempt. It then serves the real app with the project's gunicorn from a small WSGI
module, written to a temporary directory, that adds ``GET /bench/hello`` (a plain-text "ok") to
``create_app()``, signs every taker in through the JSON API and reads their attempts to learn the
question and option ids. Debian's ``wrk`` (``apt-get install -y wrk``) then drives, with the same
threads, connections and duration, first the hello route and then ``PUT
/api/v1/attempts/{id}/answers/{qid}`` cycling over takers and questions and alternating options,
with each taker's session cookie and CSRF token. Any non-2xx save fails the run, and the database
must show the answers stored. The ratio saves/hello is printed with the latency percentiles and
the machine, and with the CPU time per request of the server, its PostgreSQL backends and wrk:
the machine is shared, so each run also says how much CPU other processes took meanwhile, and
the ratio of CPU per request, which moves far less than requests per second when they do. The
database, the server and the run's Redis keys are removed at the end, also on error. Argon2 is
made cheap (time cost 1, 8 KiB) for this run only, the login rate limit per IP is raised, since
every taker signs in from 127.0.0.1, and so is the answer-save limit per account (each save is
still counted in Redis).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.attempts.services import start_attempt  # noqa: E402
from quizapp.auth import services as accounts  # noqa: E402
from quizapp.auth.terms import on_paper  # noqa: E402
from quizapp.banks.services import import_bank_file  # noqa: E402
from quizapp.config import from_environment  # noqa: E402
from quizapp.contests.models import AttemptItem, Round  # noqa: E402
from quizapp.contests.services import ContestInvalid, save_contest, validate_contest  # noqa: E402
from quizapp.extensions import db  # noqa: E402

TAKER_PASSWORD = "bench-matkhau-123"  # noqa: S105 - a throwaway account in a throwaway database
USER_AGENT = "quizapp-bench"
# Above this share of the CPUs used by other processes during a run, its figures are flagged.
BUSY = 0.10
WORDS = ("Đảng", "Nhân dân", "nghị quyết", "tư tưởng", "đạo đức", "phong cách", "chuyển đổi số", "cải cách",
         "hành chính", "đoàn kết", "độc lập", "tự do", "hạnh phúc", "cán bộ", "đảng viên")


# --- data ----------------------------------------------------------------------------------


def bank_csv(count: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án,Giải thích"]
    for number in range(1, count + 1):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        options = ",".join(f"Phương án {letter} của câu {number}" for letter in "ABCD")
        answer = rng.choice("ABCD")
        lines.append(f"Chủ đề {number % 5 + 1},Câu {number}: {words}?,{options},{answer},Giải thích {number}")
    return ("\n".join(lines) + "\n").encode()


def contest_definition(per_attempt: int) -> dict:
    now = datetime.now(UTC)
    return {
        "slug": "bench",
        "title": "Cuộc thi đo tốc độ",
        "rounds": [{
            "number": 1,
            "title": "Vòng 1",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
            # Long enough that no attempt expires during the run.
            "time_limit_seconds": 6 * 3600,
            "max_attempts": 3,
            "draw": [{"bank": "bench", "count": per_attempt}],
            "review": "after_close",
            "tie_breakers": ["correct_desc", "duration_asc", "submitted_at_asc"],
        }],
    }


def load_data(app, args) -> list[tuple[str, int]]:
    """Bank, contest and takers with a started attempt each; (phone, attempt id) per taker."""
    with app.app_context():
        upgrade()
        import_bank_file("bench.csv", bank_csv(args.questions), slug="bench")
        try:
            save_contest(validate_contest(contest_definition(args.per_attempt)))
        except ContestInvalid as error:
            raise RuntimeError(f"the bench contest is invalid: {'; '.join(map(str, error.errors))}") from None
        round_ = db.session.scalar(select(Round))
        takers = []
        for number in range(args.users):
            phone = f"09{number:08d}"
            user = accounts.register_user(phone=phone, password=TAKER_PASSWORD, full_name=f"Thí sinh {number}",
                                          consent=on_paper())
            takers.append((phone, start_attempt(round_, user).attempt.id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return takers


# --- the server ----------------------------------------------------------------------------

WSGI_MODULE = '''"""Written by bench/answer_save.py: the real app plus a bare route to compare with."""

from quizapp import create_app

app = create_app()


@app.get("/bench/hello")
def bench_hello():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(workdir: Path, env: dict[str, str], workers: int, extra: list[str]) -> tuple[subprocess.Popen, int]:
    (workdir / "bench_wsgi.py").write_text(WSGI_MODULE)
    port = free_port()
    log = workdir / "gunicorn.log"
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--pythonpath", f"{workdir},{ROOT}", "--log-level", "warning", *extra, "bench_wsgi:app",
    ]
    with log.open("wb") as output:
        # Its own process group, so stopping it stops its workers and nothing else.
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 - fixed argv, no shell
                                  start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if request(port, "GET", "/bench/hello").status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(server)
    raise RuntimeError(f"gunicorn did not start (exit code {server.returncode}):\n{log.read_text()[-3000:]}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- signing in through the API ------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    cookies: dict[str, str]

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, *, cookies=None, headers=None, body=None) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if body is not None:
        sent["Content-Type"] = "application/json"
        body = json.dumps(body)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return Response(response.status, response.read(), {name: morsel.value for name, morsel in jar.items()})
    finally:
        connection.close()


@dataclass
class Taker:
    attempt_id: int
    cookie: str
    csrf: str
    # (question id, two different option ids of it)
    questions: list[tuple[int, str, str]]


def sign_in(port: int, phone: str, attempt_id: int) -> Taker:
    first = request(port, "GET", "/api/v1/session")
    cookies, csrf = dict(first.cookies), first.json()["csrf_token"]
    login = request(port, "POST", "/api/v1/login", cookies=cookies, headers={"X-CSRFToken": csrf},
                    body={"phone": phone, "password": TAKER_PASSWORD})
    if login.status != 200:
        raise RuntimeError(f"login of {phone} failed: {login.status} {login.body[:300]!r}")
    cookies.update(login.cookies)
    # Signing in starts a new session, with a new CSRF token.
    csrf = login.json()["csrf_token"]
    attempt = request(port, "GET", f"/api/v1/attempts/{attempt_id}", cookies=cookies)
    if attempt.status != 200:
        raise RuntimeError(f"reading attempt {attempt_id} failed: {attempt.status} {attempt.body[:300]!r}")
    questions = [(q["id"], q["options"][0]["id"], q["options"][1]["id"]) for q in attempt.json()["questions"]]
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return Taker(attempt_id, cookie, csrf, questions)


def check_one_save(port: int, taker: Taker) -> None:
    """One save by hand before the load, so a broken request fails here with its reason."""
    question_id, option, _ = taker.questions[0]
    response = request(port, "PUT", f"/api/v1/attempts/{taker.attempt_id}/answers/{question_id}",
                       headers={"Cookie": taker.cookie, "X-CSRFToken": taker.csrf}, body={"option_ids": [option]})
    if response.status != 200 or response.json()["option_ids"] != [option]:
        raise RuntimeError(f"a single save failed: {response.status} {response.body[:300]!r}")


# --- load with wrk -------------------------------------------------------------------------

LUA_COMMON = r"""
local threads, created = {}, 0
function setup(thread)
  thread:set("index", created)
  created = created + 1
  table.insert(threads, thread)
end

failures, first_failure = 0, ""
function response(status, headers, body)
  if status < 200 or status > 299 then
    failures = failures + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
    end
  end
end

local position = 0
function request()
  position = position % #prepared + 1
  return prepared[position]
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") or "" end
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH-RESULT requests=%d duration_us=%d failures=%d connect=%d read=%d write=%d status=%d timeout=%d "
      .. "p50=%d p90=%d p99=%d max=%d mean=%d\n",
    summary.requests, summary.duration, failed, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
  io.write("BENCH-FIRST-FAILURE " .. first .. "\n")
end
"""


def lua_string(value: str) -> str:
    # ASCII-only JSON string literals are valid Lua string literals.
    assert value.isascii(), value
    return json.dumps(value)


def hello_script() -> str:
    return f"""-- written by bench/answer_save.py
{LUA_COMMON}
function init(args)
  prepared = {{wrk.format("GET", "/bench/hello", {{["User-Agent"] = "{USER_AGENT}"}})}}
end
"""


def save_script(takers: list[Taker], threads: int) -> str:
    """PUTs cycling over questions and, within one question position, over takers, so that
    neighbouring requests hit different attempts; the second pass chooses the other option."""
    users = ",\n".join(f"  {{cookie = {lua_string(t.cookie)}, csrf = {lua_string(t.csrf)}}}" for t in takers)
    saves = []
    for position in range(max(len(t.questions) for t in takers)):
        for number, taker in enumerate(takers, start=1):
            if position < len(taker.questions):
                question_id, first, second = taker.questions[position]
                path = f"/api/v1/attempts/{taker.attempt_id}/answers/{question_id}"
                saves.append(f"  {{{number}, {lua_string(path)}, "
                             f"{lua_string(json.dumps({'option_ids': [first]}))}, "
                             f"{lua_string(json.dumps({'option_ids': [second]}))}}}")
    return f"""-- written by bench/answer_save.py
local THREADS = {threads}
local users = {{
{users}
}}
local saves = {{
{",".join(chr(10) + line for line in saves)}
}}
{LUA_COMMON}
function init(args)
  prepared = {{}}
  for pass = 3, 4 do
    for _, save in ipairs(saves) do
      local user = users[save[1]]
      local headers = {{["Content-Type"] = "application/json", ["Cookie"] = user.cookie,
                       ["X-CSRFToken"] = user.csrf, ["User-Agent"] = "{USER_AGENT}"}}
      table.insert(prepared, wrk.format("PUT", save[2], headers, save[pass]))
    end
  end
  -- Threads start at different points of the cycle, so they do not save the same item at once.
  position = index * math.floor(#saves / THREADS)
end
"""


class Probe:
    """CPU seconds used so far by the server, its PostgreSQL backends, wrk, and the whole machine.

    The machine is shared: what the others used during a run says how far to trust its figures.
    """

    def __init__(self, app, server: subprocess.Popen) -> None:
        self.app, self.server = app, server
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _process(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.ticks

    def _backends(self) -> list[int]:
        with self.app.app_context():
            pids = db.session.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).all()
            db.session.remove()
        return pids

    def snapshot(self) -> dict[str, float]:
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text().split()
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "server": sum(self._process(int(pid)) for pid in [self.server.pid, *children]),
            "postgres": sum(self._process(pid) for pid in self._backends()),
            "wrk": usage.ru_utime + usage.ru_stime,
            # Busy = all but idle and iowait.
            "machine": (sum(ticks) - ticks[3] - ticks[4]) / self.ticks,
        }


@dataclass
class Load:
    rps: float
    requests: int
    failures: int
    first_failure: str
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]
    cpu_ms: dict[str, float]
    # Share of the machine's CPU used by processes other than this benchmark during the run.
    others: float


def run_wrk(port: int, script: Path, args, duration: int, probe: Probe) -> Load:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
               "-s", str(script), f"http://127.0.0.1:{port}/"]
    before, started = probe.snapshot(), time.monotonic()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 S607 - wrk from PATH, fixed argv
    used = {key: value - before[key] for key, value in probe.snapshot().items()}
    capacity = (time.monotonic() - started) * len(os.sched_getaffinity(0))
    match = re.search(r"^BENCH-RESULT (.*)$", finished.stdout, re.MULTILINE)
    if finished.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    fields = {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}
    first = re.search(r"^BENCH-FIRST-FAILURE ?(.*)$", finished.stdout, re.MULTILINE)
    requests = max(fields["requests"], 1)
    ours = used["server"] + used["postgres"] + used["wrk"]
    return Load(
        rps=fields["requests"] / (fields["duration_us"] / 1e6),
        requests=fields["requests"],
        failures=fields["failures"],
        first_failure=first.group(1) if first else "",
        socket_errors={key: fields[key] for key in ("connect", "read", "write", "timeout") if fields[key]},
        latency_ms={key: fields[key] / 1000 for key in ("p50", "p90", "p99", "max")},
        cpu_ms={key: 1000 * used[key] / requests for key in ("server", "postgres", "wrk")},
        others=max(used["machine"] - ours, 0) / capacity,
    )


def describe(name: str, load: Load) -> str:
    latency = " ".join(f"{key} {value:.1f}" for key, value in load.latency_ms.items())
    errors = f", socket errors {load.socket_errors}" if load.socket_errors else ""
    cpu = ", ".join(f"{key} {value:.2f}" for key, value in load.cpu_ms.items())
    warning = "  <- busy machine: not a clean figure" if load.others > BUSY else ""
    return (f"{name:6} {load.rps:8,.0f} req/s  ({load.requests:,} requests; latency ms: {latency}{errors})\n"
            f"{'':6} CPU ms per request: {cpu}; other processes used {load.others:.0%} of the CPUs{warning}")


# --- checks and report ---------------------------------------------------------------------


def stored_answers(app) -> tuple[int, int]:
    with app.app_context():
        answered = db.session.scalar(
            select(func.count()).select_from(AttemptItem).where(AttemptItem.answered_at.is_not(None)))
        total = db.session.scalar(select(func.count()).select_from(AttemptItem))
        db.session.remove()
        db.engine.dispose()
    return answered, total


def machine_line() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}"


def server_versions(app, redis_url: str) -> tuple[str, str]:
    """The versions of the PostgreSQL and Redis servers the run uses."""
    with app.app_context():
        postgres = db.session.scalar(text("SHOW server_version"))
        db.session.remove()
        db.engine.dispose()
    import redis

    client = redis.Redis.from_url(redis_url)
    redis_version = client.info("server")["redis_version"]
    client.close()
    return postgres, redis_version


def machine(app, redis_url: str) -> list[str]:
    postgres, redis_version = server_versions(app, redis_url)
    wrk_line = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S603 S607 - wrk from PATH
    wrk_version = (wrk_line.stdout or wrk_line.stderr).splitlines()[0].split(" [")[0]
    return [
        machine_line(),
        f"versions: Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, "
        f"gunicorn {version('gunicorn')} (sync workers), Flask {version('flask')}, "
        f"SQLAlchemy {version('sqlalchemy')}, psycopg {version('psycopg')}, {wrk_version}",
    ]


def forget_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server; a throwaway database is made there and dropped")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=200, help="questions in the bank")
    parser.add_argument("--per-attempt", type=int, default=20, help="questions drawn per attempt")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--gunicorn", default="",
                        help="more gunicorn options, e.g. '--worker-class gthread --threads 4'")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of each load before measuring")
    parser.add_argument("--repeat", type=int, default=1, help="measure hello then saves this many times")
    args = parser.parse_args()
    if args.repeat < 1 or args.duration < 1:
        parser.error("--repeat and --duration must be at least 1")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y wrk")
    if not args.database_url.startswith(("postgres://", "postgresql")):
        parser.error("--database-url must name a PostgreSQL server")
    return args


def bench_environment(args, prefix: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "QUIZAPP_DATABASE_URL": database_url,
        "QUIZAPP_REDIS_URL": args.redis_url,
        "QUIZAPP_SECRET_KEY": secrets.token_urlsafe(48),
        "QUIZAPP_PASSWORD_TIME_COST": "1",
        "QUIZAPP_PASSWORD_MEMORY_COST_KIB": "8",
        "QUIZAPP_RATELIMIT_KEY_PREFIX": prefix,
        # Every taker signs in from 127.0.0.1.
        "QUIZAPP_RATELIMIT_LOGIN_PER_IP": "100000 per minute",
        # The run starts its 200 attempts in a loop before measuring; admission control would
        # shed some of them (100 a second), and starts are not what is measured here.
        "QUIZAPP_ADMISSION_STARTS_PER_SECOND": "0",
        # 200 takers saving thousands of answers a second: each save is still counted in
        # Redis, as in production, but none is refused.
        "QUIZAPP_RATELIMIT_SAVE_PER_ACCOUNT": "1000000 per minute",
    }


def measure(port: int, hello: Path, saves: Path, args, probe: Probe) -> list[tuple[Load, Load]]:
    """Warm up, then (hello, saves) loads, --repeat times; any failed save stops the run."""
    if args.warmup:
        run_wrk(port, hello, args, args.warmup, probe)
        warm = run_wrk(port, saves, args, args.warmup, probe)
        if warm.failures:
            raise RuntimeError(f"{warm.failures} saves failed during warm-up; first: {warm.first_failure}")
    pairs = []
    for _ in range(args.repeat):
        pair = run_wrk(port, hello, args, args.duration, probe), run_wrk(port, saves, args, args.duration, probe)
        print(describe("hello", pair[0]))
        print(describe("saves", pair[1]))
        if pair[1].failures:
            raise RuntimeError(f"{pair[1].failures} of {pair[1].requests} saves failed (non-2xx); "
                               f"first: {pair[1].first_failure}")
        pairs.append(pair)
    return pairs


def summary(pairs: list[tuple[Load, Load]]) -> list[str]:
    ratios = [saves.rps / hello.rps for hello, saves in pairs]
    # On a CPU-bound machine throughput goes as 1 / CPU per request; unlike requests per
    # second, this barely moves when other processes take CPU during a run.
    cpu_ratios = [sum(hello.cpu_ms.values()) / sum(saves.cpu_ms.values()) for hello, saves in pairs]
    lines = [f"ratios: {', '.join(f'{ratio:.3f}' for ratio in ratios)}"] if len(pairs) > 1 else []
    lines.append(f"CPU per hello / CPU per save (server, PostgreSQL and wrk): "
                 f"{statistics.median(cpu_ratios):.3f}")
    if max(load.others for pair in pairs for load in pair) > BUSY:
        lines.append(f"warning: other processes used more than {BUSY:.0%} of the CPUs during a run; "
                     "requests per second are low and noisy, the CPU ratio above is steadier")
    lines.append(f"ratio saves/hello: {statistics.median(ratios):.3f} (target >= 0.4)")
    return lines


def main() -> int:
    args = arguments()
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import create_postgres_database, drop_postgres_database

    prefix = f"bench-{secrets.token_hex(4)}"
    database_url = create_postgres_database(args.database_url)
    env = bench_environment(args, prefix, database_url)
    workdir = Path(tempfile.mkdtemp(prefix="answer-save-bench-"))
    app = server = None
    try:
        app = create_app(from_environment(env))
        started = time.perf_counter()
        takers = load_data(app, args)
        server, port = start_gunicorn(workdir, env, args.workers, args.gunicorn.split())
        signed_in = [sign_in(port, phone, attempt_id) for phone, attempt_id in takers]
        check_one_save(port, signed_in[0])
        print(f"set up {args.users} takers x {args.per_attempt} questions "
              f"({args.questions}-question bank) in {time.perf_counter() - started:.1f} s")
        hello, saves = workdir / "hello.lua", workdir / "saves.lua"
        hello.write_text(hello_script())
        saves.write_text(save_script(signed_in, args.threads))
        pairs = measure(port, hello, saves, args, Probe(app, server))
        stop_gunicorn(server)

        answered, total = stored_answers(app)
        print(f"stored: {answered:,} of {total:,} attempt items have answered_at set")
        if answered < min(total, pairs[-1][1].requests // args.threads) * 0.9:
            raise RuntimeError("the saves did not reach the database")
        print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s against gunicorn "
              f"--workers {args.workers} on 127.0.0.1, PostgreSQL and Redis on the same machine")
        print("\n".join(machine(app, args.redis_url) + summary(pairs)))
        return 0
    finally:
        if server is not None:
            stop_gunicorn(server)
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        drop_postgres_database(database_url)
        forget_redis_keys(args.redis_url, prefix)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
