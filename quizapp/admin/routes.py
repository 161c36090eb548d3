"""``/admin``: accounts and their roles, and the audit log, for admins.

- ``GET  /admin/users``                  accounts, 50 a page, by role, by state (active or disabled),
                                          and by phone or name with or without diacritics
- ``GET  /admin/users/<id>``             one account: its details, role and state
- ``POST /admin/users/<id>``             correct its name, phone and unit (audit-logged)
- ``POST /admin/users/<id>/role``        change its role, after a page saying what the role grants
                                          (audit-logged)
- ``GET|POST /admin/users/<id>/disable`` disable it: no sign-in, every session ended now; and
  ``GET|POST /admin/users/<id>/enable``  enable it again; both after a confirmation page (audit-logged)
- ``POST /admin/users/<id>/units``       let an account edit the units directory, or stop it (audit-logged)
- ``POST /admin/users/<id>/reset-code``  a one-time password-reset code for a help desk, shown once
- ``GET  /admin/audit``                  organisers', judges' and admins' actions in words, newest
                                          first; filtered by category (who looked at others' data,
                                          the retention purges, …), by who, by what, by day
- ``GET  /admin/audit.csv``              the filtered log as CSV (audit-logged)
- ``GET  /admin/protection``             sign-in protection: hashing slots and failure budgets, and
                                          whether they are turning people away now
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from quizapp import audit
from quizapp.admin import auditlog
from quizapp.admin.auditlog import AuditFilter
from quizapp.admin.forms import AccountForm
from quizapp.audit import AuditEvent
from quizapp.auth import codes
from quizapp.auth import services as accounts
from quizapp.auth.models import ROLE_GRANTS, ROLE_LABELS, User
from quizapp.auth.passwords import hash_slots
from quizapp.auth.search import PersonQuery
from quizapp.clock import local_date, local_time
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.formatting import number, zone_label
from quizapp.inputs import page_number
from quizapp.pressure import pressure
from quizapp.roles import role_required
from quizapp.spreadsheets import safe_row
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
        "Lượt đăng nhập sai mỗi địa chỉ IP": _limit_text(config["RATELIMIT_LOGIN_FAILURES_PER_IP"]),
        "Lượt đăng nhập sai mỗi số điện thoại": _limit_text(config["RATELIMIT_LOGIN_FAILURES_PER_PHONE"]),
        "Lượt đăng nhập sai của trình duyệt đã từng đăng nhập":
            _limit_text(config["RATELIMIT_LOGIN_FAILURES_PER_BROWSER"]),
        "Lượt đăng nhập mỗi địa chỉ IP (mọi lượt)": _limit_text(config["RATELIMIT_LOGIN_PER_IP"]),
    }
    zone = config["TIMEZONE"]

    def when(timestamp: float | None) -> str:
        if timestamp is None:
            return ""
        return local_time(datetime.fromtimestamp(timestamp, UTC), zone, "%H:%M:%S %d/%m/%Y")

    return render_template("admin/protection.html", active=active, ended=ended, settings=settings, when=when)


_PERIODS = {"second": "giây", "minute": "phút", "hour": "giờ", "day": "ngày"}
_LIMIT = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)


def _limit_text(limit: object) -> str:
    """A rate limit as the settings write it ("40 per 10 minutes", limits' syntax) in words:
    "40 lượt mỗi 10 phút"; anything else as it is."""
    match = _LIMIT.fullmatch(str(limit))
    if match is None:
        return str(limit)
    count, span, period = match.groups()
    return f"{number(int(count))} lượt mỗi {f'{span} ' if span and span != '1' else ''}{_PERIODS[period.lower()]}"


ACCOUNT_STATES = {"active": "Đang hoạt động", "disabled": "Đã khoá"}
# The list's own parameters, carried through every action back to the same page of the list.
LIST_ARGS = ("q", "role", "state", "page")


def _list_args() -> dict[str, str]:
    return {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}


def _back_to_list():
    return redirect(url_for(".users", **_list_args()))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _vietnam_time(moment: datetime | None, pattern: str = "%H:%M %d/%m/%Y") -> str:
    """A stored (UTC) time as clocks in Vietnam show it (the installation's ``TIMEZONE``)."""
    return local_time(moment, current_app.config["TIMEZONE"], pattern)


def _render(template: str, status: int = 200, **context):
    return render_template(template, when=_vietnam_time, list_args=_list_args(), states=ACCOUNT_STATES,
                           grants=ROLE_GRANTS, **context), status


@bp.get("/users")
@role_required("admin")
def users():
    """Accounts, 50 a page: by role, by state (active or disabled), and by a piece of the phone
    or of the name written with or without diacritics (auth/search.py)."""
    query = PersonQuery.parse(request.args.get("q"))
    role = request.args.get("role") if request.args.get("role") in ROLE_LABELS else None
    state = request.args.get("state") if request.args.get("state") in ACCOUNT_STATES else None
    page = page_number()
    conditions = []
    if query is not None:
        conditions.append(query.condition())
    if role is not None:
        conditions.append(User.role == role)
    if state is not None:
        conditions.append(User.is_active.is_(state == "active"))
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions))
    rows = db.session.scalars(select(User).options(joinedload(User.unit)).where(*conditions).order_by(User.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    audit.personal_data_viewed("admin.users", "users", "*", page=page,
                               **({"search": request.args["q"][:64]} if query is not None else {}))
    db.session.commit()
    return _render("admin/users.html", users=rows, total=total, page=page, page_size=PAGE_SIZE,
                   query=clean_text(request.args.get("q")), role=role, state=state)


@bp.get("/users/<int:user_id>")
@role_required("admin")
def account(user_id: int):
    """One account: its details to correct, its role, and whether it may sign in."""
    user = _user_or_404(user_id)
    form = AccountForm(formdata=None, full_name=user.full_name, phone=user.phone,
                       unit_code=user.unit.code if user.unit else "")
    audit.personal_data_viewed("admin.account", "user", user.id)
    db.session.commit()
    return _render("admin/account.html", user=user, form=form)


@bp.post("/users/<int:user_id>")
@role_required("admin")
def update_account(user_id: int):
    """Correct an account's name, phone and unit (audit-logged with the values before and after)."""
    user = _user_or_404(user_id)
    form = AccountForm()
    if form.validate():
        try:
            changed = accounts.update_account(user, full_name=form.full_name.data, phone=form.phone.data,
                                              unit_code=form.unit_code.data)
        except ValidationFailed as error:
            db.session.rollback()
            for name, messages in error.fields.items():
                getattr(form, name).errors = list(messages)
        except accounts.AccountErased as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"Đã lưu thông tin của {user.full_name} ({user.phone})." if changed
                  else "Không có thông tin nào thay đổi.", "success" if changed else "info")
            return redirect(url_for(".account", user_id=user.id, **_list_args()))
    return _render("admin/account.html", 422, user=_user_or_404(user_id), form=form)


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def set_role(user_id: int):
    """Make an account a taker, an organiser, a judge or an admin (audit-logged), after a page
    that says what the new role grants: a POST without ``confirm`` only shows that page. The
    new role comes in the form, the list's own parameters (``role`` among them) in the URL."""
    user = _user_or_404(user_id)
    role = request.form.get("role", "")
    if request.form.get("confirm") == "1":
        try:
            accounts.set_role(user, role, by=current_user._get_current_object())
        except ValidationFailed as error:
            db.session.rollback()
            flash(" ".join(error.fields["role"]), "error")
        except accounts.AccountChangeRefused as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"{user.full_name} ({user.phone}): {ROLE_LABELS[user.role]}.", "success")
        return _back_to_list()
    if role not in ROLE_LABELS:
        flash(f"Vai trò phải là một trong: {', '.join(ROLE_LABELS)}.", "error")
        return _back_to_list()
    if role == user.role:
        flash(f"{user.full_name} đã là {ROLE_LABELS[role]}.", "info")
        return _back_to_list()
    return _render("admin/confirm_role.html", user=user, role=role)


