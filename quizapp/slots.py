"""Slots for costly work, counted per host across every worker process.

A password hash takes a core for tens of milliseconds. If every worker could hash at once, a
flood of sign-ins would leave no worker and no core for the answers of takers already in an
attempt (DESIGN §3 rule 11). ``HostSlots`` lets at most ``count`` holders run at a time on this
host, whichever process or thread they are in: each slot is a file in one directory and a
holder keeps an exclusive ``flock`` on it. The kernel drops the lock when the holder closes the
file or dies (a worker killed mid-hash frees its slot at once), so nothing is ever leaked.

A holder that finds every slot taken may wait for one only if it gets a place in the waiting
room, which has as many places as there are slots (files too); it then tries again every
millisecond for at most ``wait`` seconds. Without a place, or when the wait runs out, it gives up
at once with ``NoFreeSlot``: the request is answered "busy, try again" instead of queueing
behind a flood. So however many sign-ins arrive, at most twice as many workers as there are slots
are busy hashing or waiting to; the others keep serving takers' answers. Polling a
few files costs microseconds; a blocking lock with a timeout would need signals, which do not mix
with threaded workers.

Where ``fcntl`` does not exist (Windows) the slots are counted in this process only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms we deploy to
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.001


class NoFreeSlot(Exception):
    """Every slot stayed taken for the whole wait."""


def default_directory(name: str) -> str:
    """One directory per user of the host, so every instance run by that user shares it."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return os.path.join(tempfile.gettempdir(), f"quizapp-slots-{uid}", name)


def usable_count(configured: int, cores: int | None = None, workers: int | None = None) -> int:
    """The number of slots: the configured number (0 = as many as leave one core free), never
    as many as the host's cores nor as the web server's workers when that is known, and at
    least one."""
    cores = cores or os.cpu_count() or 1
    most = max(1, cores - 1)
    if workers:
        most = max(1, min(most, int(workers) - 1))
    if configured <= 0:
        return most
    return max(1, min(int(configured), most))


class HostSlots:
    def __init__(self, directory: str, count: int) -> None:
        self.directory = Path(directory)
        self.count = max(1, int(count))
        self._local = threading.local()
        self._memory = threading.BoundedSemaphore(self.count) if fcntl is None else None
        # Every file this object opened, in any thread: closed when it is collected (an app made
        # and dropped, as the tests do a thousand times, must not keep its descriptors open).
        self._opened: list[int] = []
        weakref.finalize(self, _close_all, self._opened)
        if fcntl is not None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def hold(self, wait: float) -> Iterator[None]:
        """Hold one slot for the ``with`` block. ``NoFreeSlot`` at once when every slot and every
        place in the waiting room is taken, or after ``wait`` seconds in the waiting room."""
        if self._memory is not None:  # pragma: no cover - Windows
            if not self._memory.acquire(timeout=wait):
                raise NoFreeSlot()
            try:
                yield
            finally:
                self._memory.release()
            return
        slots, waiting_room = self._files()
        held = _try_any(slots)
        if held is None:
            place = _try_any(waiting_room)
            if place is None:
                raise NoFreeSlot()
            try:
                deadline = time.monotonic() + wait
                while held is None:
                    if time.monotonic() >= deadline:
                        raise NoFreeSlot()
                    time.sleep(POLL_SECONDS)
                    held = _try_any(slots)
            finally:
                fcntl.flock(place, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)

    def _files(self) -> tuple[list[int], list[int]]:
        """This thread's open slot files and waiting-room files. ``flock`` locks belong to an
        open file, so two threads of one process must not share one, and a forked child opens
        its own."""
        held = getattr(self._local, "files", None)
        if held is None or held[0] != os.getpid():
            def opened(name: str) -> list[int]:
                descriptors = [os.open(self.directory / f"{name}-{number}", os.O_RDWR | os.O_CREAT, 0o600)
                               for number in range(self.count)]
                self._opened.extend(descriptors)
                return descriptors

            held = self._local.files = (os.getpid(), opened("slot"), opened("waiting"))
        return held[1], held[2]


def _close_all(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def _try_any(descriptors: list[int]) -> int | None:
    """Lock the first free file of ``descriptors`` without waiting; None if all are taken."""
    for descriptor in descriptors:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue
        return descriptor
    return None
