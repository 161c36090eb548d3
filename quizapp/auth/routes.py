from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from quizapp.auth import services
from quizapp.auth.forms import LoginForm, PasswordForm, ProfileForm, RegisterPageForm
from quizapp.auth.passwords import HashingBusy
from quizapp.auth.protection import AccountDisabled, TooManyFailures, authenticate, remember_browser
from quizapp.auth.session import sign_in, sign_out
from quizapp.errors import DomainError, InvalidCredentials, ValidationFailed
from quizapp.extensions import db
from quizapp.forms import Form
from quizapp.limits import login_per_ip, register_per_ip
from quizapp.security import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

PROFILE_FIELDS = ("full_name", "birth_date", "gender", "id_number", "unit_code", "participant_group")


def _redirect_next():
    return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))


def _form_page(template: str, status: int, error: DomainError | None = None, **context):
    """The form again (a password field is never filled back in), with the status and, for
    "busy" or "too many failures", ``Retry-After``; the sign-in page's script retries a 503 by
    itself (static/js/busy-retry.js)."""
    response = make_response(render_template(template, **context), status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _show_field_errors(form: Form, error: ValidationFailed) -> None:
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is None:
            flash(" ".join(messages), "error")
        else:
            field.errors = [*field.errors, *messages]


@bp.route("/register", methods=["GET", "POST"])
@register_per_ip
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterPageForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                phone=form.phone.data,
                password=form.password.data,
                **{name: form[name].data for name in PROFILE_FIELDS},
            )
        except ValidationFailed as error:
            _show_field_errors(form, error)
        except HashingBusy as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            return _form_page("auth/register.html", 503, error, form=form)
        else:
            sign_in(user)
            remember_browser(user)
            db.session.commit()
            flash("Đăng ký thành công. Chào mừng bạn đến với cuộc thi!", "success")
            return _redirect_next()
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@login_per_ip
def login():
    if current_user.is_authenticated:
        return _redirect_next()
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.phone.data, form.password.data)
        except InvalidCredentials as error:
            form.password.errors.append(error.message)
            status = 401
        except AccountDisabled as error:
            form.form_errors.append(error.message)
            status = 403
        except (TooManyFailures, HashingBusy) as error:
            form.form_errors.append(error.message)
            return _form_page("auth/login.html", error.status, error, form=form)
        else:
            sign_in(user)
            remember_browser(user)
            db.session.commit()
            return _redirect_next()
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    # A POST with the CSRF token (checked globally), so no link can sign a taker out.
    sign_out()
    db.session.commit()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("main.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(
        obj=current_user,
        unit_code=current_user.unit.code if current_user.unit else "",
    )
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, **{name: form[name].data for name in PROFILE_FIELDS})
        except ValidationFailed as error:
            _show_field_errors(form, error)
        else:
            db.session.commit()
            flash("Đã lưu thông tin cá nhân.", "success")
            return redirect(url_for("auth.profile"))
    status = 422 if form.errors else 200
    return render_template("auth/profile.html", form=form, password_form=PasswordForm(formdata=None)), status


@bp.post("/profile/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            _show_field_errors(form, error)
        except HashingBusy as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            return _form_page("auth/profile.html", 503, error, form=_profile_form(), password_form=form)
        else:
            # Every session of the account has ended, and every browser's sign-in trust; this
            # browser gets a new session and is trusted again.
            user = current_user._get_current_object()
            sign_in(user)
            remember_browser(user)
            db.session.commit()
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=_profile_form(), password_form=form), 422


def _profile_form() -> ProfileForm:
    return ProfileForm(formdata=None, obj=current_user, unit_code=current_user.unit.code if current_user.unit else "")
