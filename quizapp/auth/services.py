"""Accounts: registration, profile and password changes, and what admins change about an
account (its details, role, and whether it may sign in); sign-in is auth/protection.py.
Registration and birth dates need the privacy notice's consent (auth/terms.py), checked and
recorded here, in the transaction of the change. Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from quizapp import audit
from quizapp.auth import terms
from quizapp.auth.forms import PHONE_INVALID
from quizapp.auth.models import ROLES, OneTimeCode, User
from quizapp.auth.passwords import hash_password, verify_password
from quizapp.auth.session import end_all_sessions
from quizapp.errors import DomainError, ValidationFailed
from quizapp.extensions import db
from quizapp.phone import normalise_phone
from quizapp.text import clean_text
from quizapp.units.models import Unit

PHONE_TAKEN = "Số điện thoại này đã được đăng ký. Vui lòng đăng nhập hoặc dùng số khác."
NAME_INVALID = "Họ và tên từ 1 đến 120 ký tự."


class AccountChangeRefused(DomainError):
    """A change to an account that would leave the installation without a way in."""

    status, code = 409, "account_change_refused"


class AccountErased(AccountChangeRefused):
    """A change to an account whose personal data was erased (privacy/erasure.py): erasure is
    final, so nothing switches the account on again or gives it a name, phone or role back."""

    status, code = 422, "account_erased"
    message = ("Dữ liệu cá nhân của tài khoản này đã bị xoá; tài khoản không thể mở khoá, "
               "sửa thông tin, đổi vai trò hay cấp mã đặt lại mật khẩu.")


def refuse_if_erased(user: User) -> None:
    """``AccountErased`` for an erased account; every change an admin can make calls it first."""
    if user.erased_at is not None:
        raise AccountErased()


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
    consent: terms.GivenConsent,
    birth_date: date | None = None,
    gender: str | None = None,
    id_number: str | None = None,
    unit_code: str | None = None,
    participant_group: str | None = None,
    role: str = "taker",
) -> User:
    """Create an account from validated input. The phone must already be normalised.

    Refused before anything is written without the current notice's consent, or for a person
    under 16 without a guardian's; the consent is written with the account, so the account
    never exists without it."""
    record_consent = terms.terms().check_registration(consent, birth_date)
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Vai trò phải là một trong: {', '.join(ROLES)}."]})
    full_name = _valid_name(full_name)
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
    record_consent(user)
    db.session.flush()
    return user


def _valid_name(full_name: str | None) -> str:
    full_name = clean_text(full_name)
    if not full_name or len(full_name) > 120:
        raise ValidationFailed({"full_name": [NAME_INVALID]})
    return full_name


def update_profile(user: User, *, consent: terms.GivenConsent, **fields) -> User:
    """The person corrects their own profile. A birth date first entered or changed to a child's
    needs a guardian's consent in ``consent``: without it nothing changes; with it, it is recorded
    with the change."""
    record_consent = terms.terms().check_birth_date(user, fields.get("birth_date"), consent)
    unit_code = fields.pop("unit_code", None)
    user.unit = unit_by_code(unit_code)
    user.full_name = clean_text(fields.pop("full_name"))
    for name in ("birth_date", "gender", "id_number", "participant_group"):
        if name in fields:
            setattr(user, name, fields[name])
    if record_consent is not None:
        record_consent(user)
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
    so an installation never loses its last way in, nor can the last active admin be made
    anything else."""
    refuse_if_erased(user)
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Vai trò phải là một trong: {', '.join(ROLES)}."]})
    if user.id == by.id and role != user.role:
        raise ValidationFailed({"role": ["Không thể tự đổi vai trò của chính mình; nhờ quản trị viên khác."]})
    if role == user.role:
        return
    if user.role == "admin" and user.is_active:
        _keep_an_admin(user, "Không thể bỏ quyền của quản trị viên cuối cùng còn hoạt động: hãy cấp quyền quản "
                             "trị cho một tài khoản khác trước.")
    audit.record("user.role_changed", "user", user.id, before={"role": user.role}, after={"role": role})
    user.role = role


