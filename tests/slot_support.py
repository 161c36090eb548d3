"""Another process taking every password-hashing slot of the suite (quizapp/slots.py), as the
other workers of a host do under a flood of sign-ins."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

from tests.conftest import HASH_SLOTS_DIR


class SlotHolder:
    def __init__(self, count: int = 1, directory: str = HASH_SLOTS_DIR) -> None:
        script = (
            "import fcntl, os, sys\n"
            f"fds = [os.open(os.path.join({directory!r}, f'slot-{{n}}'), os.O_RDWR | os.O_CREAT, 0o600)"
            f" for n in range({count})]\n"
            "[fcntl.flock(fd, fcntl.LOCK_EX) for fd in fds]\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,  # noqa: S603
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
            self.process.stdout.close()


@contextmanager
def every_slot_taken(count: int = 1):
    holder = SlotHolder(count)
    try:
        yield holder
    finally:
        holder.release()
