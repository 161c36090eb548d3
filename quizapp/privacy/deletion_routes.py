"""Deleting one's own account (deletion.py): the API's ``DELETE /api/v1/me`` and the page
``/privacy/delete-account`` ("Xoá tài khoản", linked from the profile page). Both sign the browser
out and commit once, then let SQLite overwrite what was erased (erasure.scrub_storage) and queue
the kept files of the person's locked rounds to be made again (erasure.remake_files)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from quizapp.api.routes import check_csrf_header, json_body
from quizapp.auth.passwords import HashingBusy
from quizapp.auth.session import sign_out
from quizapp.errors import DomainError, ValidationFailed
from quizapp.extensions import csrf, db
from quizapp.forms import Form
from quizapp.privacy.deletion import delete_own_account
from quizapp.privacy.erasure import remake_files, scrub_storage

api_bp = Blueprint("privacy_deletion_api", __name__, url_prefix="/api/v1")
# Like the rest of the API: the X-CSRFToken header instead of a form field.
csrf.exempt(api_bp)
api_bp.before_request(check_csrf_header)
bp = Blueprint("privacy_deletion", __name__, url_prefix="/privacy")

DONE = "Đã xoá dữ liệu cá nhân của tài khoản và đăng xuất. Cảm ơn bạn đã tham gia."


@api_bp.delete("/me")
@login_required
def delete_me():
    password = json_body().get("password")
    if not isinstance(password, str) or not password:
        raise ValidationFailed({"password": ["Vui lòng nhập mật khẩu để xác nhận xoá tài khoản."]})
    _delete(password)
    return jsonify(deleted=True, user=None, csrf_token=generate_csrf())


class DeleteAccountForm(Form):
    password = PasswordField("Mật khẩu", validators=[DataRequired("Vui lòng nhập mật khẩu để xác nhận.")])
    confirm = BooleanField(
        "Tôi hiểu rằng dữ liệu cá nhân của tôi sẽ bị xoá vĩnh viễn, tài khoản không dùng lại được "
        "và không thể khôi phục.",
        validators=[DataRequired("Hãy đánh dấu ô này để xác nhận.")])


@bp.route("/delete-account", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    status = 200
    if form.validate_on_submit():
        try:
            _delete(form.password.data)
        except HashingBusy as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 503
        except DomainError as error:
            db.session.rollback()
            if error.code == "wrong_password":
                form.password.errors = [error.message]
            else:
                form.form_errors.append(error.message)
            status = error.status
        else:
            flash(DONE, "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render_template("privacy/delete_account.html", form=form), status


def _delete(password: str) -> None:
    erased = delete_own_account(current_user._get_current_object(), password)
    sign_out()
    db.session.commit()
    scrub_storage()
    remake_files([erased])
