"""``GET /healthz``: what a load balancer or an admin checks first (DESIGN §3 rule 10).

It tells the truth about the process that answers it: ``database`` and ``redis`` are whether
they answer now, ``rate_limits`` is where this process counts limits right now (``limits.counted_in``).
After a Redis outage each process goes on counting in its own memory until Flask-Limiter's
recovery check finds Redis again, so the status stays ``degraded`` until then, not just until
Redis answers a ping. A failure is no traceback per probe: it counts in an outage episode
(quizapp/outages.py, pressure.py), one log line as it starts and one as it ends.

``jobs`` says whether a background worker is alive on the job queue (RQ's worker registry and
heartbeats, quizapp/jobs): ``ok``, ``no_worker`` (logged once per episode, like an outage),
``not_configured`` without Redis (jobs then run in the request), ``unknown`` while Redis is down.
A missing worker leaves ``status`` alone on purpose: takers are served as before (only judges'
downloads and rankings wait in the queue), and the worker is shared by every web host through
Redis, so every host would report it at once; a load balancer that took hosts out for it would
take them all out, or prefer none. Monitoring reads the field (and the log) instead.
"""

from __future__ import annotations

import contextlib

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from quizapp import outages
from quizapp.extensions import db
from quizapp.jobs.services import workers_alive
from quizapp.limits import counted_in
from quizapp.pressure import pressure

bp = Blueprint("health", __name__)

REDIS_DOWN = "redis-unreachable"
NO_WORKER = "jobs-no-worker"


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure to reach the database is a "down", whatever its kind
        kind = outages.database_outage(error)
        if kind is None:
            current_app.logger.exception("Health check: database unreachable")
        else:
            outages.refused(current_app, kind)
        with contextlib.suppress(Exception):
            db.session.rollback()
        return False


def redis_state() -> str:
    client = current_app.extensions.get("quizapp.redis")
    if client is None:
        return "not_configured"
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - redis-py raises several kinds; all mean unreachable
        pressure().refused(REDIS_DOWN)
        return "down"
    pressure().passed(REDIS_DOWN)
    return "ok"


def jobs_state(redis: str) -> str:
    if redis != "ok":
        return "not_configured" if redis == "not_configured" else "unknown"
    try:
        alive = workers_alive(current_app, current_app.extensions["quizapp.redis"])
    except Exception:  # noqa: BLE001 - Redis went away since the ping: the next probe tells
        return "unknown"
    if not alive:
        pressure().refused(NO_WORKER)
        return "no_worker"
    pressure().passed(NO_WORKER)
    return "ok"


@bp.get("/healthz")
def healthz():
    database = "ok" if database_ok() else "down"
    redis = redis_state()
    # A Redis that does not answer counts nothing: the next limited request falls back to memory.
    rate_limits = "memory" if redis == "down" else counted_in()
    if database == "down":
        status, code = "down", 503
    elif redis == "down" or (redis == "ok" and rate_limits == "memory"):
        # Takers are still served, but limits are counted per process, not shared: an admin
        # (and a load balancer that prefers healthy hosts) should know.
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    # A missing worker does not change the status (the module's docstring says why).
    return jsonify(status=status, database=database, redis=redis, rate_limits=rate_limits,
                   jobs=jobs_state(redis)), code
