"""Honest outages (DESIGN §3 rule 10; quizapp/outages.py, errors.py, health.py, logs.py).

The database is taken away for real: PostgreSQL behind a proxy the test cuts, an SQLite file
write-locked by another connection, a server port nobody listens on. Redis is a server of the
test's own that it stops and starts. What is checked is what a phone, a person and an admin
reading the log would notice: 503 with Retry-After on pages, the API and the answer-save lane;
one log line as an outage starts and one as it ends, with no traceback; service coming back
without a restart; /healthz telling where rate limits are counted.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import flask_limiter._extension
import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from quizapp import outages
from quizapp import pressure as pressure_module
from quizapp.api.answer_lane import AnswerSaveLane
from quizapp.localredis import LocalRedis, free_port
from tests.attempt_support import API, error_code, install_clock, one_round, sign_up
from tests.attempts.test_attempts import MIXED
from tests.outage_support import CuttableProxy

UNAVAILABLE_PAGE = "Hệ thống đang bận"


def log_lines(path: Path, text: str) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if text in line] if path.exists() else []


def assert_503(response, *, json: bool) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "5"
    if json:
        assert error_code(response) == "unavailable"
        assert response.headers["Cache-Control"] == "no-store"
    else:
        page = response.get_data(as_text=True)
        assert UNAVAILABLE_PAGE in page and "Traceback" not in page


@pytest.fixture
def quiet_outages(monkeypatch):
    """Outage episodes end at the first look after the last refusal."""
    monkeypatch.setattr(pressure_module, "OUTAGE_QUIET_SECONDS", 0)
    monkeypatch.setattr(pressure_module, "CHECK_SECONDS", 0)


def taker_in_a_round(app, tmp_path):
    install_clock(app)
    round_id = one_round(app, tmp_path, questions=MIXED, review="after_submit", max_attempts=None)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    return taker, attempt, attempt["questions"][0]


def page_submit(taker, attempt):
    return taker.client.post(f"/contests/attempts/{attempt['id']}/submit", data={"csrf_token": taker.csrf})


# --- PostgreSQL goes away and comes back -------------------------------------------------------


def test_a_postgresql_outage_is_503_everywhere_logged_once_and_over_without_a_restart(
        make_app, database_url, tmp_path, quiet_outages):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs the suite's PostgreSQL (QUIZAPP_DATABASE_URL)")
    proxy, through_proxy = CuttableProxy.before(database_url)
    log = tmp_path / "app.log"
    try:
        app = make_app(DATABASE_URL=through_proxy, LOG_FILE=str(log))
        taker, attempt, question = taker_in_a_round(app, tmp_path)
        choice = [question["options"][1]["id"]]
        assert taker.save(attempt["id"], question["id"], choice).status_code == 200

        proxy.cut()
        for _ in range(5):
            assert_503(taker.save(attempt["id"], question["id"], choice), json=True)  # the lane
            assert_503(taker.attempt(attempt["id"]), json=True)  # the API through Flask
            assert_503(taker.client.get("/auth/profile"), json=False)  # the session loader, on a page
            assert_503(page_submit(taker, attempt), json=False)
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "down"

        proxy.restore()
        saved = taker.save(attempt["id"], question["id"], [question["options"][2]["id"]])
        assert saved.status_code == 200
        assert taker.client.get("/auth/profile").status_code == 200
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        proxy.close()

    started = log_lines(log, "Outage database-unreachable started refusing requests")
    stopped = log_lines(log, "Outage database-unreachable stopped refusing requests")
    assert len(started) == 1 and len(stopped) == 1, log.read_text()
    assert "after 21 refusals" in stopped[0]
    assert "Traceback" not in log.read_text()


def test_a_database_nobody_answers_is_503_with_retry_after_on_pages_and_the_api(make_app, auth, client, tmp_path):
    """Runs on every machine: a PostgreSQL URL whose port nobody listens on."""
    auth.login_as("taker")
    cookie = client.get_cookie("quizapp_session").value
    log = tmp_path / "app.log"
    broken = make_app(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", LOG_FILE=str(log))
    phone = broken.test_client()
    phone.set_cookie("quizapp_session", cookie)

    for _ in range(10):
        assert_503(phone.get("/auth/profile"), json=False)
        assert_503(phone.get(f"{API}/contests"), json=True)
        assert_503(phone.get("/"), json=False)

    assert len(log_lines(log, "Outage database-unreachable started refusing requests")) == 1
    assert "Traceback" not in log.read_text()


# --- SQLite locked under load ------------------------------------------------------------------


def test_a_locked_sqlite_database_is_503_not_500_and_the_lane_answers_as_the_view(
        make_app, database_url, tmp_path, quiet_outages):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    log = tmp_path / "app.log"
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=50, LOG_FILE=str(log))
    taker, attempt, question = taker_in_a_round(app, tmp_path)
    lane = app.wsgi_app
    assert isinstance(lane, AnswerSaveLane)
    choice = [question["options"][1]["id"]]

    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the busy timeout
    try:
        through_lane = taker.save(attempt["id"], question["id"], choice)
        lane.enabled = False
        through_view = taker.save(attempt["id"], question["id"], choice)
        lane.enabled = True
        assert_503(through_lane, json=True)
        assert_503(through_view, json=True)
        same = [sorted((k, v) for k, v in r.headers.items() if k != "Date") for r in (through_lane, through_view)]
        assert same[0] == same[1]
        assert through_lane.get_data() == through_view.get_data()
        assert_503(taker.submit(attempt["id"]), json=True)
        assert_503(page_submit(taker, attempt), json=False)
        # Reading goes on while another connection writes (WAL).
        assert taker.attempt(attempt["id"]).status_code == 200
    finally:
        holder.rollback()
        holder.close()

    assert taker.save(attempt["id"], question["id"], choice).status_code == 200
    assert taker.attempt(attempt["id"]).status_code == 200
    assert len(log_lines(log, "Outage database-busy started refusing requests")) == 1
    assert len(log_lines(log, "Outage database-busy stopped refusing requests after 4 refusals")) == 1
    assert "Traceback" not in log.read_text()


def test_database_errors_that_are_bugs_stay_500():
    no_table = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as missing:
        no_table.execute("SELECT * FROM nothing")
    assert outages.database_outage(missing.value) is None
    assert outages.database_outage(sa_exc.OperationalError("SELECT", {}, missing.value)) is None
    assert outages.database_outage(psycopg.errors.UndefinedTable("no such table")) is None
    assert outages.database_outage(psycopg.errors.AdminShutdown("terminating")) == outages.DATABASE_DOWN
    assert outages.database_outage(psycopg.errors.LockNotAvailable("lock")) == outages.DATABASE_BUSY
    assert outages.database_outage(ValueError("not a database error")) is None


# --- Redis, the limiter and /healthz ---------------------------------------------------------


class LimiterClock:
    """The clock Flask-Limiter's recovery check reads (it checks again after 1, 2 … 32 s)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def failed_sign_in(client):
    csrf = client.get(f"{API}/session").get_json()["csrf_token"]
    return client.post(f"{API}/login", json={"phone": "0912000999", "password": "sai-mat-khau"},
                       headers={"X-CSRFToken": csrf})


