"""Flask's signed-cookie sessions, remembering the cookies already verified.

A taker's phone sends the same session cookie with every answer it saves; checking its
signature and decoding it again each time was a sixth of the server's work on that path.
The cache holds what a valid cookie decodes to and when it was signed, keyed by the exact
cookie and secret, so a changed, forged or expired cookie is never served from it; each
request gets its own copy to change.

``session_identity`` reads who a session belongs to straight from its contents: the rate limits
and the answer-save lane key on it without a database read. Whether the session is still
valid (not signed out, password unchanged) is the database's to say: ``auth.session.load_user``
for Flask's requests, the answer save's own UPDATE for the save.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import NamedTuple

from flask import Flask, Request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

CACHE_SIZE = 4096


class CachedCookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._verified: dict[tuple[str, str], tuple[dict, float]] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        data = self.verified(app, cookie) if cookie else None
        return self.session_class(copy.deepcopy(data) if data else None)

    def verified(self, app: Flask, cookie: str) -> dict | None:
        """What a valid, unexpired session cookie holds; None for a forged or expired one.

        The dict is shared with later requests that send the same cookie: read it, never
        change it.
        """
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (app.secret_key, cookie)
        known = self._verified.get(key)
        if known is None or time.time() - known[1] > max_age:
            serializer = self.get_signing_serializer(app)
            try:
                data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return None
            if len(self._verified) >= CACHE_SIZE:
                self._verified.clear()
            known = self._verified[key] = (data, signed_at.timestamp())
        return known[0]


class Identity(NamedTuple):
    """Who a signed cookie says it is: the account, its session version, its session record."""

    user_id: int
    version: int
    session_id: str


def session_identity(data: Mapping[str, object] | None = None) -> Identity | None:
    """The account, session version and session record id of the signed session cookie (or
    of ``data``, a session's contents), without a database read; None when signed out.

    Flask-Login stores the account as ``"<id>.<session version>.<session id>"``
    (``User.get_id``); a cookie from before session records (two parts) reads as signed out.
    """
    if data is None:
        data = session
    parts = str(data.get("_user_id", "")).split(".")
    if len(parts) != 3:
        return None
    user_id, version, session_id = parts
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()
            and 0 < len(session_id) <= 32):
        return None
    return Identity(int(user_id), int(version), session_id)
