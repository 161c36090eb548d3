from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from quizapp.auth.sealed import Sealed
from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db
from quizapp.text import fold
from quizapp.units.models import Unit

ROLES = ("taker", "organiser", "judge", "admin")
ROLE_LABELS = {
    "taker": "Người dự thi",
    "organiser": "Ban tổ chức",
    "judge": "Ban giám khảo",
    "admin": "Quản trị hệ thống",
}
# What each role lets a person do, as the admin's confirmation before a role change says it.
ROLE_GRANTS = {
    "taker": "Đăng ký dự thi, làm bài và xem kết quả của chính mình. Không xem được dữ liệu của người khác.",
    "organiser": "Tạo cuộc thi và ngân hàng câu hỏi, sửa các cuộc thi mình phụ trách, theo dõi số liệu "
                 "tham gia và xem danh sách người dự thi (họ tên, số điện thoại, đơn vị) của các cuộc thi đó.",
    "judge": "Xem bảng xếp hạng với họ tên và số điện thoại người dự thi, xét các lượt thi bị đánh dấu, "
             "trao giải và khoá kết quả của các cuộc thi được phân công.",
    "admin": "Toàn quyền trên hệ thống: mọi tài khoản (sửa, khoá, đổi vai trò), mọi cuộc thi, ngân hàng "
             "câu hỏi, danh mục đơn vị, nhật ký thao tác và dữ liệu cá nhân của tất cả người dự thi.",
}
GENDERS = {"male": "Nam", "female": "Nữ", "other": "Khác"}


def _in(column: str, values) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


NAME_LENGTH = 120


def _search_key_default(context) -> str:
    """For rows inserted without the ORM's attributes (``insert(User)`` with dictionaries)."""
    return fold(context.get_current_parameters().get("full_name"))[:NAME_LENGTH]


def _has_id_number_default(context) -> bool:
    """For rows inserted without the ORM's attributes (``insert(User)`` with dictionaries)."""
    return bool(context.get_current_parameters().get("id_number"))


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role_known"),
        CheckConstraint(f"gender IS NULL OR {_in('gender', GENDERS)}", name="gender_known"),
        # Erasure is final (privacy/erasure.py): an erased account is never switched on again,
        # whatever path writes the row.
        CheckConstraint("erased_at IS NULL OR NOT is_active", name="erased_stays_disabled"),
        # The admins' search looks for a piece of the folded name anywhere in it: PostgreSQL
        # answers that from a trigram index (pg_trgm); SQLite scans this index, a third of the
        # table's bytes, instead of the rows.
        Index("ix_users_search_key", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised to ten digits, 0xxxxxxxxx (see quizapp/phone.py).
    phone: Mapped[str] = mapped_column(String(10), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # The name folded (quizapp.text.fold: no case, tones or marks, "đ" as "d"), for searches:
    # kept by ``_fold_name`` whenever ``full_name`` is set, on every path that writes a name.
    # A bulk UPDATE of names (not the ORM attribute) must set it too.
    search_key: Mapped[str] = mapped_column(String(NAME_LENGTH), default=_search_key_default, server_default="")
    birth_date: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(8))
    # The ID number (CCCD) is encrypted at rest (auth/sealed.py, privacy/idnumbers.py): reading it
    # decrypts it. What only needs to know whether one was given (award eligibility, exports)
    # reads ``has_id_number``, kept by ``_note_id_number`` on every path that writes the number;
    # a bulk UPDATE of numbers (not the ORM attribute) must set it too.
    # Deferred: loading an account (every request) neither reads nor decrypts it.
    id_number: Mapped[str | None] = mapped_column(Sealed(), deferred=True)
    has_id_number: Mapped[bool] = mapped_column(default=_has_id_number_default, server_default="0")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    participant_group: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default="taker")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Granted by an admin (DESIGN §7): may load and edit the units directory and its headcounts,
    # whatever the role. The directory is installation-wide, so no organiser may by default.
    can_edit_units: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Bumped when the password changes: it is part of the session id, so every other
    # session of this account ends, whatever its record says (see UserSession).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a code sent by SMS to this phone was typed back (phone verification, or a password
    # reset by SMS): contests with require_verified_phone admit only such accounts. Read with
    # the account itself, so the start of an attempt costs no query for it.
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person's personal data was erased (account deletion or the retention purge,
    # quizapp/privacy/erasure.py); the row stays, anonymous, for the attempts that point at it.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The privacy notice version of the account's latest consent, kept in step with its rows in
    # ``consents`` (quizapp/privacy/consent.py): read with the account, so the start of an
    # attempt checks consent without a query (auth/terms.py).
    consent_version: Mapped[str | None] = mapped_column(String(32))

    unit: Mapped[Unit | None] = relationship()

    # The UserSession this request is signed in with (set by quizapp.auth.session); not a
    # column: one account may be signed in on several phones.
    session_id = None

    @validates("full_name")
    def _fold_name(self, _key: str, value: str | None) -> str | None:
        self.search_key = fold(value)[:NAME_LENGTH]
        return value

    @validates("id_number")
    def _note_id_number(self, _key: str, value: str | None) -> str | None:
        value = value or None
        self.has_id_number = value is not None
        return value

    def get_id(self) -> str:
        """The id Flask-Login keeps in the signed cookie: ``"<user id>.<session version>.<session id>"``
        (read back without a query by ``quizapp.sessions.session_identity``)."""
        if not self.session_id:
            raise RuntimeError("User.get_id needs a session record: sign in through quizapp.auth.session.sign_in")
        return f"{self.id}.{self.session_version}.{self.session_id}"

    def has_role(self, *roles: str) -> bool:
        # An admin may do everything the other roles may.
        return self.role == "admin" or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(db.Model):
    """One sign-in: what a signed cookie points at, so that one session can end on every
    worker and host (signing out) while the account's other sessions go on.

    A cookie is valid only while its record has no ``ended_at``; a password change ends
    every record of the account. Checked by primary key on every request that reads the
    account, including the answer save's one UPDATE.
    """

    __tablename__ = "user_sessions"

    # Random, URL-safe; the cookie is signed, so the id is a name, not a secret to guess.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


CODE_PURPOSES = ("password_reset", "phone_verification")
CODE_CHANNELS = ("sms", "helpdesk")


class OneTimeCode(db.Model):
    """A short-lived six-digit code for one account and purpose (auth/codes.py).

    One live code per (account, purpose): a new one replaces the old row. Only a keyed hash of
    the code is kept; ``tries`` counts wrong guesses, and the code is dead once it reaches
    ``CODE_MAX_TRIES`` or ``expires_at`` has passed. ``channel`` says how the person got it: only
    a code that went by SMS to the account's phone proves that phone.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (
        UniqueConstraint("user_id", "purpose"),
        CheckConstraint(_in("purpose", CODE_PURPOSES), name="purpose_known"),
        CheckConstraint(_in("channel", CODE_CHANNELS), name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
