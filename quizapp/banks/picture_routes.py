"""``GET /pictures/<sha256>.jpg``: a question's picture, for anyone who has its address.

A picture is part of the question, not of its key, so it needs no session and key secrecy
does not apply; its name is the SHA-256 of its bytes, so it can neither be guessed nor listed
(there is no index) and never changes: browsers and proxies keep it for a year and never ask
again. The attempt page, the review and the organisers' pages link it (banks/pictures.py).
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, has_request_context, make_response, request, url_for
from sqlalchemy import select

from quizapp.banks.models import Picture
from quizapp.extensions import db

bp = Blueprint("pictures", __name__, url_prefix="/pictures")
_SHA256 = re.compile(r"[0-9a-f]{64}")
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/<name>.jpg")
def show(name: str):
    if not _SHA256.fullmatch(name):
        abort(404)
    # The name is the content: a browser that has it (If-None-Match) is answered without a read.
    if name in request.if_none_match:
        response = make_response("", 304)
    else:
        row = db.session.execute(select(Picture.data, Picture.content_type).where(Picture.sha256 == name)).first()
        if row is None:
            abort(404)
        response = make_response(row.data)
        response.content_type = row.content_type
    response.set_etag(name)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def picture_path(name: str) -> str:
    """Where the picture named ``name`` (its SHA-256) is served; outside a request (a script, a
    test) the path from the root."""
    if has_request_context():
        return url_for("pictures.show", name=name)
    return f"{bp.url_prefix}/{name}.jpg"
