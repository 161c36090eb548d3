"""Password hashing with Argon2id (argon2-cffi), through the host's hashing slots.

The cost comes from the config: ``PASSWORD_TIME_COST`` and ``PASSWORD_MEMORY_COST_KIB`` default
to the cheapest here of OWASP's equivalent Argon2id profiles (bench/README.md, "signin.py", has
the measurements). Every Argon2 computation of the platform — sign-in, registration, password
change, contest passwords, ``flask users create`` — runs in one of ``PASSWORD_HASH_SLOTS`` slots
counted across every worker of the host (``quizapp.slots``), so however many sign-ins arrive at
once, the other cores and workers stay free for takers' answers (DESIGN §3 rule 11). A request
that finds no slot free within ``PASSWORD_HASH_WAIT_MS`` gets ``HashingBusy`` (503 with
``Retry-After``) and tries again; work outside a request (the command line) waits its turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context

from quizapp.errors import DomainError
from quizapp.pressure import pressure
from quizapp.slots import HostSlots, NoFreeSlot, default_directory, usable_count

# Outside a request nobody is waiting on a phone: the command line waits up to this long.
OFFLINE_WAIT_SECONDS = 120.0


class HashingBusy(DomainError):
    status, code = 503, "busy"
    message = "Hệ thống đang có rất nhiều người đăng nhập cùng lúc. Vui lòng thử lại sau giây lát."

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__()
        self.retry_after = retry_after


def _hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("quizapp.password_hasher")
    if hasher is None:
        config = current_app.config
        hasher = PasswordHasher(
            time_cost=int(config["PASSWORD_TIME_COST"]),
            memory_cost=int(config["PASSWORD_MEMORY_COST_KIB"]),
            parallelism=int(config["PASSWORD_PARALLELISM"]),
        )
        current_app.extensions["quizapp.password_hasher"] = hasher
    return hasher


def hash_slots() -> HostSlots:
    slots = current_app.extensions.get("quizapp.hash_slots")
    if slots is None:
        config = current_app.config
        slots = HostSlots(
            config.get("PASSWORD_HASH_SLOTS_DIR") or default_directory("password-hashing"),
            usable_count(int(config["PASSWORD_HASH_SLOTS"]), workers=config.get("WEB_WORKERS")),
        )
        current_app.extensions["quizapp.hash_slots"] = slots
    return slots


@contextlib.contextmanager
def _slot() -> Iterator[None]:
    wait = current_app.config["PASSWORD_HASH_WAIT_MS"] / 1000 if has_request_context() else OFFLINE_WAIT_SECONDS
    try:
        with hash_slots().hold(wait):
            yield
    except NoFreeSlot:
        pressure().refused("hash-slots")
        raise HashingBusy(int(current_app.config["PASSWORD_HASH_RETRY_AFTER"])) from None
    pressure().passed("hash-slots")


def hash_password(password: str) -> str:
    with _slot():
        return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. With no stored hash, still spends the same time,
    so response times do not tell which phone numbers have accounts."""
    return check_password(stored_hash, password)[0]


def check_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a new hash at today's cost when the stored one was made
    with older parameters (both in one slot). Raises ``HashingBusy`` when no slot is free."""
    hasher = _hasher()
    dummy = None
    if stored_hash is None:
        dummy = current_app.extensions.get("quizapp.dummy_hash")
    with _slot():
        if stored_hash is None:
            if dummy is None:
                dummy = current_app.extensions["quizapp.dummy_hash"] = hasher.hash("no account")
            _check(hasher, dummy, password)
            return False, None
        ok = _check(hasher, stored_hash, password)
        if ok and hasher.check_needs_rehash(stored_hash):
            return True, hasher.hash(password)
        return ok, None


def _check(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
