"""The JSON API for takers' phones (DESIGN §5). Unsafe methods need ``X-CSRFToken``."""

from __future__ import annotations

import hmac
from functools import lru_cache

from flask import Blueprint, current_app, jsonify, request, session
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from quizapp.auth import codes, services, terms
from quizapp.auth.forms import CodeForm, RegisterForm, ResetConfirmForm, ResetRequestForm
from quizapp.auth.models import User
from quizapp.auth.protection import authenticate, remember_browser
from quizapp.auth.routes import PROFILE_FIELDS
from quizapp.auth.session import sign_in, sign_out
from quizapp.errors import DomainError, ValidationFailed
from quizapp.extensions import csrf, db
from quizapp.forms import Form
from quizapp.limits import login_per_ip, register_per_ip

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API checks its X-CSRFToken header itself (below), with the same tokens as the forms.
csrf.exempt(bp)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@lru_cache(maxsize=16384)
def _token_secret(secret_key: str, token: str) -> str | None:
    """The session secret a signed CSRF token (Flask-WTF's) carries, or None if it is forged.

    A phone sends the same token with every answer; unsigning it once per process instead of
    on every request is a large part of what keeps the answer-save path cheap.
    """
    try:
        value = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").loads(token)
    except BadData:
        return None
    return value if isinstance(value, str) else None


def csrf_header_valid(secret_key: str, token: str | None, stored: object) -> bool:
    """Does the ``X-CSRFToken`` header match the session's CSRF secret?"""
    if not token or not isinstance(stored, str) or not stored:
        return False
    secret = _token_secret(secret_key, token[:200])
    return secret is not None and hmac.compare_digest(secret, stored)


@bp.before_request
def check_csrf_header() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    if not csrf_header_valid(current_app.secret_key, request.headers.get("X-CSRFToken"), session.get("csrf_token")):
        raise CSRFError("The CSRF token is missing or invalid.")


def user_json(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "phone": user.phone,
        "full_name": user.full_name,
        "role": user.role,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "gender": user.gender,
        "unit": {"code": user.unit.code, "name": user.unit.name} if user.unit else None,
        "participant_group": user.participant_group,
        "phone_verified": user.phone_verified_at is not None,
        # No consent on record for the current privacy notice: POST /privacy/consent first.
        "consent_needed": terms.consent_needed(user),
    }


def json_body() -> dict[str, object]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("Dữ liệu gửi lên phải là một đối tượng JSON.", code="invalid_json")
    return body


def validated(form_class: type[Form], body: dict[str, object]) -> Form:
    """Run a page form's validators over a JSON body, so both paths share one set of rules."""
    scalars = {
        key: "" if value is None else str(value)
        for key, value in body.items()
        if not isinstance(value, dict | list | bool)
    }
    form = form_class(formdata=MultiDict(scalars), meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(form.first_errors())
    return form


@bp.get("/session")
def get_session():
    user = user_json(current_user) if current_user.is_authenticated else None
    return jsonify(csrf_token=generate_csrf(), user=user)


@bp.post("/register")
@register_per_ip
def register():
    if current_user.is_authenticated:
        raise DomainError("Bạn đang đăng nhập; hãy đăng xuất trước khi đăng ký tài khoản khác.",
                          code="already_logged_in")
    body = json_body()
    form = validated(RegisterForm, body)
    user = services.register_user(
        phone=form.phone.data,
        password=form.password.data,
        consent=terms.GivenConsent(body, "api"),
        **{name: form[name].data for name in PROFILE_FIELDS},
    )
    sign_in(user)
    remember_browser(user)
    db.session.commit()
    # The session is new, and so is its CSRF token: the phone sends this one from now on.
    return jsonify(user=user_json(user), csrf_token=generate_csrf()), 201


@bp.post("/login")
@login_per_ip
def login():
    body = json_body()
    phone, password = body.get("phone"), body.get("password")
    if not isinstance(phone, str) or not isinstance(password, str) or not phone or not password:
        raise ValidationFailed({
            name: ["Vui lòng nhập thông tin này."]
            for name in ("phone", "password")
            if not isinstance(body.get(name), str) or not body.get(name)
        })
    # 429 before any hash when a failure budget is spent, 503 when every hashing slot is taken
    # (both with Retry-After), else 401 or the account (auth/protection.py).
    user = authenticate(phone, password)
    sign_in(user)
    remember_browser(user)
    db.session.commit()
    return jsonify(user=user_json(user), csrf_token=generate_csrf())


@bp.post("/logout")
def logout():
    # Ends this session on every worker and host (its record), not only this cookie.
    sign_out()
    db.session.commit()
    return jsonify(user=None, csrf_token=generate_csrf())


@bp.post("/password-reset")
def password_reset():
    """202 for every well-formed phone, with or without an account (DESIGN §5 and §7): the
    code is made and sent after the response, by the background worker (auth/codes.py)."""
    form = validated(ResetRequestForm, json_body())
    codes.request_reset(form.phone.data)
    return jsonify(message=codes.RESET_REQUESTED.format(minutes=codes.minutes_valid())), 202


@bp.post("/password-reset/confirm")
def password_reset_confirm():
    form = validated(ResetConfirmForm, json_body())
    with codes.wrong_tries_kept():
        user = codes.reset_password(form.phone.data, form.code.data, form.new_password.data)
    # Every other session has ended; this browser signs in with the new password.
    sign_in(user)
    remember_browser(user)
    db.session.commit()
    return jsonify(user=user_json(user), csrf_token=generate_csrf())


@bp.post("/phone-verification")
@login_required
def phone_verification():
    codes.request_verification(current_user)
    return jsonify(message=codes.VERIFY_REQUESTED.format(minutes=codes.minutes_valid())), 202


@bp.post("/phone-verification/confirm")
@login_required
def phone_verification_confirm():
    form = validated(CodeForm, json_body())
    with codes.wrong_tries_kept():
        codes.verify_phone(current_user, form.code.data)
    db.session.commit()
    return jsonify(user=user_json(current_user))
