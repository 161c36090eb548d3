"""``GET /api/v1/units``: the units directory for a unit picker, one search or one level at a
time, never the whole directory. The directory is the same for everyone, so its answers (and
only they, under /api/v1) may be kept by caches for a few minutes, and revalidated by ETag."""

from __future__ import annotations

import hashlib

from flask import jsonify, request

from quizapp.api.routes import bp
from quizapp.errors import NotFound, ValidationFailed
from quizapp.limits import unit_search_per_ip
from quizapp.text import clean_text
from quizapp.units.search import MAX_QUERY, directory_index

# The directory changes a few times a year; a phone may reuse an answer this long.
MAX_AGE = 300
MAX_OFFSET = 1_000_000


@bp.get("/units")
@unit_search_per_ip
def units():
    """``q``: units matching the text, best first, 20 from ``offset``; else the units right
    below ``parent`` (the top units without it), 200 from ``offset``. With both, the search is
    within ``parent``. ``total`` counts them all."""
    args = request.args
    index = directory_index()
    parent = args.get("parent") or None
    if parent is not None and index.get(parent) is None:
        raise NotFound(f"Không có đơn vị mã “{parent[:64]}” trong danh mục.")
    offset = args.get("offset", "0")
    if not offset.isdigit() or len(offset) > 7 or int(offset) > MAX_OFFSET:
        raise ValidationFailed({"offset": [f"offset là số nguyên từ 0 đến {MAX_OFFSET}."]})
    if "q" in args:
        # Measured as sent (normalising may lengthen it); a text with no letter or digit
        # matches nothing, like any other text that matches nothing.
        if len(args["q"]) > MAX_QUERY:
            raise ValidationFailed({"q": [f"Từ khóa tìm dài quá {MAX_QUERY} ký tự."]})
        found, total = index.search(clean_text(args["q"]), parent, int(offset))
    else:
        found, total = index.level(parent, int(offset))
    response = jsonify(units=[entry.json() for entry in found], total=total)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    tag = hashlib.sha256(repr((index.version, request.query_string)).encode()).hexdigest()[:20]
    response.set_etag(tag)
    return response.make_conditional(request)
