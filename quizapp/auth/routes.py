from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from quizapp.auth import codes, services, terms
from quizapp.auth.forms import (
    CodeForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterPageForm,
    ResetConfirmPageForm,
    ResetRequestForm,
)
from quizapp.auth.passwords import HashingBusy
from quizapp.auth.protection import AccountDisabled, TooManyFailures, authenticate, remember_browser
from quizapp.auth.session import sign_in, sign_out
from quizapp.errors import DomainError, InvalidCredentials, ValidationFailed
from quizapp.extensions import db
from quizapp.forms import Form
from quizapp.limits import login_per_ip, not_counted, register_per_ip
from quizapp.security import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

PROFILE_FIELDS = ("full_name", "birth_date", "gender", "id_number", "unit_code", "participant_group")


# Where each role starts after signing in, unless ?next= names a page of this site: organisers
# and judges at their own consoles; admins at the accounts, where their work (roles for
# organisers and judges, the help desk's reset codes) begins, with the organisers' console a
# click away in the header; takers at the home page with the open contests.
LANDING = {"organiser": "contests.manage_index", "judge": "judging.index", "admin": "admin.users"}


def landing_url(user) -> str:
    return url_for(LANDING.get(user.role, "main.home"))


def _redirect_next():
    return redirect(safe_next_url(request.args.get("next")) or landing_url(current_user))


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
    """Each message next to its field; those of fields the form has not (the privacy notice's
    consent and a guardian's, auth/terms.py) above the form, and the page answers 422."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def _unit_step(template: str, **context):
    """A step of the unit picker without JavaScript (units/picker.py): the form again with what
    was typed and the next list of units; nothing is checked or saved, and no registration
    is counted against the address."""
    not_counted()
    form = context["form"]
    if getattr(form, "password", None) is not None and form.password.data:
        flash("Mật khẩu không được giữ lại khi chọn đơn vị: vui lòng nhập lại mật khẩu.", "info")
    return render_template(template, **context)


@bp.route("/register", methods=["GET", "POST"])
@register_per_ip
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterPageForm()
    if form.unit_code.stepping:
        return _unit_step("auth/register.html", form=form)
    if form.validate_on_submit():
        try:
            user = services.register_user(
                phone=form.phone.data,
                password=form.password.data,
                consent=terms.GivenConsent(request.form, "web"),
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
            if terms.consent_needed(user):
                # No consent to the current notice on record: asked now, then on to ?next=.
                return redirect(url_for(terms.terms().consent_endpoint,
                                        next=safe_next_url(request.args.get("next")) or landing_url(user)))
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
    # A contest page sends a taker here for the fields it requires, with ?next= back to it.
    next_url = safe_next_url(request.args.get("next"))
    if form.unit_code.stepping:
        return _unit_step("auth/profile.html", form=form, password_form=PasswordForm(formdata=None),
                          next_url=next_url)
    if form.validate_on_submit():
        try:
            # A birth date entered or changed to a child's needs the guardian's fields of the form.
            services.update_profile(current_user, consent=terms.GivenConsent(request.form, "web"),
                                    **{name: form[name].data for name in PROFILE_FIELDS})
        except ValidationFailed as error:
            _show_field_errors(form, error)
        else:
            db.session.commit()
            flash("Đã lưu thông tin cá nhân.", "success")
            return redirect(next_url or url_for("auth.profile"))
    status = 422 if form.errors else 200
    return render_template("auth/profile.html", form=form, password_form=PasswordForm(formdata=None),
                           next_url=next_url), status


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


# --- forgotten passwords and phone verification (auth/codes.py) ----------------------------


# The phone a reset code was asked for in this browser, for the confirm page.
RESET_PHONE = "reset_phone"


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset():
    """Ask for a reset code: the same answer for every phone (the code goes out after it)."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            codes.request_reset(form.phone.data)
        except codes.CodeRequestsSpent as error:
            form.form_errors.append(error.message)
            return _form_page("auth/password_reset.html", 429, error, form=form)
        flash(codes.RESET_REQUESTED.format(minutes=codes.minutes_valid()), "info")
        # The confirm page fills the phone in from the session, not from its URL: a URL with the
        # phone would stay in the access log and in the history of a shared phone's browser.
        session[RESET_PHONE] = form.phone.data
        return redirect(url_for(".password_reset_confirm"))
    return render_template("auth/password_reset.html", form=form), 422 if form.errors else 200


@bp.route("/password-reset/confirm", methods=["GET", "POST"])
def password_reset_confirm():
    """The code and a new password: signed in, every other session ended."""
    form = ResetConfirmPageForm(phone=session.get(RESET_PHONE, ""))
    if form.validate_on_submit():
        try:
            with codes.wrong_tries_kept():
                user = codes.reset_password(form.phone.data, form.code.data, form.new_password.data)
        except codes.CodeInvalid as error:
            _show_field_errors(form, error)
        except (codes.CodeRequestsSpent, HashingBusy) as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            return _form_page("auth/password_reset_confirm.html", error.status, error, form=form)
        else:
            session.pop(RESET_PHONE, None)
            sign_in(user)
            remember_browser(user)
            db.session.commit()
            flash("Đã đặt lại mật khẩu và đăng nhập. Các phiên đăng nhập khác đã bị đăng xuất.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password_reset_confirm.html", form=form), 422 if form.errors else 200


def _verification_page(form: CodeForm, status: int = 200, error: DomainError | None = None):
    return _form_page("auth/phone_verification.html", status, error, form=form,
                      next_url=safe_next_url(request.args.get("next")))


@bp.route("/phone-verification", methods=["GET", "POST"])
@login_required
def phone_verification():
    """The account's phone: send a code to it, type the code back."""
    form = CodeForm()
    if current_user.phone_verified_at is not None:
        return _verification_page(form)
    if form.validate_on_submit():
        try:
            with codes.wrong_tries_kept():
                codes.verify_phone(current_user, form.code.data)
        except codes.CodeInvalid as error:
            _show_field_errors(form, error)
        except codes.CodeRequestsSpent as error:
            form.form_errors.append(error.message)
            return _verification_page(form, 429, error)
        else:
            db.session.commit()
            flash("Đã xác minh số điện thoại.", "success")
            return _redirect_next() if safe_next_url(request.args.get("next")) else _verification_page(form)
    return _verification_page(form, 422 if form.errors else 200)


@bp.post("/phone-verification/send")
@login_required
def phone_verification_send():
    try:
        codes.request_verification(current_user)
    except codes.CodeRequestsSpent as error:
        # 429 with Retry-After, as every spent limit answers (DESIGN §3 rule 5), on the page itself.
        form = CodeForm(formdata=None)
        form.form_errors.append(error.message)
        return _verification_page(form, 429, error)
    except codes.PhoneAlreadyVerified as error:
        flash(error.message, "error")
    else:
        flash(codes.VERIFY_REQUESTED.format(minutes=codes.minutes_valid()), "info")
    return redirect(url_for(".phone_verification", next=safe_next_url(request.args.get("next"))))
