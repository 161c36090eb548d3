"""Honest outages (DESIGN §3 rule 10): which database errors mean "try again shortly".

When PostgreSQL restarts, or an SQLite file stays locked past its busy timeout under heavy load,
every request that touches the database fails. That is no bug in the request: the phone's retry
queue sends the save again, and a person reloads the page, if the answer says so. So such an
error is answered 503 with ``Retry-After`` (``errors.py`` for Flask's requests, the answer-save
lane for the saves it serves) and makes an *outage episode* (``pressure.py``): one log line when
the first request is refused, one when the database has answered again for a few seconds, and
no traceback per request. Any other database error (a missing table, a bad statement) is a bug
and stays a 500 with its traceback.

Errors are judged by the driver's own exception, so that the raw DB-API errors of the answer
save's dedicated connections (``dedicated.py``) and SQLAlchemy's wrapped ones read alike.
"""

from __future__ import annotations

import sqlite3

import psycopg
from flask import Flask
from sqlalchemy import exc as sa_exc

DATABASE_DOWN = "database-unreachable"
DATABASE_BUSY = "database-busy"
KINDS = (DATABASE_DOWN, DATABASE_BUSY)

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_SQLITE_DOWN = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOMEM}
# PostgreSQL SQLSTATE classes and codes of a server that is up but cannot take the work now:
# transaction rollback (serialisation, deadlock), insufficient resources (too many
# connections, disk full), a lock not available, a statement timeout.
_POSTGRES_BUSY = ("40", "53", "55P03", "57014")


def database_outage(error: BaseException) -> str | None:
    """``DATABASE_DOWN`` or ``DATABASE_BUSY`` if ``error`` says the database cannot serve
    the request now; None for any other error."""
    driver_error = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return DATABASE_DOWN
    if isinstance(driver_error, sqlite3.OperationalError):
        code = (getattr(driver_error, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in _SQLITE_BUSY:
            return DATABASE_BUSY
        return DATABASE_DOWN if code in _SQLITE_DOWN else None
    if isinstance(driver_error, psycopg.OperationalError):
        state = driver_error.sqlstate or ""
        return DATABASE_BUSY if state.startswith(_POSTGRES_BUSY) else DATABASE_DOWN
    if isinstance(driver_error, psycopg.InterfaceError):  # a connection already closed
        return DATABASE_DOWN
    if isinstance(error, sa_exc.TimeoutError):  # the pool's: every connection taken for too long
        return DATABASE_BUSY
    if isinstance(error, sa_exc.DisconnectionError):
        return DATABASE_DOWN
    return None


def refused(app: Flask, kind: str) -> None:
    """A request was answered 503 because of an outage of ``kind``: counted in its episode,
    logged only if it is the first."""
    app.extensions["quizapp.pressure"].refused(kind)


def served(app: Flask) -> None:
    """A request was served: an outage episode may be over (looked at every few seconds)."""
    app.extensions["quizapp.pressure"].passed(*KINDS)


def retry_after(app: Flask) -> int:
    """Seconds a client should wait before trying again."""
    return max(1, int(app.config["OUTAGE_RETRY_AFTER"]))
