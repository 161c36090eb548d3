"""Text messages in tests: the file backend's lines, the codes in them, and a fake SMS gateway
(a real HTTP server on a thread of the test process, not a mock)."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flask import Flask

from tests.job_support import run_jobs


def sms_app(make_app, tmp_path: Path, **overrides: object) -> tuple[Flask, Path]:
    """An app whose text messages go to a file in ``tmp_path``; the app and the file.

    The app has a job queue of its own: a code a test asked for and never delivered must not be
    delivered by a later test's worker (the suite shares one Redis)."""
    outbox = tmp_path / "sms.jsonl"
    overrides.setdefault("JOBS_QUEUE", f"sms-{uuid.uuid4().hex[:12]}")
    return make_app(SMS_BACKEND=f"file:{outbox}", **overrides), outbox


def sent(outbox: Path) -> list[dict]:
    """Every message the file backend wrote, in order."""
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]


def last_code(app: Flask, outbox: Path, phone: str) -> str | None:
    """Run the queued jobs, then the code in the last message to ``phone`` (None if none)."""
    run_jobs(app)
    texts = [message["text"] for message in sent(outbox) if message["to"] == phone]
    if not texts:
        return None
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeGateway:
    """An SMS gateway on 127.0.0.1 that records what it receives and answers ``status`` with
    ``answer``."""

    status: int = 200
    answer: bytes = b'{"CodeResult": "100"}'
    received: list[Received] = field(default_factory=list)

    def __enter__(self) -> FakeGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                gateway.received.append(Received(self.command, self.path, dict(self.headers),
                                                 self.rfile.read(length)))
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(gateway.answer)))
                self.end_headers()
                self.wfile.write(gateway.answer)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
