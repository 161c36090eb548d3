"""Accounts: registration, profile and password changes (sign-in is auth/protection.py).
Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quizapp import audit
from quizapp.auth.models import ROLES, User
from quizapp.auth.passwords import hash_password, verify_password
from quizapp.auth.session import end_all_sessions
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.text import clean_text
from quizapp.units.models import Unit

PHONE_TAKEN = "Số điện thoại này đã được đăng ký. Vui lòng đăng nhập hoặc dùng số khác."


def find_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def unit_by_code(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise ValidationFailed({"unit_code": ["Đơn vị không có trong danh mục."]})
    return unit


def register_user(
    *,
    phone: str,
    password: str,
    full_name: str,
    birth_date: date | None = None,
    gender: str | None = None,
    id_number: str | None = None,
    unit_code: str | None = None,
    participant_group: str | None = None,
    role: str = "taker",
) -> User:
    """Create an account from validated input. The phone must already be normalised."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Vai trò phải là một trong: {', '.join(ROLES)}."]})
    full_name = clean_text(full_name)
    if not full_name or len(full_name) > 120:
        raise ValidationFailed({"full_name": ["Họ và tên từ 1 đến 120 ký tự."]})
    if find_by_phone(phone) is not None:
        raise ValidationFailed({"phone": [PHONE_TAKEN]})
    user = User(
        phone=phone,
        password_hash=hash_password(password),
        full_name=full_name,
        birth_date=birth_date,
        gender=gender,
        id_number=id_number,
        unit=unit_by_code(unit_code),
        participant_group=participant_group,
        role=role,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Two registrations of one phone raced past the check above; the unique index won.
        db.session.rollback()
        raise ValidationFailed({"phone": [PHONE_TAKEN]}) from None
    return user


def update_profile(user: User, **fields) -> User:
    unit_code = fields.pop("unit_code", None)
    user.unit = unit_by_code(unit_code)
    user.full_name = clean_text(fields.pop("full_name"))
    for name in ("birth_date", "gender", "id_number", "participant_group"):
        if name in fields:
            setattr(user, name, fields[name])
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": ["Mật khẩu hiện tại không đúng."]})
    user.password_hash = hash_password(new_password)
    # Ends every session of this account, everywhere; the view signs this browser in again.
    end_all_sessions(user)
    return user


def set_role(user: User, role: str, *, by: User) -> None:
    """Change an account's role (audit-logged). An admin cannot take away their own admin role,
    so an installation never loses its last way in."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Vai trò phải là một trong: {', '.join(ROLES)}."]})
    if user.id == by.id and role != user.role:
        raise ValidationFailed({"role": ["Không thể tự đổi vai trò của chính mình; nhờ quản trị viên khác."]})
    if role == user.role:
        return
    audit.record("user.role_changed", "user", user.id, before={"role": user.role}, after={"role": role})
    user.role = role


def set_units_editor(user: User, allowed: bool) -> None:
    """Let an account load and edit the units directory and its headcounts, or stop it
    (audit-logged); its role stays what it is (DESIGN §7)."""
    if user.can_edit_units == allowed:
        return
    audit.record("user.units_editor", "user", user.id, before={"can_edit_units": user.can_edit_units},
                 after={"can_edit_units": allowed})
    user.can_edit_units = allowed
