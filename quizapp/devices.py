"""A long-lived random device cookie, so judges can see one phone behind many accounts.

It holds nothing but 16 random bytes; it is read when an attempt starts (the
``shared_device`` flag) and never identifies a person by itself.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Request, Response, request

COOKIE = "quizapp_device"
_VALID = re.compile(r"[A-Za-z0-9_-]{16,32}")
TWO_YEARS = 2 * 365 * 24 * 3600


def device_id(req: Request) -> str | None:
    value = req.cookies.get(COOKIE, "")
    return value if _VALID.fullmatch(value) else None


def init_app(app: Flask) -> None:
    secure = bool(app.config.get("HTTPS"))

    @app.after_request
    def give_device_cookie(response: Response) -> Response:
        # Static files, pictures and other public answers (the units directory's) are cached
        # by proxies for everyone: no cookie of one person.
        if (device_id(request) is None and not request.path.startswith(("/static/", "/pictures/"))
                and not response.cache_control.public):
            response.set_cookie(COOKIE, secrets.token_urlsafe(16), max_age=TWO_YEARS, httponly=True,
                                samesite="Lax", secure=secure)
        return response
