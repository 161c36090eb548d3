"""Benchmark: a judge downloads the xlsx (and CSV) ranking of a national round through the web,
as a background job (target, issue 13: no error; the file arrives; no request of the page is slow).

    .venv/bin/python bench/export_jobs.py [--database-url URL] [--people 225000] [--attempts-each 2]

It creates a throwaway PostgreSQL database (as bench/ranking.py, whose loader it uses: 225,000
people and 450,000 submitted attempts by default, VCNET's largest week), a throwaway Redis, then
starts the app the way an admin does: gunicorn (2 sync workers, gunicorn's default 30 s worker
timeout, which killed this download before) and ``flask --app wsgi jobs worker``. A judge of the
contest signs in through the login page and clicks each download, follows the redirect to the
job's page, polls its status URL every 0.5 s as the page's script does (and /healthz alongside),
then fetches the same URL for the file. Reported per file: click to file, the job's own time and
the worker's peak memory from its record and the kernel, the slowest web answer meanwhile, and
every status code seen. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from ranking import SECRET, load  # noqa: E402
from sqlalchemy import create_engine, select  # noqa: E402

from quizapp import create_app  # noqa: E402
from quizapp.jobs.models import Job  # noqa: E402
from quizapp.localredis import LocalRedis, free_port  # noqa: E402

BIN = ROOT / ".venv" / "bin"
JUDGE, PASSWORD = "0911111111", "giam-khao-bench"


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,  # noqa: S603
                   capture_output=True)


def wait_until_up(base: str) -> None:
    for _ in range(200):
        try:
            if requests.get(base + "/healthz", timeout=5).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = session.post(base + "/auth/login", data={"csrf_token": token, "phone": JUDGE, "password": PASSWORD},
                          allow_redirects=False)
    assert answer.status_code == 302, answer.status_code
    return session


def download(session: requests.Session, base: str, path: str) -> dict:
    statuses: dict[int, int] = {}
    slowest = 0.0

    def get(url: str, **kwargs) -> requests.Response:
        nonlocal slowest
        began = time.perf_counter()
        answer = session.get(url, timeout=60, **kwargs)
        slowest = max(slowest, time.perf_counter() - began)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        return answer

    began = time.perf_counter()
    click = get(base + path, allow_redirects=False)
    if click.status_code != 303:
        raise RuntimeError(f"click answered {click.status_code}")
    job_url = base + click.headers["Location"]
    page = get(job_url).text
    status_url = base + re.search(r'data-status-url="([^"]+)"', page).group(1)
    polls = 0
    while True:
        status = get(status_url).json()
        get(base + "/healthz")
        polls += 1
        if status["status"] in ("finished", "failed"):
            break
        time.sleep(0.5)
    answer = get(job_url)
    seconds = time.perf_counter() - began
    if status["status"] != "finished" or "attachment" not in answer.headers.get("Content-Disposition", ""):
        raise RuntimeError(f"no file: {status}")
    return {"seconds": seconds, "bytes": len(answer.content), "token": click.headers["Location"].split("job=")[1],
            "statuses": statuses, "slowest": slowest, "polls": polls}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=225_000)
    parser.add_argument("--attempts-each", type=int, default=2)
    args = parser.parse_args()
    from conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(args.database_url)
    processes: list[subprocess.Popen] = []
    redis_server = LocalRedis()
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None})
        began = time.perf_counter()
        load(app, args.people, args.attempts_each)
        print(f"loaded {args.people:,} people x {args.attempts_each} attempts in {time.perf_counter() - began:.1f} s")
        env = {**os.environ, "QUIZAPP_DATABASE_URL": url, "QUIZAPP_SECRET_KEY": SECRET,
               "QUIZAPP_REDIS_URL": redis_server.start(), "QUIZAPP_RATELIMIT_ENABLED": "false"}
        flask(env, "users", "create", JUDGE, "--name", "Giám khảo đo tốc độ", "--role", "judge",
              "--password", PASSWORD)
        flask(env, "contests", "staff", "bench-xep-hang", JUDGE, "--role", "judge")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        processes.append(subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                                           "wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
        worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"],  # noqa: S603
                                  cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        processes.append(worker)
        wait_until_up(base)
        session = sign_in(base)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        for name in ("export.xlsx", "export.csv"):
            result = download(session, base, f"/judging/rounds/1/{name}")
            with engine.connect() as connection:
                job = connection.execute(select(Job.started_at, Job.finished_at, Job.done)
                                         .where(Job.id == result["token"])).one()
            job_seconds = (job.finished_at - job.started_at).total_seconds()
            print(f"{name}: click to file {result['seconds']:.1f} s (job {job_seconds:.1f} s, {job.done:,} rows),"
                  f" {result['bytes'] / 1e6:.1f} MB; {result['polls']} status polls and /healthz alongside; slowest"
                  f" web answer {result['slowest'] * 1000:.0f} ms; statuses {result['statuses']}")
        engine.dispose()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        # gunicorn still runs: the figure is the worker's, or its largest job horse's.
        print(f"the worker's peak memory (its largest job horse): {peak:.0f} MB")
        print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        redis_server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    sys.exit(main())
