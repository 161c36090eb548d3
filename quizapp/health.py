"""``GET /healthz``: what a load balancer or an admin checks first."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from quizapp.extensions import db

bp = Blueprint("health", __name__)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the database is a "down", whatever its kind
        current_app.logger.exception("Health check: database unreachable")
        db.session.rollback()
        return False


def redis_state() -> str:
    client = current_app.extensions.get("quizapp.redis")
    if client is None:
        return "not_configured"
    try:
        client.ping()
        return "ok"
    except Exception:  # noqa: BLE001 - redis-py raises several kinds; all mean unreachable
        current_app.logger.warning("Health check: Redis unreachable")
        return "down"


@bp.get("/healthz")
def healthz():
    database = "ok" if database_ok() else "down"
    redis = redis_state()
    if database == "down":
        status, code = "down", 503
    elif redis == "down":
        # Takers are still served (limits fall back to per-process memory), but an admin
        # should know the shared limits are not shared right now.
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return jsonify(status=status, database=database, redis=redis), code
