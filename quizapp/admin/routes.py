from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from quizapp.audit import AuditEvent
from quizapp.auth.decorators import role_required
from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.text import clean_text

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/users")
@role_required("admin")
def users():
    query = clean_text(request.args.get("q"))
    page = max(request.args.get("page", 1, type=int), 1)
    statement = select(User).order_by(User.id)
    if query:
        pattern = f"%{query}%"
        statement = statement.where(or_(User.phone.like(pattern), User.full_name.ilike(pattern)))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html", users=rows, total=total, page=page, page_size=PAGE_SIZE, query=query
    )


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Organisers', judges' and admins' actions, newest first."""
    page = max(request.args.get("page", 1, type=int), 1)
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    rows = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("admin/audit.html", events=rows, total=total, page=page, page_size=PAGE_SIZE)