def set_units_editor(user: User, allowed: bool) -> None:
    """Let an account load and edit the units directory and its headcounts, or stop it
    (audit-logged); its role stays what it is (DESIGN §7)."""
    refuse_if_erased(user)
    if user.can_edit_units == allowed:
        return
    audit.record("user.units_editor", "user", user.id, before={"can_edit_units": user.can_edit_units},
                 after={"can_edit_units": allowed})
    user.can_edit_units = allowed


def update_account(user: User, *, full_name: str | None, phone: str | None, unit_code: str | None) -> dict:
    """An admin corrects an account's name, phone and unit (audit-logged with the values before
    and after); returns what changed. Every field is checked before anything changes, and
    every problem is named at its field."""
    refuse_if_erased(user)
    errors: dict[str, list[str]] = {}
    try:
        full_name = _valid_name(full_name)
    except ValidationFailed as error:
        errors.update(error.fields)
    normalised = normalise_phone(phone or "")
    if normalised is None:
        errors["phone"] = [PHONE_INVALID]
    elif normalised != user.phone:
        other = find_by_phone(normalised)
        if other is not None and other.id != user.id:
            errors["phone"] = [f"Số điện thoại này đã thuộc tài khoản khác ({other.full_name})."]
    unit = None
    try:
        unit = unit_by_code(clean_text(unit_code) or None)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(errors)
    before = {"full_name": user.full_name, "phone": user.phone, "unit_code": user.unit.code if user.unit else None}
    after = {"full_name": full_name, "phone": normalised, "unit_code": unit.code if unit else None}
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return {}
    audit.record("user.updated", "user", user.id, before={name: before[name] for name in changed},
                 after={name: after[name] for name in changed})
    if user.phone != normalised:
        # A new number has not been proven to be the person's (phone verification, issue 14),
        # and a code sent to the old one must not prove it or reset the password.
        user.phone_verified_at = None
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    user.full_name, user.phone, user.unit = full_name, normalised, unit
    try:
        db.session.flush()
    except IntegrityError:
        # Another request gave the phone to another account since the check above.
        db.session.rollback()
        raise ValidationFailed({"phone": [PHONE_TAKEN]}) from None
    return {name: after[name] for name in changed}


def _keep_an_admin(user: User, refusal: str) -> None:
    """Refuse (``AccountChangeRefused``) to take ``user``, an active admin, out of the admins when
    no other active admin would be left: for disabling and for demoting alike.

    Every active admin's row is locked, ``user``'s included, in id order: two admins disabling
    or demoting each other at once then queue on the same first row instead of each holding
    the other's (a deadlock on PostgreSQL), and the second one counts after the first commits."""
    admins = db.session.scalars(
        select(User.id).where(User.role == "admin", User.is_active).order_by(User.id).with_for_update()
    ).all()
    if not any(admin_id != user.id for admin_id in admins):
        raise AccountChangeRefused(refusal)


def disable_account(user: User, *, by: User | None = None) -> bool:
    """Stop ``user`` from signing in and end every session of theirs now, and every browser's
    sign-in trust for them (DESIGN §7); audit-logged. False if it was disabled already.

    Refused for an admin's own account, and for the last active admin: the installation
    would have nobody left to undo it from the pages."""
    if not user.is_active:
        return False
    if by is not None and by.id == user.id:
        raise AccountChangeRefused("Không thể tự khoá tài khoản của chính mình; nhờ quản trị viên khác.")
    if user.role == "admin":
        _keep_an_admin(user, "Không thể khoá quản trị viên cuối cùng còn hoạt động: hãy cấp quyền quản trị cho "
                             "một tài khoản khác trước.")
    audit.record("user.disabled", "user", user.id, before={"is_active": True}, after={"is_active": False})
    user.is_active = False
    # The session version is in every cookie and every sign-in trust cookie: both die with it.
    end_all_sessions(user)
    return True


def enable_account(user: User) -> bool:
    """Let a disabled account sign in again (audit-logged); False if it was not disabled.
    Its old sessions stay ended: the person signs in afresh. An erased account stays off for good
    (``AccountErased``; the database refuses it too)."""
    refuse_if_erased(user)
    if user.is_active:
        return False
    audit.record("user.enabled", "user", user.id, before={"is_active": False}, after={"is_active": True})
    user.is_active = True
    return True
