"""The privacy notice and consent: pages under /privacy, JSON under /api/v1/privacy.

- ``GET  /privacy``                   the notice (linked from registration and every footer)
- ``GET  /privacy/consent``           a signed-in account without consent to the current notice consents
- ``POST /privacy/consent``           (the sign-in sends it here, with ?next= back)
- ``GET  /api/v1/privacy``            ``{version, controller, text, retention_days}``
- ``POST /api/v1/privacy/consent``    ``{consent_version, guardian_*?}`` → the account, ``consent_needed`` false
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from quizapp.api.routes import check_csrf_header, json_body, user_json
from quizapp.auth.terms import consent_needed
from quizapp.errors import ValidationFailed
from quizapp.extensions import csrf, db
from quizapp.forms import Form
from quizapp.privacy import consent
from quizapp.privacy.notice import notice
from quizapp.security import safe_next_url

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
api_bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1/privacy")
# Like the rest of the API: the X-CSRFToken header, checked with the forms' tokens.
csrf.exempt(api_bp)
api_bp.before_request(check_csrf_header)


@bp.get("")
def page():
    return render_template("privacy/notice.html", notice=notice())


# The sign-in sends an account here by this name (auth.terms.Terms.consent_endpoint).
@bp.route("/consent", methods=["GET", "POST"], endpoint="consent")
@login_required
def consent_page():
    next_url = safe_next_url(request.args.get("next"))
    if not consent_needed(current_user):
        return redirect(next_url or url_for("main.home"))
    form = Form()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            consent.give_consent(current_user, request.form, "web")
        except ValidationFailed as error:
            errors = error.fields
        else:
            db.session.commit()
            flash("Đã ghi nhận sự đồng ý của bạn. Cảm ơn bạn!", "success")
            return redirect(next_url or url_for("main.home"))
    status = 422 if errors or form.errors else 200
    return render_template("privacy/consent.html", form=form, notice=notice(), errors=errors, next_url=next_url,
                           child=consent.needs_guardian(current_user.birth_date)), status


@api_bp.get("")
def api_notice():
    return jsonify(notice())


@api_bp.post("/consent")
@login_required
def api_consent():
    consent.give_consent(current_user, json_body(), "api")
    db.session.commit()
    return jsonify(user=user_json(current_user))
