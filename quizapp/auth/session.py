"""Who is signed in: session records, signing in and out, and Flask-Login's user loader.

A signed cookie alone cannot be taken back: signing out on one phone would leave a copy of the
cookie valid on every worker and host. So each sign-in is a ``UserSession`` row, the cookie
names it, and a request is signed in only while the row is open (DESIGN §7: signing out ends
that session; a password change ends every session of the account). Signing in and out also
starts the browser's session afresh, so nothing of the previous person (the CSRF token, the
contests they unlocked) carries over on a shared phone.

These functions change the database session without committing; the view commits once.
"""

from __future__ import annotations

import secrets

from flask import current_app, g, redirect, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import defer

from quizapp.auth.models import User, UserSession
from quizapp.clock import utcnow
from quizapp.errors import HTTP_ERRORS, json_error, wants_json
from quizapp.extensions import db, login_manager
from quizapp.sessions import session_identity

login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
login_manager.login_message_category = "info"
# Off: "strong" would log takers out whenever their carrier changes their IP mid-attempt, and
# "basic" hashes IP and browser on every request and adds 128 characters to every cookie sent
# over 3G, only to mark sessions "not fresh", which nothing here uses. A stolen session is ended
# by signing out or changing the password (session records, session_version).
login_manager.session_protection = None


# The account of a request, if active, its version unchanged and this session still open: one
# statement on every signed-in request, built once. What only sign-in, the password and the
# admins' pages read (the password hash, the search key, times) is left to load when read.
_SIGNED_IN = select(User).join(UserSession, UserSession.user_id == User.id).where(
    User.id == bindparam("user"), User.session_version == bindparam("version"), User.is_active,
    UserSession.id == bindparam("session"), UserSession.ended_at.is_(None),
).options(defer(User.password_hash), defer(User.search_key), defer(User.created_at), defer(User.last_login_at),
          defer(User.erased_at))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    identity = session_identity({"_user_id": session_id})
    if identity is None:
        return None
    user = db.session.scalar(_SIGNED_IN, {"user": identity.user_id, "version": identity.version,
                                          "session": identity.session_id})
    if user is not None:
        user.session_id = identity.session_id
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        code, _title, message = HTTP_ERRORS[401]
        return json_error(401, code, message)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _fresh_session() -> None:
    """Forget everything the browser's session held, the CSRF secret included."""
    session.clear()
    # Flask-WTF keeps this request's token in g; the next one generated must be new.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def sign_in(user: User) -> None:
    """Start a new session for ``user`` in this browser: a new record, a fresh cookie."""
    _fresh_session()
    record = UserSession(id=secrets.token_urlsafe(16), user_id=user.id)
    db.session.add(record)
    db.session.flush()
    user.session_id = record.id
    session.permanent = True
    login_user(user)


def sign_out() -> None:
    """End this browser's session everywhere; the account's other sessions go on."""
    identity = session_identity()
    if identity is not None:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == identity.session_id, UserSession.user_id == identity.user_id,
                   UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    logout_user()
    _fresh_session()


def end_all_sessions(user: User) -> None:
    """End every session of ``user`` (a password change): the version in every cookie goes
    stale and every open record is closed."""
    user.session_version += 1
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
