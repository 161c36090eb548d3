"""The answer save, served in front of Flask's request handling.

Saving an answer is most of a contest's traffic: every taker's phone saves every choice at
once, and tens of thousands of takers do so in the same minutes. Through Flask, building
the request and response objects and running every extension's hooks cost the app server
more than the save itself. This WSGI layer serves the one request it knows,
``PUT /api/v1/attempts/<id>/answers/<question id>``, when everything about it is ordinary:
a session cookie and CSRF token this process has verified before, a small JSON body the
view accepts, and an UPDATE that stored the answer. Anything else, and every error, goes
on to the Flask view (``api/attempts.save_answer``), which answers as it always does; so
the lane answers 200, with the body and headers the view would have sent. The one exception is
a database outage (``outages.database_outage``: unreachable, or SQLite locked past its busy
timeout): the view would meet it again, after as long a wait, so the lane answers the 503 with
``Retry-After`` the view would give (``errors.unavailable_json``) and counts it in the outage's
episode, with no traceback.

The lane is made of the view's own parts: the session cache (``sessions.py``), the CSRF
check (``api/routes.py``), the body check and the response (``api/attempts.py``), and the
service (``attempts/services.try_save_answer``). It counts the save in the account's
answer-save rate limit (``limits.LaneSaveCount``: same bucket and storage as the view's,
reported in batches); a save over the limit, or one whose count failed (Redis away), goes to
the view, whose Flask-Limiter hook answers 429 or falls back to per-process memory. While the app is
configured with an application-wide default limit the lane stands aside, so that limit
applies. ``tests/api/test_answer_lane.py`` compares its
responses with the view's.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable

from flask import Flask

from quizapp.api.attempts import REFUSED_BY_LANE, save_request, save_response
from quizapp.api.routes import csrf_header_valid
from quizapp.attempts.services import try_save_answer
from quizapp.errors import ValidationFailed, unavailable_json
from quizapp.inputs import MAX_ID, bounded_int
from quizapp.limits import SAVE_COUNTED, LaneSaveCount
from quizapp.outages import database_outage, refused, retry_after, served
from quizapp.security import security_headers
from quizapp.sessions import session_identity

# Ids the database's integer columns can hold (inputs.MAX_ID); a larger one goes on to the
# view, whose URL converter answers 404 without a query.
_PATH = re.compile(r"/api/v1/attempts/([1-9][0-9]{0,9})/answers/([1-9][0-9]{0,9})")
# A save body is a few option ids; anything larger is the view's to judge.
MAX_BODY = 4096

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class AnswerSaveLane:
    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Vary", "Cookie"),
            *security_headers(bool(app.config.get("HTTPS"))),
        ]
        self.save_count = LaneSaveCount(app.config["RATELIMIT_SAVE_BATCH"])
        self.enabled = not (app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "PUT" and self.enabled and not self.app.debug:
            match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            ids = (int(match[1]), int(match[2])) if match is not None else None
            if ids is not None and max(ids) <= MAX_ID:
                answer = self._saved(environ, *ids)
                if answer is not None:
                    status, headers, body = answer
                    start_response(status, [*self.headers, *headers, ("Content-Length", str(len(body)))])
                    return [body]
        return self.wsgi_app(environ, start_response)

    def _saved(self, environ: dict, attempt_id: int, question_id: int) -> tuple[str, list, bytes] | None:
        """The response if the answer is stored (or the database is out); None hands the
        request to the view."""
        app = self.app
        cookie = session_cookie(environ.get("HTTP_COOKIE", ""), self.cookie_name)
        session = app.session_interface.verified(app, cookie) if cookie and app.secret_key else None
        if not session or not csrf_header_valid(app.secret_key, environ.get("HTTP_X_CSRFTOKEN"),
                                                session.get("csrf_token")):
            return None
        identity = session_identity(session)
        body = self._json_body(environ)
        if identity is None or not isinstance(body, dict):
            return None
        try:
            tokens, seq = save_request(body)
        except ValidationFailed:
            return None
        try:
            # Over the limit: the view counts it again, still over, and answers 429.
            if not self.save_count.hit(app, identity.user_id):
                return None
            environ[SAVE_COUNTED] = True
            with app.app_context():
                saved = try_save_answer(attempt_id, identity, question_id, tokens, seq)
                if saved is None:
                    environ[REFUSED_BY_LANE] = True
                    return None
                body = (app.json.dumps(save_response(saved), separators=(",", ":")) + "\n").encode()
            served(app)
            return "200 OK", [], body
        except Exception as error:
            kind = database_outage(error)
            if kind is not None:
                refused(app, kind)
                return ("503 SERVICE UNAVAILABLE", [("Retry-After", str(retry_after(app)))],
                        unavailable_json(app))
            # The view runs the same save again and answers with the error, if it recurs.
            app.logger.warning("The answer-save lane failed; the view takes over", exc_info=True)
            return None

    @staticmethod
    def _json_body(environ: dict) -> object:
        """The JSON body, read once and put back for the view; None if it is not plain JSON."""
        if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
            return None
        length = bounded_int(environ.get("CONTENT_LENGTH", ""), high=MAX_BODY)
        if length is None:
            return None
        data = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(data)
        try:
            return json.loads(data)
        except (ValueError, RecursionError):  # 4 KB of "[" is deeper than the parser goes
            return None


def session_cookie(header: str, name: str) -> str | None:
    """The first ``name`` cookie of a Cookie header, as Flask would read it; None (the view
    then reads it itself) for a quoted value, which a signed session cookie never has."""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return None if '"' in value or "\\" in value else value
    return None
