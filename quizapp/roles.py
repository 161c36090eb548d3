"""The account-role check every feature's pages use: ``role_required``.

It sits below the features, beside the other helpers they share, so that a package such as
``units`` can guard its pages without importing ``auth``, which itself uses units.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Signed-in users holding one of ``roles`` (an admin holds them all); others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
