"""Contest passwords: a closed contest asks for its password once per browser session."""

from __future__ import annotations

from flask import session

from quizapp.auth.passwords import verify_password
from quizapp.contests.models import Contest
from quizapp.errors import DomainError


class ContestPasswordWrong(DomainError):
    status, code = 403, "contest_password_wrong"
    message = "Mật khẩu cuộc thi không đúng."


def contest_unlocked(contest: Contest) -> bool:
    return contest.password_hash is None or contest.id in session.get("contests_unlocked", [])


def unlock_contest(contest: Contest, password: str) -> None:
    if not verify_password(contest.password_hash, password):
        raise ContestPasswordWrong()
    unlocked = session.setdefault("contests_unlocked", [])
    if contest.id not in unlocked:
        unlocked.append(contest.id)
        session.modified = True
