"""ID numbers (CCCD) encrypted at rest.

The keys come from configuration (``ID_NUMBER_KEYS``, ``QUIZAPP_ID_NUMBER_KEYS`` in the
environment): Fernet keys (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package),
the first of which encrypts and every one of which decrypts, so a key is rotated by putting the
new key first, running ``flask privacy rekey`` and then dropping the old one. Production refuses
to start without a key, as it does without a secret key; anywhere else one is generated once and
kept in the instance folder, beside the generated secret key.

The cipher is lent to accounts (quizapp/auth/sealed.py), whose ``users.id_number`` column type
encrypts on every write and decrypts on every read. What only needs to know whether a number was
given reads ``users.has_id_number`` instead, and decrypts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask
from sqlalchemy.engine import Connection

from quizapp.auth import sealed
from quizapp.config import kept_in_instance

KEY_FILE = "id_number_key"
BATCH = 2000
# Raw rows, without the sealed type: what the database really holds.
_users = sa.table("users", sa.column("id", sa.Integer), sa.column("id_number", sa.Text),
                  sa.column("has_id_number", sa.Boolean))


class IdNumberCipher:
    """Seals and opens ID numbers with the configured keys (``sealed.Cipher``)."""

    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError):
            # A key was dropped before `flask privacy rekey` ran, or a plain value slipped in.
            raise RuntimeError(
                "An ID number cannot be decrypted with any key of QUIZAPP_ID_NUMBER_KEYS "
                "(was a key dropped before `flask privacy rekey` ran?)") from None

    def rotate(self, token: str) -> str:
        """The same number sealed again with the first key."""
        return self.seal(self.open(token))


def load_keys(config: dict[str, object], instance_path: str) -> list[str]:
    """The configured keys (a list, or one string with keys separated by commas), or one kept in
    the instance folder outside production; ``RuntimeError`` for none in production or a bad key."""
    configured = config.get("ID_NUMBER_KEYS")
    if isinstance(configured, str):
        configured = configured.split(",")
    keys = [str(key).strip() for key in configured or () if str(key).strip()]
    if not keys:
        if config.get("ENV") == "production":
            raise RuntimeError(
                "QUIZAPP_ID_NUMBER_KEYS must be set in production: ID numbers are stored encrypted "
                '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").')
        return [kept_in_instance(Path(instance_path) / KEY_FILE, lambda: Fernet.generate_key().decode())]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise RuntimeError(
                f"QUIZAPP_ID_NUMBER_KEYS: key {position} is not a Fernet key (32 bytes, URL-safe base64).") from None
    return keys


def init_app(app: Flask) -> None:
    """Lend the cipher of the configured keys to the accounts' sealed column."""
    sealed.init_app(app, IdNumberCipher(load_keys(app.config, app.instance_path)))


def cipher() -> IdNumberCipher:
    return sealed.cipher()


def reseal_rows(connection: Connection, change: Callable[[str], str | None], *, indicator: bool = True) -> int:
    """Write ``change(stored value)`` over every stored ID number, in batches of accounts (also
    keeping ``has_id_number`` unless ``indicator`` is false: a downgrade has dropped it); the
    number of accounts changed. The caller commits."""
    values = {"id_number": sa.bindparam("value")}
    if indicator:
        values["has_id_number"] = sa.bindparam("given")
    last, changed = 0, 0
    while True:
        rows = connection.execute(
            sa.select(_users.c.id, _users.c.id_number)
            .where(_users.c.id > last, _users.c.id_number.is_not(None))
            .order_by(_users.c.id).limit(BATCH)).all()
        if not rows:
            return changed
        last = rows[-1].id
        connection.execute(
            _users.update().where(_users.c.id == sa.bindparam("user_id"))
            .values(**values),
            [{"user_id": row.id, "value": value, "given": value is not None}
             for row in rows for value in [change(row.id_number) if row.id_number else None]])
        changed += len(rows)


def rekey(connection: Connection) -> int:
    """Seal every stored ID number again with the first configured key (after a new key was put
    first), so that the old keys can be dropped; the number of accounts rewritten."""
    return reseal_rows(connection, cipher().rotate)
