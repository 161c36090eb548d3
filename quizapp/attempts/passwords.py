"""Contest passwords: a closed contest asks for its password once per browser session.

Guesses are budgeted per account and contest (``limits.contest_password_try``), one budget
for the contest page's form and a start through the API alike.
"""

from __future__ import annotations

from flask import session

from quizapp.auth.passwords import check_password
from quizapp.contests.models import Contest
from quizapp.errors import DomainError
from quizapp.limits import contest_password_try


class ContestPasswordWrong(DomainError):
    status, code = 403, "contest_password_wrong"
    message = "Mật khẩu cuộc thi không đúng."


class ContestPasswordTries(DomainError):
    status, code = 429, "rate_limited"
    message = "Bạn đã nhập sai mật khẩu cuộc thi quá nhiều lần. Vui lòng chờ một lát rồi thử lại."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def contest_unlocked(contest: Contest) -> bool:
    return contest.password_hash is None or contest.id in session.get("contests_unlocked", [])


def unlock_contest(contest: Contest, user_id: int, password: str) -> None:
    """Unlock ``contest`` for this browser session, or raise why not.

    A session that has it unlocked already spends nothing (a phone may send the password with
    every start); any other guess is counted before the password is checked.
    """
    if contest_unlocked(contest):
        return
    wait = contest_password_try(user_id, contest.id)
    if wait is not None:
        raise ContestPasswordTries(wait)
    ok, new_hash = check_password(contest.password_hash, password)
    if not ok:
        raise ContestPasswordWrong()
    if new_hash is not None:  # made at an older cost; the caller commits
        contest.password_hash = new_hash
    session.setdefault("contests_unlocked", []).append(contest.id)
    session.modified = True
