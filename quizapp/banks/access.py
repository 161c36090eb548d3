"""Who may see and who may change which question bank.

A bank holds answer keys, so it is need-to-know. A bank uploaded through the pages (or imported
with ``banks import --owner PHONE``) is seen by its owner, by the organisers of any contest that
draws from it, and by admins. A bank the server's admin imported without an owner (the sample
banks, an official bank for every district) is shared with every organiser.

Changing a bank (editing or (de)activating a question, importing into it) is for its owner and
admins only; a shared bank is read-only to every organiser (DESIGN §3 rule 9), who may copy it
into a bank of their own instead. Another organisation's edit must never reach a contest that
draws from the bank.

Which contests draw from a bank is the contests package's knowledge, and contests sit above banks
(a round draws questions from them). So contests lend that knowledge to this module when the app
is built (``init_app``, called by contests.access.init_app), and banks never import contests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, abort, current_app
from flask_login import current_user
from sqlalchemy import ColumnElement, false, or_, select, true

from quizapp.banks.models import Bank
from quizapp.errors import Forbidden
from quizapp.extensions import db


class BankReadOnly(Forbidden):
    code = "bank_read_only"
    message = ("Ngân hàng này chỉ đọc với bạn: chỉ người tạo ngân hàng và quản trị viên được sửa. "
               "Bạn có thể sao chép thành ngân hàng của mình.")


@dataclass(frozen=True)
class LiveRound:
    """A round that is open or yet to open and may draw a given question, for the edit page."""

    contest: str
    number: int
    title: str
    state: str


@dataclass(frozen=True)
class Draws:
    """What the contests tell banks about the contests a person organises."""

    # The slugs of the banks their rounds draw from.
    banks_drawn_by: Callable[[object], set[str]]
    # Those of them that draw from one bank, for the bank's page ("Dùng trong").
    contests_drawing_from: Callable[[object, Bank], list]
    # Every open or scheduled round, of any contest, whose draw takes from a bank (and topic).
    live_rounds_drawing: Callable[[Bank, str | None], list[LiveRound]]


def init_app(app: Flask, draws: Draws) -> None:
    app.extensions["quizapp.bank_draws"] = draws


def _draws() -> Draws:
    return current_app.extensions["quizapp.bank_draws"]


def bank_filter(user) -> ColumnElement[bool]:
    """A WHERE clause on ``Bank`` keeping the banks ``user`` may see and draw from."""
    if user.role == "admin":
        return true()
    # Only accounts that may organise see banks at all (has_role: organisers and admins).
    if not user.has_role("organiser"):
        return false()
    drawn = _draws().banks_drawn_by(user)
    return or_(Bank.owner_id.is_(None), Bank.owner_id == user.id, Bank.slug.in_(sorted(drawn)))


def may_see_bank(user, bank: Bank) -> bool:
    return db.session.scalar(select(Bank.id).where(Bank.id == bank.id, bank_filter(user))) is not None


def bank_or_abort(slug: str) -> Bank:
    """The bank named ``slug`` if the signed-in user may see it: else 404 or 403."""
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
    if bank is None:
        abort(404)
    if not may_see_bank(current_user, bank):
        abort(403)
    return bank


def may_write_bank(user, bank: Bank) -> bool:
    """Its owner (while still an organiser) and admins; nobody but admins for a shared bank."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    return bank.owner_id is not None and bank.owner_id == user.id and user.has_role("organiser")


def writable_bank_or_abort(slug: str) -> Bank:
    """The bank named ``slug`` if the signed-in user may change it: else 404, or 403."""
    bank = bank_or_abort(slug)
    if not may_write_bank(current_user, bank):
        raise BankReadOnly()
    return bank


def live_rounds_drawing(bank: Bank, topic: str | None) -> list[LiveRound]:
    return _draws().live_rounds_drawing(bank, topic)


def contests_drawing_from(user, bank: Bank) -> list:
    """The contests ``user`` organises whose rounds draw from ``bank``, for the bank's page."""
    return _draws().contests_drawing_from(user, bank)
