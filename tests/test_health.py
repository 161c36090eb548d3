"""GET /healthz: what a load balancer and an admin see."""

from __future__ import annotations

import logging

import redis
from sqlalchemy import text

from quizapp import pressure as pressure_module
from quizapp.extensions import db
from tests.job_support import idle_worker


def test_healthy(app):
    with idle_worker(app):
        response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok", "rate_limits": "redis",
                                   "jobs": "ok"}


def test_a_missing_worker_is_reported_and_logged_once_but_is_not_degraded(app, monkeypatch, caplog):
    monkeypatch.setattr(pressure_module, "OUTAGE_QUIET_SECONDS", 0)
    monkeypatch.setattr(pressure_module, "CHECK_SECONDS", 0)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="quizapp"):
        for _probe in range(3):
            response = client.get("/healthz")
            # Takers are served whatever the worker does: a load balancer keeps the host.
            assert response.status_code == 200
            assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok", "rate_limits": "redis",
                                           "jobs": "no_worker"}
        with idle_worker(app) as worker:
            assert client.get("/healthz").get_json()["jobs"] == "ok"
            assert client.get("/healthz").get_json()["jobs"] == "ok"
            # A worker killed without unregistering: its key expires with its last heartbeat,
            # and the registry's entry alone is not a worker.
            redis.Redis.from_url(app.config["REDIS_URL"]).delete(worker.key)
            assert client.get("/healthz").get_json()["jobs"] == "no_worker"
    lines = [record.getMessage() for record in caplog.records if "jobs-no-worker" in record.getMessage()]
    # One line as each episode starts and one as it ends: two episodes, the second still on.
    assert [line.split(" jobs-no-worker ")[1].split(" ")[0] for line in lines] == ["started", "stopped", "started"]


def test_jobs_without_redis(make_app):
    assert make_app(REDIS_URL=None).test_client().get("/healthz").get_json()["jobs"] == "not_configured"
    assert make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/healthz").get_json()["jobs"] == "unknown"


def test_redis_down_is_degraded_not_down(make_app):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "down", "rate_limits": "memory",
                                   "jobs": "unknown"}
    # Takers are still served while Redis is away.
    assert client.get("/auth/login").status_code == 200


def test_without_redis_configured(make_app):
    response = make_app(REDIS_URL=None).test_client().get("/healthz")
    assert response.get_json()["redis"] == "not_configured"
    assert response.get_json()["rate_limits"] == "memory"
    assert response.status_code == 200


def test_database_down_is_503(make_app):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    app.logger.disabled = True
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"
    assert response.get_json()["database"] == "down"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_database_down_gives_a_plain_vietnamese_503_page(make_app, auth, client):
    auth.login_as("taker")
    cookie = client.get_cookie("quizapp_session").value
    broken = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    broken.logger.disabled = True
    other = broken.test_client()
    other.set_cookie("quizapp_session", cookie)
    response = other.get("/auth/profile")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Hệ thống đang bận" in response.get_data(as_text=True)
