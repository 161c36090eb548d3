"""Opaque option ids for takers.

A taker never sees an option's database id: the same question's options would carry the
same ids in every attempt, so one review (or one leaked answer) would mark the right id for
everyone. Instead option k as shown in attempt A, question Q is called
HMAC(secret, A.Q.k), cut to 12 characters. The server recomputes the ids of a question
without reading anything, and ids from another question or attempt match nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from quizapp.banks.formats.common import MAX_OPTIONS


def _key() -> bytes:
    key = current_app.extensions.get("quizapp.option_key")
    if key is None:
        secret = current_app.config["SECRET_KEY"].encode()
        key = current_app.extensions["quizapp.option_key"] = hashlib.sha256(b"option-ids:" + secret).digest()
    return key


def option_token(attempt_id: int, question_id: int, index: int) -> str:
    digest = hmac.new(_key(), f"{attempt_id}.{question_id}.{index}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()[:12]


def option_tokens(attempt_id: int, question_id: int, count: int) -> list[str]:
    return [option_token(attempt_id, question_id, index) for index in range(count)]


def shown_indexes(attempt_id: int, question_id: int, tokens: list[str]) -> list[int] | None:
    """The shown positions the tokens name, sorted; None if any token is not one of them."""
    known = {token: index for index, token in enumerate(option_tokens(attempt_id, question_id, MAX_OPTIONS))}
    indexes = set()
    for token in tokens:
        if not isinstance(token, str) or token not in known:
            return None
        indexes.add(known[token])
    return sorted(indexes)


def canonical(indexes) -> str:
    return ",".join(str(index) for index in sorted(indexes))
