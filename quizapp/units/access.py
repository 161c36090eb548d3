"""Who may change the units directory (DESIGN §7).

The directory is one for the whole installation: every organisation's takers pick their unit
from it and collective prizes count people by it. So loading it and editing headcounts is for
admins and for the accounts an admin grants ``can_edit_units``, whatever their role; any
organiser may read it. Units sit below accounts, so the account is only read, never imported.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def may_edit_directory(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == "admin" or bool(getattr(user, "can_edit_units", False))


def may_read_directory(user) -> bool:
    return may_edit_directory(user) or (getattr(user, "is_authenticated", False) and user.has_role("organiser"))


def directory_required(*, edit: bool):
    """Signed-in accounts that may read (or, with ``edit``, change) the directory; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            allowed = may_edit_directory(current_user) if edit else may_read_directory(current_user)
            if not allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
