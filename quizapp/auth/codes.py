"""One-time codes: six digits sent by SMS for a password reset or a phone verification, or read
out by a help desk (DESIGN §5, issue 14).

- **Short-lived and hashed.** A code lives ``CODE_TTL_SECONDS`` (10 minutes) and only an HMAC-SHA256
  of it, keyed with the secret key and bound to its account, the phone it went to and its
  purpose, is stored (a code sent to a number the account no longer has proves nothing; an
  admin's change of the phone also deletes the account's live codes): a million
  possible codes, a few minutes and ``CODE_MAX_TRIES`` (5) wrong tries make a slow hash pointless.
- **One live code per account and purpose.** A new code replaces the old one.
- **Tries counted before the check.** One conditional ``UPDATE … SET tries = tries + 1 …
  RETURNING`` finds the live code and counts the try at once, so parallel guesses cannot get
  more tries than the limit between them, and a used code is deleted in the same transaction.
  The view commits a wrong try even though it answers with an error.
- **No account enumeration** (DESIGN §7). Asking for a reset answers alike for every phone: the
  limits (``code-send-*``, ``limits.spend``) are counted for any number before anything is looked
  up; the request then looks the phone's account up (one indexed read, found or not) and queues
  a job (``jobs.services.defer``) with the account's id, or none, that makes the code and sends
  the SMS in the background worker, after the response. So a phone with an account costs the
  request exactly what one without costs, a slow gateway never holds a web worker, and the job's
  arguments (which the queue keeps, and a worker may log) hold no phone number. Typing a code
  in (``code-check-*``) answers one error, ``code_invalid``, for a wrong code, an expired or
  spent one, no code and no account alike, from the same one statement.
- **Only SMS proves a phone.** A reset with a code that went by SMS also marks the phone verified;
  a help desk's code (``channel`` "helpdesk") does not.

Services never commit; ``deliver`` is a job's entry point and commits like a view.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from hashlib import sha256

from flask import current_app
from flask_limiter.util import get_remote_address
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from quizapp import audit, sms
from quizapp.auth.models import OneTimeCode, User
from quizapp.auth.passwords import hash_password
from quizapp.auth.services import refuse_if_erased
from quizapp.auth.session import end_all_sessions
from quizapp.clock import now
from quizapp.errors import DomainError, ValidationFailed
from quizapp.extensions import db
from quizapp.jobs.services import defer
from quizapp.limits import spend

RESET, VERIFY = "password_reset", "phone_verification"
CODE_PATTERN = re.compile(r"[0-9]{6}")
# Short (one Unicode SMS is 70 characters) and in Vietnamese with its accents.
MESSAGES = {
    RESET: "Mã đặt lại mật khẩu: {code} (hiệu lực {minutes} phút). Không đưa mã này cho ai.",
    VERIFY: "Mã xác minh số điện thoại: {code} (hiệu lực {minutes} phút). Không đưa mã này cho ai.",
}

# What a request for a code is answered, the same whether or not the phone has an account.
RESET_REQUESTED = ("Nếu số điện thoại này đã đăng ký, mã xác nhận sẽ được gửi qua SMS trong ít phút "
                   "(hiệu lực {minutes} phút).")
VERIFY_REQUESTED = "Mã xác minh sẽ được gửi qua SMS tới số điện thoại của bạn trong ít phút (hiệu lực {minutes} phút)."


class CodeInvalid(ValidationFailed):
    code = "code_invalid"
    message = "Mã xác nhận không đúng hoặc đã hết hạn. Hãy kiểm tra lại, hoặc yêu cầu mã mới."

    def __init__(self) -> None:
        super().__init__({"code": [self.message]}, self.message)


class CodeRequestsSpent(DomainError):
    status, code = 429, "rate_limited"
    message = "Bạn đã thao tác quá nhiều lần. Vui lòng chờ {minutes} phút rồi thử lại."

    def __init__(self, retry_after: int) -> None:
        super().__init__(self.message.format(minutes=max(1, -(-retry_after // 60))))
        self.retry_after = retry_after


class PhoneAlreadyVerified(DomainError):
    status, code = 409, "phone_already_verified"
    message = "Số điện thoại của bạn đã được xác minh."


def minutes_valid() -> int:
    return max(1, int(current_app.config["CODE_TTL_SECONDS"]) // 60)


def _digest(user_id: int, phone: str, purpose: str, code: str) -> str:
    key = current_app.secret_key.encode()
    return hmac.new(key, f"{user_id}:{phone}:{purpose}:{code}".encode(), sha256).hexdigest()


def issue(user: User, purpose: str, channel: str) -> str:
    """A new code for ``user`` and ``purpose``, replacing any earlier one; returns the code."""
    code = f"{secrets.randbelow(10**6):06d}"
    moment = now()
    lifetime = timedelta(seconds=int(current_app.config["CODE_TTL_SECONDS"]))
    values = {"channel": channel, "code_hash": _digest(user.id, user.phone, purpose, code), "tries": 0,
              "created_at": moment, "expires_at": moment + lifetime}
    replaced = update(OneTimeCode).where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose).values(
        **values).execution_options(synchronize_session=False)
    if db.session.execute(replaced).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(OneTimeCode(user_id=user.id, purpose=purpose, **values))
        except IntegrityError:
            # Another code for the same account and purpose was inserted meanwhile: replace it.
            db.session.execute(replaced)
    return code


def _spend(kind: str, phone: str) -> None:
    """Count this request in the address's and the phone's budget for ``kind`` ("send" or
    "check"); the same for any phone, with an account or not."""
    config = current_app.config
    for scope, key, limit in (
        (f"code-{kind}-ip", f"ip:{get_remote_address()}", config[f"RATELIMIT_CODE_{kind.upper()}_PER_IP"]),
        (f"code-{kind}-phone", f"phone:{phone}", config[f"RATELIMIT_CODE_{kind.upper()}_PER_PHONE"]),
    ):
        wait = spend(scope, key, limit)
        if wait is not None:
            raise CodeRequestsSpent(wait)


def _redeem(phone: str, purpose: str, code: str):
    """The live code of the account with ``phone`` for ``purpose`` if ``code`` is it (then it is
    used up); ``CodeInvalid`` otherwise, with the try counted (the view commits it)."""
    code = code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise CodeInvalid()
    owner = select(User.id).where(User.phone == phone).scalar_subquery()
    found = db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == owner, OneTimeCode.purpose == purpose, OneTimeCode.expires_at > now(),
               OneTimeCode.tries < int(current_app.config["CODE_MAX_TRIES"]))
        .values(tries=OneTimeCode.tries + 1)
        .returning(OneTimeCode.id, OneTimeCode.user_id, OneTimeCode.code_hash, OneTimeCode.channel)
        .execution_options(synchronize_session=False)
    ).first()
    if found is None or not hmac.compare_digest(found.code_hash, _digest(found.user_id, phone, purpose, code)):
        raise CodeInvalid()
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.id == found.id))
    return found


@contextlib.contextmanager
def wrong_tries_kept() -> Iterator[None]:
    """For views: a wrong code is answered with an error, but its try stays counted (committed),
    or a guesser would get every try back with the rollback."""
    try:
        yield
    except CodeInvalid:
        db.session.commit()
        raise


# --- password reset -----------------------------------------------------------------------


def request_reset(phone: str) -> None:
    """Send a reset code to ``phone`` (normalised) if it has an account; the caller answers 202
    whatever happens next. Raises ``CodeRequestsSpent`` (429) when a budget is spent."""
    _spend("send", phone)
    defer(deliver, RESET, db.session.scalar(select(User.id).where(User.phone == phone)))


def reset_password(phone: str, code: str, new_password: str) -> User:
    """Set a new password with a reset code: every session of the account and every browser's
    sign-in trust end (the view signs this browser in). A code that came by SMS also proves the
    phone. Raises ``CodeRequestsSpent``, ``CodeInvalid`` (commit the counted try) or
    ``HashingBusy`` (roll back: the code stays usable)."""
    _spend("check", phone)
    found = _redeem(phone, RESET, code)
    user = db.session.get(User, found.user_id)
    if not user.is_active:
        raise CodeInvalid()
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    if found.channel == "sms" and user.phone_verified_at is None:
        user.phone_verified_at = now()
    audit.record("user.password_reset", "user", user.id, after={"code": found.channel})
    return user


def help_desk_code(user: User) -> str:
    """A reset code for a help desk to read out to the account's owner (audit-logged; the code
    itself never is). It replaces any code sent by SMS and does not prove the phone. Refused
    (``AccountErased``) for an erased account."""
    refuse_if_erased(user)
    code = issue(user, RESET, "helpdesk")
    audit.record("user.reset_code", "user", user.id, after={"minutes": minutes_valid()})
    return code


# --- phone verification ---------------------------------------------------------------------


def request_verification(user: User) -> None:
    """Send a verification code to the account's own phone. Raises ``PhoneAlreadyVerified``
    (409) or ``CodeRequestsSpent`` (429)."""
    if user.phone_verified_at is not None:
        raise PhoneAlreadyVerified()
    _spend("send", user.phone)
    defer(deliver, VERIFY, user.id)


def verify_phone(user: User, code: str) -> None:
    """Mark the account's phone verified with the code sent to it. Raises
    ``PhoneAlreadyVerified``, ``CodeRequestsSpent`` or ``CodeInvalid`` (commit the try)."""
    if user.phone_verified_at is not None:
        raise PhoneAlreadyVerified()
    _spend("check", user.phone)
    _redeem(user.phone, VERIFY, code)
    user.phone_verified_at = now()


# --- the background job ---------------------------------------------------------------------


def deliver(purpose: str, user_id: int | None) -> None:
    """Make a code for the account ``user_id`` and send it by SMS to its phone as it is now;
    nothing for no account, a disabled one (or an already verified one). Runs after the response
    (``defer``), in the worker; commits the code before sending, so a code that arrives always
    works."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or (purpose == VERIFY and user.phone_verified_at is not None):
        return
    code = issue(user, purpose, "sms")
    db.session.commit()
    sms.send(user.phone, MESSAGES[purpose].format(code=code, minutes=minutes_valid()))
