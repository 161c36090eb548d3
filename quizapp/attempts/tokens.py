"""Opaque option ids for takers.

A taker never sees an option's database id: the same question's options would carry the
same ids in every attempt, so one review (or one leaked answer) would mark the right id for
everyone. Instead option k as shown in attempt A, question Q is called
part k of a keyed hash of (A, Q), cut to 10 characters. The server recomputes the ids of a question
without reading anything, and ids from another question or attempt match nothing.
"""

from __future__ import annotations

import base64
import hashlib

from flask import current_app


def _key() -> bytes:
    key = current_app.extensions.get("quizapp.option_key")
    if key is None:
        secret = current_app.config["SECRET_KEY"].encode()
        key = current_app.extensions["quizapp.option_key"] = hashlib.blake2b(b"option-ids:" + secret).digest()[:32]
    return key


def option_tokens(attempt_id: int, question_id: int, count: int) -> list[str]:
    """The ids of a question's first ``count`` shown options in an attempt.

    One keyed BLAKE2b (a MAC in its own right) gives 64 bytes, 86 characters of URL-safe
    base64 (its encoder is C, base32's is Python): ten, 60 bits, for each of up to eight
    options. Every answer saved computes them: one hash per question.
    """
    digest = hashlib.blake2b(f"{attempt_id}.{question_id}".encode(), key=_key(), digest_size=64).digest()
    text = base64.urlsafe_b64encode(digest).decode()
    return [text[10 * index : 10 * index + 10] for index in range(count)]


def option_token(attempt_id: int, question_id: int, index: int) -> str:
    return option_tokens(attempt_id, question_id, index + 1)[index]


def shown_indexes(known: list[str], tokens: list[str]) -> list[int] | None:
    """The shown positions the tokens name among ``known`` (a question's option ids), sorted;
    None if any token is not one of them."""
    position = {token: index for index, token in enumerate(known)}
    indexes = set()
    for token in tokens:
        if not isinstance(token, str) or token not in position:
            return None
        indexes.add(position[token])
    return sorted(indexes)


def canonical(indexes) -> str:
    """Shown indexes as stored in attempt_items ("0,2"), sorted, so equal choices compare equal."""
    return ",".join(str(index) for index in sorted(indexes))


def parse_indexes(stored: str | None) -> list[int]:
    """The shown indexes a ``canonical`` string holds; none for NULL (no answer)."""
    return [int(index) for index in stored.split(",")] if stored else []
