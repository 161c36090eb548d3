"""Who may see which question bank.

A bank holds answer keys, so it is need-to-know. A bank uploaded through the pages (or imported
with ``banks import --owner PHONE``) is seen by its owner, by the organisers of any contest that
draws from it, and by admins. A bank the server's admin imported without an owner (the sample
banks, an official bank for every district) is shared with every organiser.

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
from quizapp.extensions import db


@dataclass(frozen=True)
class Draws:
    """What the contests tell banks about the contests a person organises."""

    # The slugs of the banks their rounds draw from.
    banks_drawn_by: Callable[[object], set[str]]
    # Those of them that draw from one bank, for the bank's page ("Dùng trong").
    contests_drawing_from: Callable[[object, Bank], list]


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


def contests_drawing_from(user, bank: Bank) -> list:
    """The contests ``user`` organises whose rounds draw from ``bank``, for the bank's page."""
    return _draws().contests_drawing_from(user, bank)
