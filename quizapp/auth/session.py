"""How Flask-Login finds the signed-in user and what it does for anonymous visitors."""

from __future__ import annotations

from flask import redirect, request, url_for

from quizapp.auth.models import User
from quizapp.errors import HTTP_ERRORS, json_error, wants_json
from quizapp.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
login_manager.login_message_category = "info"
# Off: "strong" would log takers out whenever their carrier changes their IP mid-attempt, and
# "basic" hashes IP and browser on every request and adds 128 characters to every cookie sent
# over 3G, only to mark sessions "not fresh", which nothing here uses. A stolen session is ended
# by changing the password (session_version).
login_manager.session_protection = None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    # A changed password bumps the version and so ends every older session.
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        code, _title, message = HTTP_ERRORS[401]
        return json_error(401, code, message)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
