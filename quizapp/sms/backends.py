"""The SMS backends: where ``quizapp.sms.send`` puts a message.

Each backend has a ``name`` and ``send(to, text)``, which raises ``SmsFailed`` with a short
reason when the message was not accepted. ``backend_from_config`` reads ``SMS_BACKEND`` and the
``SMS_HTTP_*`` settings and refuses wrong ones at start (``RuntimeError``), so an installation
does not find out on contest day that its gateway was never set.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, quote_plus, urlsplit

log = logging.getLogger("quizapp.sms")
# A gateway's answer is read only this far (enough for any status JSON, never a whole page).
MAX_ANSWER_BYTES = 64 * 1024


class SmsFailed(Exception):
    """The backend did not accept the message; the text says why, for the log."""


class Backend(Protocol):
    name: str

    def send(self, to: str, text: str) -> None: ...


class LogBackend:
    """Development: the message goes to the app's log, where whoever runs the app reads the code.
    Production refuses it (``backend_from_config``)."""

    name = "log"

    def send(self, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)


@dataclass
class FileBackend:
    """One JSON object per line, ``{"to": …, "text": …}``, appended to ``path``.

    The line is written with one ``write`` on a file opened ``O_APPEND``, under an exclusive
    ``flock``, so lines from several workers never interleave.
    """

    path: str
    name = "file"

    def send(self, to: str, text: str) -> None:
        line = (json.dumps({"to": to, "text": text}, ensure_ascii=False) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            raise SmsFailed(f"cannot open {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        except OSError as error:
            raise SmsFailed(f"cannot write {self.path}: {error.strerror}") from None
        finally:
            os.close(fd)


@dataclass
class HttpBackend:
    """A generic HTTP gateway.

    ``url`` and ``body`` are templates: ``{to}`` (0xxxxxxxxx), ``{to84}`` (84xxxxxxxxx, as most
    gateways want it), ``{text}`` and ``{sender}`` (``SMS_SENDER``, the brand name) are replaced
    by their values, escaped for where they stand: percent-encoded in the URL, and in the body by
    ``content_type`` (JSON string escapes for ``application/json``, form encoding for
    ``application/x-www-form-urlencoded``, as they are otherwise). The text goes as UTF-8, so
    Vietnamese keeps its accents. ``auth_header`` is a whole header line, ``Name: value``.
    A message is accepted when the gateway answers 2xx and, if ``success_text`` is set, its
    answer contains that text (many gateways answer 200 with an error code in the body).
    """

    url: str
    method: str = "POST"
    body: str = ""
    content_type: str = "application/json"
    auth_header: str = ""
    timeout: float = 10.0
    sender: str = ""
    success_text: str = ""
    name = "http"

    def send(self, to: str, text: str) -> None:
        values = {"to": to, "to84": "84" + to[1:] if to.startswith("0") else to, "text": text, "sender": self.sender}
        url = _fill(self.url, values, lambda value: quote(value, safe=""))
        data = None
        headers = {"User-Agent": "quizapp-sms"}
        if self.method not in ("GET", "HEAD"):
            data = _fill(self.body, values, _body_escape(self.content_type)).encode()
            headers["Content-Type"] = f"{self.content_type}; charset=utf-8"
        if self.auth_header:
            name, _, value = self.auth_header.partition(":")
            headers[name.strip()] = value.strip()
        request = urllib.request.Request(url, data=data, headers=headers, method=self.method)  # noqa: S310 - http(s) checked at start
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status, content = answer.status, answer.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:
            raise SmsFailed(f"gateway answered {error.code} {_snippet(error.read(MAX_ANSWER_BYTES))}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsFailed(f"gateway unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise SmsFailed(f"gateway answered {status} {_snippet(content)}")
        if self.success_text and self.success_text.encode() not in content:
            raise SmsFailed(f"gateway refused the message: {_snippet(content)}")


def _fill(template: str, values: Mapping[str, str], escape) -> str:
    # Plain replacement, not str.format: a JSON body template is full of braces.
    for key, value in values.items():
        template = template.replace("{" + key + "}", escape(value))
    return template


def _body_escape(content_type: str):
    if content_type == "application/json":
        return lambda value: json.dumps(value, ensure_ascii=False)[1:-1]
    if content_type == "application/x-www-form-urlencoded":
        return quote_plus
    return lambda value: value


def _snippet(content: bytes) -> str:
    return content[:200].decode("utf-8", "replace").replace("\n", " ")


def backend_from_config(config: Mapping[str, object]) -> Backend:
    """The backend ``SMS_BACKEND`` names, with its settings; ``RuntimeError`` on a wrong one, and
    on ``log`` in production, where it would write phone numbers and codes into the app's log
    (DESIGN §3 rule 7), as production refuses a weak secret key."""
    choice = str(config.get("SMS_BACKEND") or "log")
    if choice == "log":
        if config.get("ENV") == "production":
            raise RuntimeError(
                "QUIZAPP_SMS_BACKEND=log writes phone numbers and codes into the log: production needs "
                "http (the SMS gateway, QUIZAPP_SMS_HTTP_*) or, for a trial, file:PATH.")
        return LogBackend()
    if choice.startswith("file:"):
        path = choice[len("file:"):]
        if not path:
            raise RuntimeError("QUIZAPP_SMS_BACKEND=file:PATH needs a path, e.g. file:/var/lib/quizapp/sms.jsonl")
        return FileBackend(path)
    if choice == "http":
        return _http_backend(config)
    raise RuntimeError(f"QUIZAPP_SMS_BACKEND must be log, file:PATH or http, not {choice!r}")


def _http_backend(config: Mapping[str, object]) -> HttpBackend:
    url = str(config.get("SMS_HTTP_URL") or "")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise RuntimeError("QUIZAPP_SMS_BACKEND=http needs QUIZAPP_SMS_HTTP_URL, the gateway's http(s) address")
    method = str(config.get("SMS_HTTP_METHOD") or "POST").upper()
    if method not in ("GET", "POST", "PUT"):
        raise RuntimeError("QUIZAPP_SMS_HTTP_METHOD must be GET, POST or PUT")
    body = config.get("SMS_HTTP_BODY") or ""
    if isinstance(body, dict | list):
        # The environment's JSON values arrive parsed (quizapp/config.py): write the template back.
        body = json.dumps(body, ensure_ascii=False)
    auth_header = str(config.get("SMS_HTTP_AUTH_HEADER") or "")
    if auth_header and ":" not in auth_header:
        raise RuntimeError("QUIZAPP_SMS_HTTP_AUTH_HEADER must be a header line, 'Name: value'")
    try:
        timeout = float(config.get("SMS_HTTP_TIMEOUT_SECONDS") or 10)
    except (TypeError, ValueError):
        raise RuntimeError("QUIZAPP_SMS_HTTP_TIMEOUT_SECONDS must be a number of seconds") from None
    return HttpBackend(
        url=url, method=method, body=str(body),
        content_type=str(config.get("SMS_HTTP_CONTENT_TYPE") or "application/json"),
        auth_header=auth_header, timeout=timeout, sender=str(config.get("SMS_SENDER") or ""),
        success_text=str(config.get("SMS_HTTP_SUCCESS_TEXT") or ""),
    )
