"""Who may see and change which contest.

One installation serves several organisations, so a staff role is held per contest
(``ContestStaff``): the organisers of a contest edit it, watch its participation and add
co-organisers and judges; its judges rank, decide flags, give awards and lock results. The
account's own role (``User.role``) only says what a person may be at all: an organiser may
create contests and be added as a co-organiser, a judge may be assigned to contests, an admin
manages accounts and may see and do everything. Every page and export that shows one contest
asks this module first; anyone else gets 403.

Question banks decide their own visibility (quizapp/banks/access.py); this module lends them the
one fact only contests know, which banks a person's contests draw from (``init_app``).
"""

from __future__ import annotations

from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import ColumnElement, select, true

from quizapp import audit, clock
from quizapp.auth.models import User
from quizapp.banks import access as bank_access
from quizapp.banks.models import Bank
from quizapp.contests.models import ROUND_STATES, STAFF_ROLES, Contest, ContestStaff, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.phone import mask_phone

# Which account roles may hold a contest role. Only an admin turns a taker into staff.
ELIGIBLE = {"organiser": ("organiser", "admin"), "judge": ("judge", "organiser", "admin")}
ROLE_LABELS = {"organiser": "Ban tổ chức", "judge": "Ban giám khảo"}


class StaffInvalid(DomainError):
    status = 422
    code = "staff_invalid"


def _is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == "admin"


def roles_in(user, contest: Contest) -> frozenset[str]:
    """The contest roles ``user`` holds in ``contest`` (an admin holds them all)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if _is_admin(user):
        return frozenset(STAFF_ROLES)
    return frozenset(db.session.scalars(
        select(ContestStaff.role).where(ContestStaff.contest_id == contest.id, ContestStaff.user_id == user.id)
    ))


def may(user, contest: Contest, *roles: str) -> bool:
    """Whether ``user`` holds one of ``roles`` in ``contest`` and their account still allows it."""
    held = roles_in(user, contest) & set(roles)
    return any(user.role in ELIGIBLE[role] for role in held)


def contest_filter(user, *roles: str) -> ColumnElement[bool]:
    """A WHERE clause on ``Contest`` keeping the contests ``user`` holds one of ``roles`` in."""
    if _is_admin(user):
        return true()
    allowed = [role for role in roles if user.role in ELIGIBLE[role]]
    return Contest.id.in_(
        select(ContestStaff.contest_id).where(ContestStaff.user_id == user.id, ContestStaff.role.in_(allowed))
    )


def contest_or_abort(slug: str, *roles: str) -> Contest:
    """The contest named ``slug`` if the signed-in user holds one of ``roles`` in it: else 404 or 403."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None:
        abort(404)
    if not may(current_user, contest, *roles):
        abort(403)
    return contest


def round_or_abort(round_id: int, *roles: str) -> Round:
    """The round with ``round_id`` if the signed-in user holds one of ``roles`` in its contest."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    if not may(current_user, round_.contest, *roles):
        abort(403)
    return round_


# --- changing who holds a role ------------------------------------------------------------


def add_staff(contest: Contest, user: User, role: str, *, by: User | None) -> ContestStaff:
    """Give ``user`` ``role`` in ``contest`` (audit-logged); refuse accounts that cannot hold it."""
    if role not in STAFF_ROLES:
        raise StaffInvalid(f"Vai trò không hợp lệ: {role}.")
    if user.role not in ELIGIBLE[role]:
        # Neither the name nor the whole number: an organiser typing any phone must not learn
        # who the person behind it is (a taker's data is theirs, DESIGN §3 rule 7).
        raise StaffInvalid(
            f"Số {mask_phone(user.phone)}: tài khoản này chưa được cấp quyền "
            f"{ROLE_LABELS[role].lower()}; nhờ quản trị viên cấp quyền trước."
        )
    existing = db.session.scalar(select(ContestStaff).where(
        ContestStaff.contest_id == contest.id, ContestStaff.user_id == user.id, ContestStaff.role == role
    ))
    if existing is not None:
        return existing
    staff = ContestStaff(contest=contest, user=user, role=role, added_by_id=by.id if by else None)
    db.session.add(staff)
    db.session.flush()
    audit.record("contest.staff_added", "contest", contest.id,
                 after={"contest": contest.slug, "phone": user.phone, "role": role}, subject=user.id)
    return staff


def remove_staff(contest: Contest, staff_id: int, *, by: User | None) -> None:
    """Take a role away (audit-logged); a contest always keeps at least one organiser."""
    staff = db.session.get(ContestStaff, staff_id)
    if staff is None or staff.contest_id != contest.id:
        raise StaffInvalid("Không tìm thấy người này trong cuộc thi.")
    if staff.role == "organiser":
        organisers = [row for row in contest.staff if row.role == "organiser"]
        if len(organisers) <= 1:
            raise StaffInvalid("Cuộc thi phải còn ít nhất một người trong ban tổ chức.")
    audit.record("contest.staff_removed", "contest", contest.id,
                 before={"contest": contest.slug, "phone": staff.user.phone, "role": staff.role},
                 subject=staff.user_id)
    contest.staff.remove(staff)
    db.session.flush()


# --- question banks -------------------------------------------------------------------------
# Banks decide who sees them (quizapp/banks/access.py); the organisers of a contest that draws
# from a bank are among them, and only contests know which those are, so they tell banks.


def banks_drawn_by(user) -> set[str]:
    """The slugs of the banks drawn by the rounds of every contest ``user`` organises."""
    organised = db.session.scalars(select(Round).join(Contest).where(contest_filter(user, "organiser")))
    return {slug for round_ in organised for slug in round_.bank_slugs}


def contests_drawing_from(user, bank: Bank) -> list[Contest]:
    """The contests ``user`` organises whose rounds draw from ``bank``, for the bank's page."""
    contests = db.session.scalars(select(Contest).where(contest_filter(user, "organiser")).order_by(Contest.id.desc()))
    return [contest for contest in contests if any(bank.slug in round_.bank_slugs for round_ in contest.rounds)]


def live_rounds_drawing(bank: Bank, topic: str | None) -> list[bank_access.LiveRound]:
    """Every round of any contest, open or yet to open, whose draw may take a question of
    ``bank`` in ``topic``: what an edit of that question would have reached before revisions."""
    now = clock.now()
    rounds = db.session.scalars(
        select(Round).join(Contest).where(Round.closes_at > now).order_by(Round.opens_at, Round.id))
    return [
        bank_access.LiveRound(round_.contest.title, round_.number, round_.title, ROUND_STATES[round_.status(now)])
        for round_ in rounds
        if any(entry["bank"] == bank.slug and entry.get("topic") in (None, "", topic) for entry in round_.draw or ())
    ]


def init_app(app: Flask) -> None:
    bank_access.init_app(app, bank_access.Draws(banks_drawn_by, contests_drawing_from, live_rounds_drawing))