@bp.route("/users/<int:user_id>/<any(disable, enable):action>", methods=["GET", "POST"])
@role_required("admin")
def set_access(user_id: int, action: str):
    """Disable an account (it cannot sign in, and every session of it ends now) or enable it
    again, audit-logged, after a confirmation page: a POST without ``confirm`` only shows it."""
    user = _user_or_404(user_id)
    if request.method == "GET" or request.form.get("confirm") != "1":
        return _render("admin/confirm_access.html", user=user, action=action)
    try:
        if action == "disable":
            changed = accounts.disable_account(user, by=current_user._get_current_object())
        else:
            changed = accounts.enable_account(user)
    except accounts.AccountChangeRefused as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if action == "disable":
            flash(f"Đã khoá tài khoản {user.full_name} ({user.phone}); mọi phiên đăng nhập của tài khoản đã kết thúc."
                  if changed else f"Tài khoản {user.full_name} đã bị khoá từ trước.", "success")
        else:
            flash(f"Đã mở khoá tài khoản {user.full_name} ({user.phone})."
                  if changed else f"Tài khoản {user.full_name} đang hoạt động.", "success")
    return _back_to_list()


@bp.post("/users/<int:user_id>/units")
@role_required("admin")
def set_units_editor(user_id: int):
    """Grant or withdraw ``can_edit_units``: loading the units directory and editing headcounts."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    allowed = request.form.get("allowed") == "1"
    try:
        accounts.set_units_editor(user, allowed)
    except accounts.AccountErased as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to_list()
    db.session.commit()
    flash(f"{user.full_name} ({user.phone}): "
          + ("được sửa danh mục đơn vị." if allowed else "không còn được sửa danh mục đơn vị."), "success")
    return _back_to_list()


@bp.post("/users/<int:user_id>/reset-code")
@role_required("admin")
def reset_code(user_id: int):
    """A password-reset code for a person on the phone with the help desk: shown once on its own
    page, never stored in the clear, audit-logged without the code."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.erased_at is not None:
        flash(accounts.AccountErased.message, "error")
        return _back_to_list()
    if not user.is_active:
        flash(f"{user.full_name} ({user.phone}): tài khoản đang bị khoá, không cấp mã.", "error")
        return _back_to_list()
    code = codes.help_desk_code(user)
    db.session.commit()
    page = render_template("admin/reset_code.html", user=user, code=code, minutes=codes.minutes_valid())
    # The code must not stay in a cache or come back with the back button.
    return page, 200, {"Cache-Control": "no-store"}


