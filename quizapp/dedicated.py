"""A connection of its own per thread for one hot statement, run in autocommit.

Saving an answer is one UPDATE and the platform's busiest request. Through SQLAlchemy's
pool and execution machinery (check out, reset, check in, build an execution context,
process parameters) it cost more CPU in the app server than the statement costs
PostgreSQL to run. Here each thread keeps one DBAPI connection and one cursor for it:

- the connection comes from the engine's own pool and is then detached from it, so it was
  made by the same connect hooks (SQLite's WAL and busy timeout) and holds no pool slot;
- it runs in autocommit, so a statement that returns has been committed;
- it is replaced when it was opened by another process (a fork), when it is older than
  ``recycle`` seconds, or when the database dropped it, and a statement that failed on a
  dropped connection is run once more on a new one (callers give only idempotent ones);
- every one of them is closed when the engine is disposed.

Parameters are passed as the driver takes them: callers convert values themselves.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def driver_sql(sql: str, dialect: Dialect) -> str:
    """``:name`` placeholders in the driver's own style: sqlite3 reads them as they are,
    psycopg wants ``%(name)s``."""
    if dialect.name == "sqlite":
        return sql
    if dialect.paramstyle == "pyformat":
        return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    raise ValueError(f"no named parameters for {dialect.name} with paramstyle {dialect.paramstyle!r}")


@dataclass
class _Held:
    driver: Any
    cursor: Any
    pid: int = field(default_factory=os.getpid)
    opened: float = field(default_factory=time.monotonic)


class DedicatedConnections:
    def __init__(self, engine: Engine, *, recycle: float = 1800.0) -> None:
        self.engine = engine
        self.recycle = recycle
        self._local = threading.local()
        self._all: dict[int, _Held] = {}
        self._lock = threading.Lock()
        event.listen(engine, "engine_disposed", self._on_dispose)

    def execute(self, sql: str, parameters: Mapping[str, object]) -> int:
        """Run one statement in autocommit; return its row count."""
        held = self._held()
        try:
            held.cursor.execute(sql, parameters)
            return held.cursor.rowcount
        except self.engine.dialect.loaded_dbapi.Error as error:
            if not self.engine.dialect.is_disconnect(error, held.driver, held.cursor):
                raise
            self._discard(held)
        held = self._held()
        held.cursor.execute(sql, parameters)
        return held.cursor.rowcount

    def close(self) -> None:
        with self._lock:
            everything = list(self._all.values())
            self._all.clear()
        for held in everything:
            self._close(held)

    # --- the held connections ---------------------------------------------------------

    def _held(self) -> _Held:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            if held.pid != os.getpid():
                # Opened before a fork: the parent may still use its socket, so leave it alone.
                self._local.held = held = None
            elif time.monotonic() - held.opened > self.recycle:
                self._discard(held)
                held = None
        if held is None:
            held = self._local.held = self._connect()
        return held

    def _connect(self) -> _Held:
        pooled = self.engine.raw_connection()
        pooled.detach()
        driver = pooled.dbapi_connection
        self.engine.dialect.set_isolation_level(driver, "AUTOCOMMIT")
        held = _Held(driver, driver.cursor())
        with self._lock:
            self._all[id(held)] = held
        return held

    def _discard(self, held: _Held) -> None:
        with self._lock:
            self._all.pop(id(held), None)
        if getattr(self._local, "held", None) is held:
            self._local.held = None
        self._close(held)

    def _close(self, held: _Held) -> None:
        if held.pid != os.getpid():
            return
        # A connection the database already dropped may fail to close; it is gone either way.
        with contextlib.suppress(self.engine.dialect.loaded_dbapi.Error):
            held.cursor.close()
        with contextlib.suppress(self.engine.dialect.loaded_dbapi.Error):
            held.driver.close()

    def _on_dispose(self, _engine: Engine) -> None:
        self.close()
