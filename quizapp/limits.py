"""Every rate limit of the platform, shared by the pages and the JSON API.

Per account or phone first: an office of 300 cadres, or a carrier's NAT with thousands of
takers, shares one IP, so limits keyed by IP would lock honest people out on the deadline
day. Limits keyed by IP are generous flood guards, on signing in, registering and the units
directory's search (which people use before they have an account).
Each limit is a shared limit: the page and the API route of one action draw from the same
bucket. The numbers come from the config (``RATELIMIT_*``), so an installation can change
them; docs/architecture.md has the table of defaults.

| scope            | key                          | config key                  | default           |
|------------------|------------------------------|-----------------------------|-------------------|
| login-ip         | client IP, every sign-in     | RATELIMIT_LOGIN_PER_IP      | 300 per minute    |
| login-failures-ip | client IP, failures only    | ..._LOGIN_FAILURES_PER_IP   | 40 per 10 minutes |
| login-failures-phone | normalised phone, failures | ..._LOGIN_FAILURES_PER_PHONE | 10 per 15 minutes |
| login-failures-browser | browser + account, failures | ..._LOGIN_FAILURES_PER_BROWSER | 10 per 15 minutes |
| register-ip      | client IP                    | RATELIMIT_REGISTER_PER_IP   | 30 per hour       |
| unit-search      | client IP                    | RATELIMIT_UNIT_SEARCH_PER_IP | 600 per minute   |
| attempt-start    | the account                  | RATELIMIT_START_PER_ACCOUNT | 6 per minute      |
| answer-save      | the account                  | RATELIMIT_SAVE_PER_ACCOUNT  | 120 per minute    |
| attempt-submit   | the account                  | RATELIMIT_SUBMIT_PER_ACCOUNT | 10 per minute    |
| contest-password | the account and contest      | RATELIMIT_CONTEST_PASSWORD  | 10 per 10 minutes |
| code-send-phone  | normalised phone, any number | ..._CODE_SEND_PER_PHONE     | 3 per 15 minutes; 10 per day |
| code-send-ip     | client IP                    | ..._CODE_SEND_PER_IP        | 1000 per hour     |
| code-check-phone | normalised phone, any number | ..._CODE_CHECK_PER_PHONE    | 10 per 15 minutes |
| code-check-ip    | client IP                    | ..._CODE_CHECK_PER_IP       | 60 per 15 minutes |
| certificate-verify | client IP, a certificate's page | ..._CERTIFICATE_VERIFY_PER_IP | 600 per minute |

Failed sign-ins are budgeted apart from successful ones (DESIGN §3 rules 5 and 11): a sign-in
is checked against its budgets before the password is hashed, and counted in them only when it
fails (``failure_budget_wait``, ``count_failure``; auth/protection.py decides which budgets
apply). The phone is the one ``phone.normalise_phone`` reads, the very number the password is
checked against, so no way of writing a number gets a budget of its own; a phone that does not
normalise is refused like a wrong password and counts under the IP only. Guesses at a
contest's password (the page's form and a start through the API with a password) share one
budget per account and contest (``contest_password_try``).

One-time codes (auth/codes.py) are budgeted per phone and per address with ``spend``: asking
for a code (``code-send-*``) and typing one in (``code-check-*``), for every number asked about,
with an account or not, so the limits answer alike for both (DESIGN §7).

Answer saves are also counted by the answer-save lane (api/answer_lane.py), in the same
bucket, in batches (``LaneSaveCount``).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from quizapp.extensions import limiter
from quizapp.sessions import session_identity

SAVE_SCOPE = "answer-save"
# Set by the answer-save lane on a request it has already counted.
SAVE_COUNTED = "quizapp.answer_save_counted"


def counted_in() -> str:
    """Where this process counts rate limits now: "redis", or "memory" (this process only).

    Memory without ``REDIS_URL``, and while Flask-Limiter's in-memory fallback is on. It turns
    on at the first storage error of a limited request (logging "Rate limit storage unreachable
    - falling back to in-memory storage") and off only when a later request's recovery check
    finds Redis answering ("Rate limit storage recovered"). Each process checks on its own
    clock, at most after 1, 2, 4, 8, 16 and 32 seconds in turn, and only on requests (any
    request but a static file): a worker may count in memory for half a minute after Redis is
    back. Flask-Limiter has no public flag for it; ``_storage_dead`` is what its own
    ``limiter`` property reads to choose the storage.
    """
    if not current_app.config.get("REDIS_URL"):
        return "memory"
    return "memory" if limiter._storage_dead else "redis"


def account_key() -> str:
    """The signed-in account, read from the session cookie without a database query; the
    IP for a visitor who is not signed in (who is then refused by the view anyway)."""
    identity = session_identity()
    return f"user:{identity[0]}" if identity else f"ip:{get_remote_address()}"


def _config(key: str):
    return lambda: current_app.config[key]


# A sign-in answered 503 busy (no hashing slot) is not counted: the sign-in page sends it again
# by itself, and an office behind one address would otherwise spend its allowance on retries.
login_per_ip = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_PER_IP"), scope="login-ip", key_func=get_remote_address, methods=["POST"],
    deduct_when=lambda response: response.status_code != 503,
)
_NOT_COUNTED = "quizapp_not_counted"


def not_counted() -> None:
    """This request is not counted against the registration budget: a step of the unit
    picker sends the registration form back without registering (units/picker.py)."""
    setattr(g, _NOT_COUNTED, True)


register_per_ip = limiter.shared_limit(
    _config("RATELIMIT_REGISTER_PER_IP"), scope="register-ip", key_func=get_remote_address, methods=["POST"],
    deduct_when=lambda response: not g.get(_NOT_COUNTED, False),
)
# Type-ahead sends a request every few letters; an office registering together shares one IP.
unit_search_per_ip = limiter.shared_limit(
    _config("RATELIMIT_UNIT_SEARCH_PER_IP"), scope="unit-search", key_func=get_remote_address
)
start_per_account = limiter.shared_limit(
    _config("RATELIMIT_START_PER_ACCOUNT"), scope="attempt-start", key_func=account_key, methods=["POST"]
)
save_per_account = limiter.shared_limit(
    _config("RATELIMIT_SAVE_PER_ACCOUNT"), scope=SAVE_SCOPE, key_func=account_key, methods=["PUT", "POST"],
    exempt_when=lambda: bool(request.environ.get(SAVE_COUNTED)),
)
submit_per_account = limiter.shared_limit(
    _config("RATELIMIT_SUBMIT_PER_ACCOUNT"), scope="attempt-submit", key_func=account_key, methods=["POST"]
)
# A PDF made in the request costs a page's worth of CPU several times over (DESIGN §3 rule 11).
certificate_per_account = limiter.shared_limit(
    _config("RATELIMIT_CERTIFICATE_PER_ACCOUNT"), scope="certificate-pdf", key_func=account_key
)
# The code on a certificate is public and a whole hall scans QR codes behind one NAT: a flood
# guard, far above what people scanning can reach.
certificate_verify_per_ip = limiter.shared_limit(
    _config("RATELIMIT_CERTIFICATE_VERIFY_PER_IP"), scope="certificate-verify", key_func=get_remote_address,
    methods=["GET"],
)


class LaneSaveCount:
    """How the answer-save lane counts saves in the account's shared ``answer-save`` limit.

    A Redis round trip through redis-py costs the app server about as much CPU as the save
    itself, so the lane reports an account's saves to the shared bucket in batches: every
    ``batch``-th save of the account in this process adds ``batch`` at once (the same limits,
    bucket and storage as ``save_per_account``, through Flask-Limiter's own strategy). So an
    account may get at most ``batch - 1`` saves past its limit in each process, and one that
    is over the limit is sent to the view on every save, where Flask-Limiter counts exactly
    and answers 429. ``RATELIMIT_SAVE_BATCH`` = 1 counts every save.

    Storage errors propagate: the lane then hands the request to the view, whose
    Flask-Limiter hook falls back to per-process memory while Redis is away.
    """

    # Saves not yet reported, per account; forgotten wholesale past this many accounts (at
    # worst ``batch - 1`` uncounted saves each).
    MAX_ACCOUNTS = 100_000

    def __init__(self, batch: int) -> None:
        self.batch = max(1, int(batch))
        self._pending: dict[int, int] = {}

    def hit(self, app: Flask, user_id: int) -> bool:
        """Count one save; False when the shared bucket is full (the view decides then)."""
        if not app.config.get("RATELIMIT_ENABLED", True):
            return True
        count = self._pending.get(user_id, 0) + 1
        if count < self.batch:
            if len(self._pending) >= self.MAX_ACCOUNTS:
                self._pending.clear()
            self._pending[user_id] = count
            return True
        allowed = _hit_shared(app, user_id, cost=count)
        if allowed:
            self._pending.pop(user_id, None)
        else:
            # Over the limit: check again on the account's next save, not ``batch`` saves later.
            self._pending[user_id] = self.batch - 1
        return allowed


def _hit_shared(app: Flask, user_id: int, *, cost: int) -> bool:
    items = _parsed(app.config["RATELIMIT_SAVE_PER_ACCOUNT"])
    prefix = app.config.get("RATELIMIT_KEY_PREFIX") or ""
    identifiers = [prefix, f"user:{user_id}", SAVE_SCOPE] if prefix else [f"user:{user_id}", SAVE_SCOPE]
    strategy = limiter.limiter
    return all(strategy.hit(item, *identifiers, cost=cost) for item in items)


_parsed_limits: dict[str, list] = {}


def _parsed(value: str) -> list:
    items = _parsed_limits.get(value)
    if items is None:
        items = _parsed_limits[value] = parse_many(value)
    return items


# --- budgets counted by hand: failed sign-ins, contest passwords ------------------------

CONTEST_GUESS_SCOPE = "contest-password"
# Counts guesses and failures in this process while the shared storage is unreachable, so a
# Redis outage does not lift a budget.
_fallback = MovingWindowRateLimiter(MemoryStorage())


def _identifiers(app: Flask, key: str, scope: str) -> list[str]:
    prefix = app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, key, scope] if prefix else [key, scope]


def _counted(app: Flask, action, what: str):
    """Run ``action(strategy)`` on the shared storage, or on this process's memory while the
    shared storage is unreachable (so an outage does not lift a budget)."""
    try:
        return action(limiter.limiter)
    except Exception:
        app.logger.warning("Rate limit storage unreachable - counting %s in memory", what, exc_info=True)
        return action(_fallback)


def failure_budget_wait(scope: str, key: str, limit: str) -> int | None:
    """None while the budget ``limit`` of ``scope`` under ``key`` has room, else the seconds
    until it has. Counts nothing: failures are counted by ``count_failure``."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    identifiers = _identifiers(app, key, scope)

    def test(strategy) -> int | None:
        for item in _parsed(limit):
            if not strategy.test(item, *identifiers):
                reset_at = strategy.get_window_stats(item, *identifiers).reset_time
                return max(1, math.ceil(reset_at - time.time()))
        return None

    return _counted(app, test, scope)


def count_failure(scope: str, key: str, limit: str) -> None:
    """Count one failure in the budget ``limit`` of ``scope`` under ``key``."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    identifiers = _identifiers(app, key, scope)

    def hit(strategy) -> None:
        for item in _parsed(limit):
            strategy.hit(item, *identifiers)

    _counted(app, hit, scope)


def spend(scope: str, key: str, limit: str) -> int | None:
    """Count one request in the budget ``limit`` of ``scope`` under ``key``; None if it had room,
    else the seconds until the next one may. For limits whose key is known only inside the view
    (a contest, a phone in the body), counted before the work they guard."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    identifiers = _identifiers(app, key, scope)
    items = _parsed(limit)
    return _counted(app, lambda strategy: _try(strategy, items, identifiers), scope)


def contest_password_try(user_id: int, contest_id: int) -> int | None:
    """Count one guess at a contest's password by an account; None if it may be checked, else
    the seconds until the next guess may.

    One budget per account and contest, whichever way the guess comes (the contest page's form
    or a start through the API), counted before the password is checked, so a guesser who has
    spent it learns nothing more. Not a route decorator: the contest is known only inside the
    view (a slug on the page, a round on the API).
    """
    return spend(CONTEST_GUESS_SCOPE, f"user:{user_id}:contest:{contest_id}",
                 current_app.config["RATELIMIT_CONTEST_PASSWORD"])


def _try(strategy, items: list, identifiers: list[str]) -> int | None:
    for item in items:
        if not strategy.hit(item, *identifiers):
            reset_at = strategy.get_window_stats(item, *identifiers).reset_time
            return max(1, math.ceil(reset_at - time.time()))
    return None
