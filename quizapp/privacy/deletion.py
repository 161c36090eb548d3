"""A person deleting their own account (DESIGN §5 ``DELETE /me``; the page "Xoá tài khoản"):
the password is checked through the hashing slots like every password check (auth/passwords.py),
then the personal data is erased (erasure.py). Withdrawing consent is this too.

Staff accounts (organiser, judge, admin) cannot delete themselves: their actions are the
record of contests and awards, and the last admin would leave an installation nobody can
manage. An admin first changes their role to taker (another admin does it from the accounts
page), then the person deletes the account like any taker.

Wrong passwords are counted per account (``FAILURE_BUDGET``), so a stolen session cannot be
used to guess the password here faster than at sign-in.
"""

from __future__ import annotations

from quizapp.auth.models import User
from quizapp.auth.passwords import verify_password
from quizapp.auth.protection import TooManyFailures
from quizapp.errors import DomainError
from quizapp.limits import count_failure, failure_budget_wait
from quizapp.privacy.erasure import Erased, erase_person

FAILURE_SCOPE = "account-deletion"
FAILURE_BUDGET = "5 per 15 minutes"


class StaffAccountKept(DomainError):
    status, code = 403, "staff_account"
    message = ("Tài khoản của ban tổ chức, ban giám khảo hoặc quản trị viên không tự xoá được. "
               "Hãy nhờ quản trị viên chuyển tài khoản về vai trò người dự thi trước, rồi xoá.")


class WrongPassword(DomainError):
    status, code = 403, "wrong_password"
    message = "Mật khẩu không đúng; tài khoản chưa bị xoá."


def delete_own_account(user: User, password: str) -> Erased:
    """Erase ``user``'s personal data if ``password`` is theirs; never commits. (An erased
    account cannot be signed in, so it never comes here.)"""
    if user.role != "taker":
        raise StaffAccountKept()
    key = str(user.id)
    wait = failure_budget_wait(FAILURE_SCOPE, key, FAILURE_BUDGET)
    if wait is not None:
        raise TooManyFailures(wait)
    if not verify_password(user.password_hash, password):
        count_failure(FAILURE_SCOPE, key, FAILURE_BUDGET)
        raise WrongPassword()
    return erase_person(user, "deletion")