def test_healthz_is_degraded_until_limits_are_counted_in_redis_again(make_app, tmp_path, monkeypatch):
    clock = LimiterClock()
    monkeypatch.setattr(flask_limiter._extension, "time", clock)
    log = tmp_path / "app.log"
    with LocalRedis(directory=str(tmp_path / "redis")) as redis_server:
        app = make_app(REDIS_URL=redis_server.url, LOG_FILE=str(log))
        client = app.test_client()
        assert client.get("/healthz").get_json() == {
            "status": "ok", "database": "ok", "redis": "ok", "rate_limits": "redis", "jobs": "no_worker"}

        redis_server.stop()
        assert failed_sign_in(client).status_code == 401  # counted in this process's memory
        assert client.get("/healthz").get_json() == {
            "status": "degraded", "database": "ok", "redis": "down", "rate_limits": "memory",
            "jobs": "unknown"}

        redis_server.start()
        # Redis answers, but Flask-Limiter has not looked yet: limits are still per process.
        assert client.get("/healthz").get_json() == {
            "status": "degraded", "database": "ok", "redis": "ok", "rate_limits": "memory",
            "jobs": "no_worker"}
        assert failed_sign_in(client).status_code == 401
        assert not list(app.extensions["quizapp.redis"].scan_iter("*login*"))

        clock.now += 60  # past the longest wait between its checks
        assert client.get("/healthz").get_json() == {
            "status": "ok", "database": "ok", "redis": "ok", "rate_limits": "redis", "jobs": "no_worker"}
        assert failed_sign_in(client).status_code == 401
        assert list(app.extensions["quizapp.redis"].scan_iter("*login*"))

    assert len(log_lines(log, "Rate limit storage unreachable - falling back to in-memory storage")) == 1
    assert len(log_lines(log, "Rate limit storage recovered")) == 1
    assert len(log_lines(log, "Outage redis-unreachable started refusing requests")) == 1


def test_the_lanes_warnings_reach_the_apps_log(make_app, tmp_path, monkeypatch):
    log = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log))
    taker, attempt, question = taker_in_a_round(app, tmp_path)

    def fails(*_args):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr("quizapp.api.answer_lane.try_save_answer", fails)
    assert taker.save(attempt["id"], question["id"], [question["options"][0]["id"]]).status_code == 200

    warned = log_lines(log, "The answer-save lane failed; the view takes over")
    assert len(warned) == 1 and "[WARNING] quizapp:" in warned[0]
    assert "RuntimeError: something unexpected" in log.read_text()
