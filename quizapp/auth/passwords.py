"""Password hashing with Argon2id (argon2-cffi), cost taken from the config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


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


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. With no stored hash, still spends the same time,
    so response times do not tell which phone numbers have accounts."""
    hasher = _hasher()
    if stored_hash is None:
        dummy = current_app.extensions.get("quizapp.dummy_hash")
        if dummy is None:
            dummy = current_app.extensions["quizapp.dummy_hash"] = hasher.hash("no account")
        _check(hasher, dummy, password)
        return False
    return _check(hasher, stored_hash, password)


def _check(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
