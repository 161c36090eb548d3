"""``/admin``: accounts and their roles, and the audit log, for admins.

- ``GET  /admin/users``                  accounts, searchable by phone or name
- ``POST /admin/users/<id>/role``        change an account's role (audit-logged)
- ``POST /admin/users/<id>/units``       let an account edit the units directory, or stop it (audit-logged)
- ``POST /admin/users/<id>/reset-code``  a one-time password-reset code for a help desk, shown once
- ``GET  /admin/audit``                  organisers', judges' and admins' actions, newest first
- ``GET  /admin/protection``             sign-in protection: hashing slots and failure budgets, and
                                          whether they are turning people away now
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from quizapp.audit import AuditEvent
from quizapp.auth import codes
from quizapp.auth import services as accounts
from quizapp.auth.models import ROLE_LABELS, User
from quizapp.auth.passwords import hash_slots
from quizapp.clock import local_time
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.inputs import page_number
from quizapp.pressure import pressure
from quizapp.roles import role_required
from quizapp.text import clean_text

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/protection")
@role_required("admin")
def protection():
    """What protects sign-in and whether it is refusing people now (DESIGN §3 rule 11)."""
    active, ended = pressure().snapshot()
    config = current_app.config
    settings = {
        "Chi phí băm (Argon2id)": f"t = {config['PASSWORD_TIME_COST']}, "
                                  f"m = {int(config['PASSWORD_MEMORY_COST_KIB']) // 1024} MiB, "
                                  f"p = {config['PASSWORD_PARALLELISM']}",
        "Số chỗ băm mật khẩu cùng lúc trên máy chủ này": str(hash_slots().count),
        "Chờ chỗ trống tối đa": f"{config['PASSWORD_HASH_WAIT_MS']} ms, rồi trả lời 503 (bận)",
        "Lượt đăng nhập sai mỗi địa chỉ IP": config["RATELIMIT_LOGIN_FAILURES_PER_IP"],
        "Lượt đăng nhập sai mỗi số điện thoại": config["RATELIMIT_LOGIN_FAILURES_PER_PHONE"],
        "Lượt đăng nhập sai của trình duyệt đã từng đăng nhập": config["RATELIMIT_LOGIN_FAILURES_PER_BROWSER"],
        "Lượt đăng nhập mỗi địa chỉ IP (mọi lượt)": config["RATELIMIT_LOGIN_PER_IP"],
    }
    zone = config["TIMEZONE"]

    def when(timestamp: float | None) -> str:
        if timestamp is None:
            return ""
        return local_time(datetime.fromtimestamp(timestamp, UTC), zone, "%H:%M:%S %d/%m/%Y")

    return render_template("admin/protection.html", active=active, ended=ended, settings=settings, when=when)


@bp.get("/users")
@role_required("admin")
def users():
    query = clean_text(request.args.get("q"))
    page = page_number()
    statement = select(User).order_by(User.id)
    if query:
        pattern = f"%{query}%"
        statement = statement.where(or_(User.phone.like(pattern), User.full_name.ilike(pattern)))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html", users=rows, total=total, page=page, page_size=PAGE_SIZE, query=query
    )


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def set_role(user_id: int):
    """Make an account a taker, an organiser, a judge or an admin (audit-logged)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        accounts.set_role(user, request.form.get("role", ""), by=current_user._get_current_object())
    except ValidationFailed as error:
        db.session.rollback()
        flash(" ".join(error.fields["role"]), "error")
    else:
        db.session.commit()
        flash(f"{user.full_name} ({user.phone}): {ROLE_LABELS[user.role]}.", "success")
    return redirect(url_for(".users", q=request.args.get("q") or None, page=request.args.get("page", type=int)))


@bp.post("/users/<int:user_id>/units")
@role_required("admin")
def set_units_editor(user_id: int):
    """Grant or withdraw ``can_edit_units``: loading the units directory and editing headcounts."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    allowed = request.form.get("allowed") == "1"
    accounts.set_units_editor(user, allowed)
    db.session.commit()
    flash(f"{user.full_name} ({user.phone}): "
          + ("được sửa danh mục đơn vị." if allowed else "không còn được sửa danh mục đơn vị."), "success")
    return redirect(url_for(".users", q=request.args.get("q") or None, page=request.args.get("page", type=int)))


@bp.post("/users/<int:user_id>/reset-code")
@role_required("admin")
def reset_code(user_id: int):
    """A password-reset code for a person on the phone with the help desk: shown once on its own
    page, never stored in the clear, audit-logged without the code."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not user.is_active:
        flash(f"{user.full_name} ({user.phone}): tài khoản đang bị khoá, không cấp mã.", "error")
        return redirect(url_for(".users", q=user.phone))
    code = codes.help_desk_code(user)
    db.session.commit()
    page = render_template("admin/reset_code.html", user=user, code=code, minutes=codes.minutes_valid())
    # The code must not stay in a cache or come back with the back button.
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Organisers', judges' and admins' actions, newest first."""
    page = page_number()
    # Each event with the account that acted (none for the command line).
    statement = (select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
                 .order_by(AuditEvent.id.desc()))
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    rows = db.session.execute(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("admin/audit.html", events=rows, total=total, page=page, page_size=PAGE_SIZE)
