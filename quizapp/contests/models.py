from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.auth.models import User
from quizapp.banks.models import Question, QuestionVersion
from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db

COUNTING = ("best", "first", "last")
TRUTHS = ("participants", "attempts", "participants_all_correct")
TIE_BREAKERS = ("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc", "attempts_used_asc")
REVIEWS = ("after_submit", "score_only", "after_close")
REGISTRATION_FIELDS = ("birth_date", "gender", "id_number", "unit_code", "participant_group")
# How pages name what ``Round.status`` returns.
ROUND_STATES = {"upcoming": "Chưa mở", "open": "Đang mở", "closed": "Đã đóng"}
# What a person may be for one contest (contests.access): its organisers edit it and watch
# participation; its judges rank, decide flags, give awards and lock results.
STAFF_ROLES = ("organiser", "judge")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Contest(db.Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    # Profile fields a taker must have filled in before starting (see REGISTRATION_FIELDS).
    registration_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    one_award_per_person: Mapped[bool] = mapped_column(default=False)
    # Only accounts whose phone was proven by an SMS code may start (User.phone_verified_at).
    require_verified_phone: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Optional contest password (Argon2 hash), for closed contests of one organisation.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who issues the contest's documents (printed summaries, certificates): the organising body
    # (None: the installation's PRIVACY_CONTROLLER), the body above it, the place written before
    # the date, the national heading ("state" or "party") and who signs (contests/documents.py).
    organising_body: Mapped[str | None] = mapped_column(String(300))
    parent_body: Mapped[str | None] = mapped_column(String(300))
    document_place: Mapped[str | None] = mapped_column(String(100))
    document_heading: Mapped[str] = mapped_column(String(10), default="state", server_default="state")
    signers: Mapped[list[dict]] = mapped_column(JSON, default=list, server_default="[]")
    # Certificates (judging/certificates): whether every participant gets one too, not only the
    # award winners; the title printed on them (None: "GIẤY CHỨNG NHẬN"); the logo or seal image
    # (PNG), deferred so that loading a contest does not read it.
    certificate_participants: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    certificate_title: Mapped[str | None] = mapped_column(String(100))
    certificate_logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    owner: Mapped[User | None] = relationship()
    rounds: Mapped[list[Round]] = relationship(back_populates="contest", order_by="Round.number")
    staff: Mapped[list[ContestStaff]] = relationship(
        back_populates="contest", order_by="ContestStaff.id", cascade="all, delete-orphan"
    )

    @property
    def needs_id_number(self) -> bool:
        """Whether its staff see takers' ID numbers in full: only a contest that requires one
        at registration needs it (to identify prize winners); any other's see it masked."""
        return "id_number" in self.registration_fields


class ContestStaff(db.Model):
    """One person's role in one contest. A person may hold both roles (two rows)."""

    __tablename__ = "contest_staff"
    __table_args__ = (
        UniqueConstraint("contest_id", "user_id", "role"),
        CheckConstraint(_in("role", STAFF_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    # Indexed: every staff page asks "which contests is this person on".
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contest: Mapped[Contest] = relationship(back_populates="staff")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Round(db.Model):
    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("contest_id", "number"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_limit_positive"),
        CheckConstraint("time_limit_seconds IS NOT NULL OR practice", name="only_practice_untimed"),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts_positive"),
        CheckConstraint(_in("counting_attempt", COUNTING), name="counting_known"),
        CheckConstraint(_in("review", REVIEWS), name="review_known"),
        CheckConstraint(f"prediction_truth IS NULL OR {_in('prediction_truth', TRUTHS)}", name="truth_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None only for an untimed practice round.
    time_limit_seconds: Mapped[int | None]
    # None: unlimited.
    max_attempts: Mapped[int | None]
    counting_attempt: Mapped[str] = mapped_column(String(8), default="best")
    # [{"bank": slug, "topic": name or absent, "count": n}, …]
    draw: Mapped[list[dict]] = mapped_column(JSON)
    prediction_prompt: Mapped[str | None] = mapped_column(Text)
    prediction_truth: Mapped[str | None] = mapped_column(String(32))
    prediction_locked: Mapped[bool] = mapped_column(default=False)
    tie_breakers: Mapped[list[str]] = mapped_column(JSON)
    # [{"name": "Giải Nhất", "count": 1}, …]
    awards: Mapped[list[dict]] = mapped_column(JSON, default=list)
    review: Mapped[str] = mapped_column(String(16), default="after_close")
    practice: Mapped[bool] = mapped_column(default=False)
    # Written by the lock (judging/locking.py) with the attempts' ranks, so takers' pages know
    # a round's results are out, and of how many ranked people, without importing judging.
    results_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ranked_count: Mapped[int | None]

    contest: Mapped[Contest] = relationship(back_populates="rounds")

    @property
    def question_count(self) -> int:
        return sum(int(entry["count"]) for entry in self.draw)

    @property
    def bank_slugs(self) -> list[str]:
        """The banks the draw takes from, each once, in the blueprint's order."""
        return list(dict.fromkeys(entry["bank"] for entry in self.draw or ()))

    def status(self, now: datetime) -> str:
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "closed"


class Attempt(db.Model):
    """One timed go at a round. Limits live in the schema, so no race can break them:
    at most one open attempt per person per round (a partial unique index), attempt numbers
    unique per person and round, and never above the round's limit (a check on a copy)."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "number"),
        CheckConstraint("number >= 1 AND (max_attempts IS NULL OR number <= max_attempts)", name="within_limit"),
        CheckConstraint("status IN ('open', 'submitted')", name="status_known"),
        Index(
            "uq_attempts_one_open", "round_id", "user_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
        Index("ix_attempts_round_status", "round_id", "status"),
        # For the shared_device and burst_ip flags, computed at every submit.
        Index("ix_attempts_round_device", "round_id", "device_id"),
        Index("ix_attempts_round_ip_started", "round_id", "start_ip", "started_at"),
        # For the organisers' dashboard (contests.dashboard): the first and last start of each
        # round, two probes; and each person's attempts and first start, read in person order
        # from this index alone instead of hashing 200,000 people.
        Index("ix_attempts_round_started", "round_id", "started_at"),
        Index("ix_attempts_user_round_started", "user_id", "round_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int]
    # The round's limit when this attempt started, so the check constraint above can hold it.
    max_attempts: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # started_at + time limit, or the round's close if sooner; None for untimed practice.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True when the server closed it at its deadline because nobody submitted.
    expired: Mapped[bool] = mapped_column(default=False)
    question_count: Mapped[int]
    correct_count: Mapped[int | None]
    duration_ms: Mapped[int | None]
    prediction: Mapped[int | None]
    # Where it was started from, for the shared_device and burst_ip flags: the long-lived
    # random device cookie and the client's IP.
    device_id: Mapped[str | None] = mapped_column(String(32))
    start_ip: Mapped[str | None] = mapped_column(String(45))
    # Set by a judge (judging/services.decide); a disqualified attempt leaves rankings and awards.
    disqualified: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    disqualify_reason: Mapped[str | None] = mapped_column(Text)
    # The person's data was erased (quizapp/privacy/erasure.py) while the round was not locked:
    # the attempt stays as an anonymous statistic but leaves rankings and awards.
    erased: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    round: Mapped[Round] = relationship()
    user: Mapped[User] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(order_by="AttemptItem.position", back_populates="attempt")
    # Load it with the attempt where a page shows it (``joinedload``): a lazy load is a statement.
    place: Mapped[AttemptPlace | None] = relationship(
        viewonly=True, primaryjoin="foreign(AttemptPlace.attempt_id) == Attempt.id")

    @property
    def rank(self) -> int | None:
        """The place in the round's locked results, on the counting attempt only; None before
        the lock and on the person's other attempts."""
        return self.place.rank if self.place is not None else None

    @property
    def award(self) -> str | None:
        """The award won in the round's locked results; None before the lock and for none."""
        return self.place.award if self.place is not None else None


class AttemptPlace(db.Model):
    """A ranked person's place and award in a round's locked results, on their counting
    attempt: written once by the lock from its snapshot (judging/locking.py ``write_places``),
    read by takers' pages, which do not import judging (DESIGN §7 "Rank and award"). Its own
    narrow table rather than columns on ``attempts``: a national lock inserts 160,000 of these
    into one index instead of rewriting as many rows of the busiest table and all its indexes.
    An erased person's place stays, an anonymous fact like the attempt's score.

    No foreign keys, on purpose: PostgreSQL checks each one per row inserted, and locks the row
    it names (``FOR KEY SHARE``; on ``attempts`` a write to every counting attempt): together
    they made writing 100,000 places several times slower (bench/lock.py). The ids come from the
    ranking of the round's own attempts, and neither attempts nor rounds are ever deleted
    (erasure keeps them)."""

    __tablename__ = "attempt_places"

    attempt_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    round_id: Mapped[int]
    rank: Mapped[int]
    award: Mapped[str | None] = mapped_column(String(100))


class AttemptItem(db.Model):
    """One drawn question of an attempt, with its options in the order this taker sees them.

    The taker sees option k of ``option_ids`` under an opaque token (attempts/tokens.py); the
    answer is stored as the shown indexes, canonically ("0,2"), next to the correct ones, so
    scoring is a string comparison in SQL and saving needs no lookup. The texts shown are those
    of the question's revision drawn (``version``), whatever the bank says now.
    """

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "question_id"),
        ForeignKeyConstraint(["question_id", "question_revision"],
                             ["question_versions.question_id", "question_versions.revision"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_revision: Mapped[int]
    multiple: Mapped[bool]
    option_count: Mapped[int]
    # Real option ids in the order shown.
    option_ids: Mapped[list[int]] = mapped_column(JSON)
    correct_key: Mapped[str] = mapped_column(String(32))
    chosen: Mapped[str | None] = mapped_column(String(32))
    # The client's sequence number of the stored choice: an older retry never overwrites it.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(viewonly=True)
    version: Mapped[QuestionVersion] = relationship(viewonly=True)
