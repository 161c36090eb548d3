"""Upload previews: a bank file (and its answer key file) kept from its preview until confirmed.

They live in the database (``UploadPreview``), not on one server's disk (DESIGN §7): behind a
load balancer the confirmation may reach another server than the preview did. However the
browsers behave, the previews stay within ``UPLOAD_PREVIEW_SECONDS`` of age and
``UPLOAD_PREVIEW_MAX_FILES`` files and ``UPLOAD_PREVIEW_MAX_BYTES`` bytes in all, whoever
uploaded them: a script replaying one stale cookie never has its earlier previews in its
session, so the session's own cap never frees them. A person whose preview went first is told
to upload again when confirming.

Like the other services these flush and never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import Row, delete, select

from quizapp.banks.models import UploadPreview
from quizapp.clock import now
from quizapp.extensions import db


def keep(owner_id: int, filename: str, data: bytes, *, slug: str, title: str | None,
         key: tuple[str, bytes] | None = None) -> str:
    """Store a previewed file (and its answer key file) for ``owner_id``, making room first;
    return its token."""
    config = current_app.config
    files = 2 if key else 1
    size = len(data) + (len(key[1]) if key else 0)
    make_room(max_age=float(config["UPLOAD_PREVIEW_SECONDS"]),
              max_files=int(config["UPLOAD_PREVIEW_MAX_FILES"]) - files,
              max_bytes=int(config["UPLOAD_PREVIEW_MAX_BYTES"]) - size)
    token = secrets.token_hex(16)
    db.session.add(UploadPreview(
        token=token, owner_id=owner_id, created_at=now(), filename=filename, slug=slug, title=title or None,
        byte_size=size, data=data, key_filename=key[0] if key else None, key_data=key[1] if key else None,
    ))
    db.session.flush()
    return token


def make_room(*, max_age: float, max_files: int, max_bytes: int) -> None:
    """Delete previews past their age, then the oldest until at most ``max_files`` files (a
    preview with a key file counts two) of ``max_bytes`` in all are left.

    Reads the sizes only, never a file's bytes. Two servers making room at once may both
    delete a row: deleting one already gone deletes nothing.
    """
    _delete(UploadPreview.created_at < now() - timedelta(seconds=max_age))
    rows = db.session.execute(
        select(UploadPreview.token, UploadPreview.byte_size, UploadPreview.key_filename.is_not(None))
        .order_by(UploadPreview.created_at, UploadPreview.token)
    ).all()
    files = sum(1 + bool(with_key) for _token, _size, with_key in rows)
    total = sum(size for _token, size, _with_key in rows)
    doomed = []
    for token, size, with_key in rows:
        if files <= max(max_files, 0) and total <= max_bytes:
            break
        doomed.append(token)
        files -= 1 + bool(with_key)
        total -= size
    if doomed:
        _delete(UploadPreview.token.in_(doomed))


def take(token: str, owner_id: int) -> Row | None:
    """Delete the preview ``token`` of ``owner_id`` (it is confirmed once) and return its
    ``filename``, ``slug``, ``title``, ``data``, ``key_filename`` and ``key_data``; None when it is
    gone (confirmed, or made room for) or another account's.

    One DELETE … RETURNING: of two confirmations at once (a double click), one gets the file.
    """
    return db.session.execute(
        delete(UploadPreview)
        .where(UploadPreview.token == token, UploadPreview.owner_id == owner_id)
        .returning(UploadPreview.filename, UploadPreview.slug, UploadPreview.title, UploadPreview.data,
                   UploadPreview.key_filename, UploadPreview.key_data),
        execution_options={"synchronize_session": False},
    ).one_or_none()


def discard(tokens: Iterable[str], owner_id: int) -> None:
    """Delete these previews of ``owner_id`` (a session that no longer keeps their tokens)."""
    tokens = list(tokens)
    if tokens:
        _delete(UploadPreview.token.in_(tokens), UploadPreview.owner_id == owner_id)


def _delete(*conditions) -> None:
    # The rows deleted here are never loaded in the session: no need to look for them there.
    db.session.execute(delete(UploadPreview).where(*conditions), execution_options={"synchronize_session": False})
