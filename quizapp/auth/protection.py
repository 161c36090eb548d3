"""Sign-in that floods cannot stall, and guessers cannot use to lock the owner out.

DESIGN §3 rules 5 and 11. A password check costs tens of milliseconds of a core, so:

- **Failures are budgeted before any hash is computed.** Failed sign-ins (never successful ones)
  are counted per client address (``RATELIMIT_LOGIN_FAILURES_PER_IP``: an office or a carrier's
  NAT stays well under it, a flood spends it in seconds) and per phone across every address
  (``RATELIMIT_LOGIN_FAILURES_PER_PHONE``). A spent budget is answered 429 with ``Retry-After``
  at the cost of a couple of Redis reads. A phone with no account is budgeted and answered
  exactly like one with an account, and still costs a dummy hash, so neither time nor answer
  tells which numbers are registered.
- **The owner keeps a way in** (OWASP's "device cookies"). A successful sign-in gives the browser
  a signed cookie of its own, ``quizapp_signin``, naming the account and its generation
  (``User.session_version``) with a random id for this browser. A browser that holds a valid one
  for the phone it signs in with is not held to the address's or the phone's budget: it has a
  small budget of its own (``RATELIMIT_LOGIN_FAILURES_PER_BROWSER``). Signing out keeps the
  cookie; anything that ends every session of the account (a password change, a password reset
  with a one-time code, disabling the account) bumps the generation, and every such cookie
  stops counting.
  ``quizapp_device`` (the ``shared_device`` flag) is a different cookie and is left alone.
- **Hashing itself is bounded per host** (``auth/passwords.py``): past that a sign-in gets 503
  with ``Retry-After`` and is not counted as a failure.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import after_this_request, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from quizapp.auth.models import User
from quizapp.auth.passwords import check_password
from quizapp.auth.services import find_by_phone
from quizapp.clock import utcnow
from quizapp.errors import DomainError, InvalidCredentials
from quizapp.limits import count_failure, failure_budget_wait
from quizapp.phone import normalise_phone
from quizapp.pressure import pressure

SIGNIN_COOKIE = "quizapp_signin"
# Accounts one browser is trusted for (a phone shared in a family or an office).
MAX_ACCOUNTS_PER_BROWSER = 5
_SALT = "quizapp-signin-trust"


class TooManyFailures(DomainError):
    status, code = 429, "rate_limited"
    message = "Đã nhập sai mật khẩu quá nhiều lần. Vui lòng chờ {minutes} phút rồi thử lại."

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(self.message.format(minutes=minutes))
        self.retry_after = retry_after


class AccountDisabled(DomainError):
    """The right password for an account an admin has disabled. Said only after the password
    checks out: without it, a disabled account answers like any wrong password."""

    status, code = 403, "account_disabled"
    message = ("Tài khoản này đã bị khoá, nên chưa đăng nhập được. "
               "Vui lòng liên hệ ban tổ chức cuộc thi để được hỗ trợ.")


@dataclass(frozen=True)
class Trust:
    """One account a browser signed in to: its id, generation, and the browser's own id."""

    user_id: int
    generation: int
    browser: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def browser_trusts() -> list[Trust]:
    """The accounts this browser's sign-in cookie names, if its signature holds."""
    raw = request.cookies.get(SIGNIN_COOKIE)
    if not raw or len(raw) > 1024:
        return []
    try:
        entries = _serializer().loads(raw)
    except BadSignature:
        return []
    trusts = []
    if isinstance(entries, list):
        for entry in entries[:MAX_ACCOUNTS_PER_BROWSER]:
            if (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int)
                    and isinstance(entry[1], int) and isinstance(entry[2], str)):
                trusts.append(Trust(*entry))
    return trusts


def trusted_for(user: User | None) -> Trust | None:
    """This browser's trust for ``user``, if it holds one of the account's current generation."""
    if user is None or not user.is_active:
        return None
    for trust in browser_trusts():
        if trust.user_id == user.id and trust.generation == user.session_version:
            return trust
    return None


def remember_browser(user: User) -> None:
    """After a successful sign-in (or registration, or password change): trust this browser for
    ``user`` from now on, keeping its id for the account if it had one of this generation."""
    kept = [trust for trust in browser_trusts() if trust.user_id != user.id]
    current = trusted_for(user)
    browser = current.browser if current else secrets.token_urlsafe(12)
    entries = [[user.id, user.session_version, browser]]
    entries += [[t.user_id, t.generation, t.browser] for t in kept[: MAX_ACCOUNTS_PER_BROWSER - 1]]
    value = _serializer().dumps(entries)
    config = current_app.config
    days = int(config["SIGNIN_COOKIE_DAYS"])

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            SIGNIN_COOKIE, value, max_age=int(timedelta(days=days).total_seconds()),
            secure=bool(config.get("HTTPS")), httponly=True, samesite="Lax",
        )
        return response


def _budgets(phone: str | None, trust: Trust | None) -> list[tuple[str, str, str]]:
    """(scope, key, limit) of every budget this sign-in is held to."""
    config = current_app.config
    if trust is not None:
        return [("login-failures-browser", f"browser:{trust.user_id}:{trust.browser}",
                 config["RATELIMIT_LOGIN_FAILURES_PER_BROWSER"])]
    budgets = [("login-failures-ip", f"ip:{get_remote_address()}", config["RATELIMIT_LOGIN_FAILURES_PER_IP"])]
    if phone is not None:
        budgets.append(("login-failures-phone", f"phone:{phone}", config["RATELIMIT_LOGIN_FAILURES_PER_PHONE"]))
    return budgets


def authenticate(raw_phone: str, password: str) -> User:
    """The active account with this phone and password, under the failure budgets.

    Raises ``TooManyFailures`` (429) before hashing when a budget is spent, ``HashingBusy``
    (503) when no hashing slot is free, ``AccountDisabled`` (403) for the right password of a
    disabled account, ``InvalidCredentials`` (401) otherwise; the answer never says whether
    the phone is registered. Does not commit.
    """
    phone = normalise_phone(raw_phone)
    user = None
    trust = None
    # Only a browser that holds a sign-in cookie costs a query before the budgets: the flood's
    # cheap refusals stay cheap, and a phone with no account is treated the same either way.
    if phone is not None and request.cookies.get(SIGNIN_COOKIE):
        user = find_by_phone(phone)
        trust = trusted_for(user)
    budgets = _budgets(phone, trust)
    for scope, key, limit in budgets:
        wait = failure_budget_wait(scope, key, limit)
        if wait is not None:
            pressure().refused(scope)
            raise TooManyFailures(wait)
    if phone is not None and user is None:
        user = find_by_phone(phone)
    ok, new_hash = check_password(user.password_hash if user is not None else None, password)
    if not ok or user is None or not user.is_active:
        # A disabled account's sign-ins are refused ones: they spend the budgets all the same.
        for scope, key, limit in budgets:
            count_failure(scope, key, limit)
        raise AccountDisabled() if ok and user is not None else InvalidCredentials()
    for scope, _key, _limit in budgets:
        pressure().passed(scope)
    if new_hash is not None:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    return user
