"""Bounds on what a client sends, so that no request, however malformed, costs a 500 or a
worker's minutes (DESIGN §3 rule 8).

- ``IdConverter`` replaces werkzeug's ``int`` URL converter: only ids the database's integer
  columns can hold (1 to 2^31 - 1, PostgreSQL's ``integer``) match, so a larger one is a plain
  404 before any query, on every route that takes ``<int:…>``.
- ``BoundedJSONProvider`` turns JSON nested too deep for the parser into a parse error, so
  ``request.get_json`` fails as it does for any other malformed body (400 ``invalid_json``).
- ``Request`` bounds JSON and URL-encoded bodies well below ``MAX_CONTENT_LENGTH`` (16 MiB, for
  files sent with a page): parsing 16 MiB of ``[{},{},…]`` costs 400 MB and seconds. Views marked
  ``large_uploads`` (the bank upload page) take files up to ``UPLOAD_MAX_BYTES`` instead; every
  other view keeps the small limit, so a flood of large bodies costs nothing elsewhere.
  A chunked body over its limit is a 413, as one with a ``Content-Length`` is; werkzeug alone
  quietly cuts it at the limit (a form then fails its CSRF check with a 400, JSON its parse).
- ``bounded_int`` and ``page_number`` read numbers from forms and query strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TypeVar

import flask
from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_content_length

# PostgreSQL's integer; SQLite and Python would take more, the production database would not.
MAX_ID = 2**31 - 1
# 5 million rows at 50 a page: past any real ranking, and the offset still fits every database.
MAX_PAGE = 100_000

F = TypeVar("F", bound=Callable[..., object])


class IdConverter(BaseConverter):
    """``<int:name>``: a database id, 1 to MAX_ID, in plain ASCII digits."""

    regex = r"[0-9]{1,10}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def bounded_int(raw: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """``raw`` as an int if it is plain ASCII digits within [low, high], else None.

    ``str.isdigit`` accepts "²" and "١٢", which ``int`` then refuses or reads; and ``int``
    refuses more than 4,300 digits. Both ended requests in a 500.
    """
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def page_number(name: str = "page") -> int:
    """The 1-based page a list is asked for: anything unreadable is the first page, anything
    past MAX_PAGE the last one allowed (an empty page rather than an error)."""
    raw = flask.request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(raw), 1), MAX_PAGE)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with nesting too deep for the parser reported as malformed JSON."""

    def loads(self, s: str | bytes, **kwargs: object) -> object:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # The C parser stops at the interpreter's recursion limit; a body that deep is
            # an attack, not data, and gets the answer any unreadable body gets.
            raise ValueError("JSON nested too deeply") from None


def large_uploads(view: F) -> F:
    """Mark a view that takes files up to ``UPLOAD_MAX_BYTES`` rather than ``MAX_CONTENT_LENGTH``
    (put it outside ``role_required``, next to the route). The mark is read as the body is
    read, before CSRFProtect parses the form, so it holds for every hook too."""
    view.large_uploads = True  # type: ignore[attr-defined]
    return view


def upload_limit(app: Flask, endpoint: str | None) -> int | None:
    """The body limit of ``endpoint``: ``UPLOAD_MAX_BYTES`` for views marked ``large_uploads``,
    else ``MAX_CONTENT_LENGTH``."""
    view = app.view_functions.get(endpoint) if endpoint else None
    if getattr(view, "large_uploads", False):
        return int(app.config["UPLOAD_MAX_BYTES"])
    limit = app.config.get("MAX_CONTENT_LENGTH")
    return None if limit is None else int(limit)


class Request(flask.Request):
    """Flask's request with tighter body limits for the kinds that are parsed whole, and a
    larger one for the views that take large files."""

    @property
    def max_content_length(self) -> int | None:
        if not current_app:
            return flask.Request.max_content_length.fget(self)
        # A limit set on this request (Flask 3.1) wins; else the view's own.
        limit = self._max_content_length
        if limit is None:
            limit = upload_limit(current_app, self.endpoint)
        if self.mimetype == "application/json" or self.mimetype.endswith("+json"):
            bound = current_app.config.get("JSON_MAX_BYTES")
        elif self.mimetype == "application/x-www-form-urlencoded":
            bound = current_app.config.get("FORM_MAX_BYTES")
        else:
            bound = None
        if bound is None:
            return limit
        return int(bound) if limit is None else min(limit, int(bound))

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        flask.Request.max_content_length.fset(self, value)

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if limit is not None and "wsgi.input_terminated" in self.environ and get_content_length(self.environ) is None:
            return _CappedStream(self.environ["wsgi.input"], limit)
        return super().stream


class _CappedStream(LimitedStream):
    """A body without ``Content-Length`` (chunked) that raises 413 once it proves longer than
    ``limit``; werkzeug alone reads such a body up to the limit and quietly drops the rest."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        # One byte past the limit tells a body that ends there from one that goes on.
        super().__init__(stream, limit + 1, is_max=True)
        self._max = limit
        self._seen = 0

    def readinto(self, buffer: bytearray) -> int | None:  # type: ignore[override]
        # Every read after the limit fails again: a reader that swallowed the first 413 (the
        # rate limiter reading the phone of a sign-in) must not see a truncated body next.
        if self._seen > self._max:
            raise RequestEntityTooLarge()
        count = super().readinto(buffer)
        self._seen += count or 0
        if self._seen > self._max:
            raise RequestEntityTooLarge()
        return count


def init_app(app: Flask) -> None:
    """Before any route is added or any JSON read: the id converter, bounded JSON, the request."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
    app.request_class = Request
