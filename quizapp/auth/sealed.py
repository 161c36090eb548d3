"""Columns kept encrypted at rest, such as a person's ID number (CCCD).

Accounts sit low in the layers, so the cipher is lent to them: the privacy package
(quizapp/privacy/idnumbers.py), which owns the keys, registers it with ``init_app``. The column
type encrypts every value bound to it and decrypts every value read, whatever path writes or
reads it (ORM attributes, bulk inserts, plain ``select`` of the column); without a cipher it
refuses to work rather than write plain text.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

EXTENSION = "quizapp.sealer"


class Cipher(Protocol):
    def seal(self, value: str) -> str: ...

    def open(self, token: str) -> str: ...


def init_app(app: Flask, cipher: Cipher) -> None:
    app.extensions[EXTENSION] = cipher


def cipher() -> Cipher:
    try:
        return current_app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("No cipher for sealed columns: quizapp.privacy.idnumbers.init_app registers it") from None


class Sealed(TypeDecorator):
    """Text stored as an authenticated ciphertext; reads give the plain text back."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else cipher().seal(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else cipher().open(value)
