"""Rate limits on signing in and registering, shared by the pages and the JSON API.

Per phone number first: an office of 300 cadres behind one IP must all be able to sign
in, while ten wrong guesses at one phone in a minute are stopped. The per-IP limits are
generous flood guards.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from quizapp.auth.phone import normalise_phone
from quizapp.extensions import limiter


def _submitted_phone() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    raw = str((data or {}).get("phone", ""))[:40]
    return "phone:" + (normalise_phone(raw) or raw.strip().lower())


def _config(key: str):
    return lambda: current_app.config[key]


login_per_phone = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_PER_PHONE"), scope="login-phone", key_func=_submitted_phone, methods=["POST"]
)
login_per_ip = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_PER_IP"), scope="login-ip", key_func=get_remote_address, methods=["POST"]
)
register_per_ip = limiter.shared_limit(
    _config("RATELIMIT_REGISTER_PER_IP"), scope="register-ip", key_func=get_remote_address, methods=["POST"]
)
