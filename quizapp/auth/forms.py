from __future__ import annotations

from datetime import date

from flask import current_app
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from quizapp.auth.models import GENDERS
from quizapp.forms import Form
from quizapp.phone import normalise_phone
from quizapp.text import clean_text
from quizapp.units.picker import UnitField

PHONE_INVALID = "Số điện thoại không hợp lệ: nhập 10 chữ số, ví dụ 0912345678."
REQUIRED = "Vui lòng nhập thông tin này."


def _phone(form, field) -> None:
    normalised = normalise_phone(field.data or "")
    if normalised is None:
        raise ValidationError(PHONE_INVALID)
    field.data = normalised


def _password_length(form, field) -> None:
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    if len(field.data or "") < minimum:
        raise ValidationError(f"Mật khẩu phải có ít nhất {minimum} ký tự.")
    if len(field.data) > 128:
        raise ValidationError("Mật khẩu quá dài (tối đa 128 ký tự).")


def _past_birth_date(form, field) -> None:
    if field.data and not date(1900, 1, 1) <= field.data <= date.today():
        raise ValidationError("Ngày sinh không hợp lệ.")


def _strip(value):
    return clean_text(value) if isinstance(value, str) else value


def _empty_to_none(value):
    return value or None


def _choices(placeholder: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", placeholder), *(SelectChoice(value, label) for value, label in pairs)]


def group_choices() -> list[SelectChoice]:
    return _choices("— Chọn đối tượng —", current_app.config["PARTICIPANT_GROUPS"])


class ProfileForm(Form):
    """The personal details a taker gives at registration and may edit later."""

    full_name = StringField(
        "Họ và tên",
        filters=[_strip],
        validators=[DataRequired(REQUIRED), Length(min=2, max=120, message="Họ và tên từ 2 đến 120 ký tự.")],
    )
    birth_date = DateField("Ngày sinh", validators=[Optional(), _past_birth_date])
    gender = SelectField(
        "Giới tính",
        choices=_choices("— Chọn —", GENDERS.items()),
        filters=[_empty_to_none],
        validators=[Optional()],
    )
    id_number = StringField(
        "Số CCCD",
        filters=[_strip, _empty_to_none],
        validators=[
            Optional(),
            Regexp(r"^(\d{9}|\d{12})$", message="Số CCCD gồm 12 chữ số (CMND cũ: 9 chữ số)."),
        ],
    )
    # Picked by search or step by step (units/picker.py): a select of the whole directory was
    # 697 KB of HTML for a province's 10,000 units.
    unit_code = UnitField("Đơn vị")
    participant_group = SelectField("Đối tượng", filters=[_empty_to_none], validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.participant_group.choices = group_choices()


class RegisterForm(ProfileForm):
    phone = StringField("Số điện thoại", validators=[DataRequired(REQUIRED), _phone])
    password = PasswordField("Mật khẩu", validators=[DataRequired(REQUIRED), _password_length])


class RegisterPageForm(RegisterForm):
    confirm_password = PasswordField(
        "Nhập lại mật khẩu",
        validators=[DataRequired(REQUIRED), EqualTo("password", message="Hai lần nhập mật khẩu không khớp.")],
    )


class LoginForm(Form):
    phone = StringField("Số điện thoại", validators=[DataRequired(REQUIRED)])
    password = PasswordField("Mật khẩu", validators=[DataRequired(REQUIRED)])


class PasswordForm(Form):
    current_password = PasswordField("Mật khẩu hiện tại", validators=[DataRequired(REQUIRED)])
    new_password = PasswordField("Mật khẩu mới", validators=[DataRequired(REQUIRED), _password_length])
    confirm_password = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[DataRequired(REQUIRED), EqualTo("new_password", message="Hai lần nhập mật khẩu không khớp.")],
    )


def _without_spaces(value):
    # "123 456", as an SMS app may show the code, is the code 123456.
    return "".join(value.split()) if isinstance(value, str) else value


class ResetRequestForm(Form):
    phone = StringField("Số điện thoại", validators=[DataRequired(REQUIRED), _phone])


class CodeForm(Form):
    code = StringField(
        "Mã xác nhận", filters=[_without_spaces],
        validators=[DataRequired(REQUIRED), Regexp(r"^[0-9]{6}$", message="Mã xác nhận gồm 6 chữ số.")],
    )


class ResetConfirmForm(Form):
    phone = StringField("Số điện thoại", validators=[DataRequired(REQUIRED), _phone])
    code = CodeForm.code
    new_password = PasswordField("Mật khẩu mới", validators=[DataRequired(REQUIRED), _password_length])


class ResetConfirmPageForm(ResetConfirmForm):
    confirm_password = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[DataRequired(REQUIRED), EqualTo("new_password", message="Hai lần nhập mật khẩu không khớp.")],
    )