# The CSV of the audit log is made in the request, streamed: bounded so that one click cannot
# make the server describe millions of events.
AUDIT_CSV_ROWS = 50_000


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Organisers', judges' and admins' actions, newest first, in words (admin/auditlog.py), by
    category (``kind``: ``personal_data`` is who looked at other people's phones or ID numbers,
    ``purge`` the retention purges), by who acted, by what it was about, and by day."""
    page = page_number()
    chosen = AuditFilter.parse(request.args)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*chosen.conditions()))
    rows = db.session.execute(auditlog.statement(chosen).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("admin/audit.html", events=auditlog.describe(rows), total=total, page=page,
                           page_size=PAGE_SIZE, chosen=chosen, categories=auditlog.CATEGORIES,
                           zone=current_app.config["TIMEZONE"])


@bp.get("/audit.csv")
@role_required("admin")
def audit_csv():
    """The filtered log as CSV (UTF-8 with a BOM for Excel, no cell that starts a formula), the
    newest ``AUDIT_CSV_ROWS`` events, streamed; the download is itself logged."""
    chosen = AuditFilter.parse(request.args)
    audit.record("audit.exported", "audit", "*", after=chosen.args() or None)
    db.session.commit()
    header = [f"Thời điểm ({zone_label(current_app.config['TIMEZONE'])})", *auditlog.CSV_HEADER[1:]]

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow(header)
        for row in auditlog.csv_rows(chosen, AUDIT_CSV_ROWS):
            writer.writerow(safe_row(row))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    name = f"nhat-ky-thao-tac-{local_date().isoformat()}.csv"
    return Response(stream_with_context(lines()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
