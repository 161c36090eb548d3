"""Text messages (SMS) to takers' phones: one small interface, the backend chosen by config.

``send(to, text)`` delivers one message through the app's backend (``SMS_BACKEND``):

- ``log`` (the development default): the message is written to the app's log;
- ``file:PATH``: one JSON object per line, ``{"to": phone, "text": message}``, appended to PATH
  (for trials and tests; several processes may append at once);
- ``http``: a generic HTTP gateway (``SMS_HTTP_*``: URL, method, body template, auth header,
  timeout), enough for the Vietnamese brand-name SMS providers' HTTP APIs.

A message that cannot be delivered is logged once, in one line, and ``send`` returns False: the
caller (a background job, never a web request: see auth/codes.py) carries on. Nothing here knows
accounts or codes; the backends live in ``backends.py``.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from quizapp.phone import mask_phone
from quizapp.sms.backends import Backend, SmsFailed, backend_from_config

log = logging.getLogger("quizapp.sms")

__all__ = ["Backend", "SmsFailed", "init_app", "send"]


def init_app(app: Flask) -> None:
    """Build the configured backend once (a wrong ``SMS_BACKEND`` stops the app at start)."""
    app.extensions["quizapp.sms"] = backend_from_config(app.config)


def send(to: str, text: str) -> bool:
    """Deliver ``text`` to the phone ``to`` (0xxxxxxxxx); False, logged once, if it failed."""
    backend: Backend = current_app.extensions["quizapp.sms"]
    try:
        backend.send(to, text)
    except SmsFailed as error:
        log.warning("SMS to %s not sent (%s backend): %s", mask_phone(to), backend.name, error)
        return False
    return True
