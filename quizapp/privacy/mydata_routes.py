""""Dữ liệu của tôi": the signed-in person's own data, and nobody else's.

- ``GET /me/data``            the page (times in the installation's time zone, Vietnam's)
- ``GET /me/data.json``       the same as a JSON download (``du-lieu-cua-toi-YYYY-MM-DD.json``)
- ``GET /api/v1/me/data``     the same for the phones' API (DESIGN §5), times in ISO 8601

There is no id in any URL: each answers about the account of the session, so one person can
never ask for another's. Nothing here may be kept by any cache.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required

from quizapp import clock
from quizapp.auth.models import GENDERS, ROLE_LABELS
from quizapp.privacy.mydata import DECISION_LABELS, FIELD_LABELS, as_json, my_data

bp = Blueprint("mydata", __name__)


@bp.after_request
def never_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _mine() -> dict[str, object]:
    return my_data(current_user, clock.now(), session_id=current_user.session_id)


@bp.get("/me/data")
@login_required
def page():
    zone = current_app.config["TIMEZONE"]
    return render_template("privacy/my_data.html", data=_mine(), genders=GENDERS, roles=ROLE_LABELS,
                           decisions=DECISION_LABELS, fields=FIELD_LABELS,
                           when=lambda moment: clock.local_time(moment, zone))


@bp.get("/me/data.json")
@login_required
def download():
    today = clock.local_date()
    body = json.dumps(as_json(_mine()), ensure_ascii=False, indent=2)
    return current_app.response_class(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="du-lieu-cua-toi-{today.isoformat()}.json"'})


@bp.get("/api/v1/me/data")
@login_required
def api_data():
    return jsonify(as_json(_mine()))
