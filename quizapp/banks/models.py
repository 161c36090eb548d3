from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.auth.models import User
from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db


class Bank(db.Model):
    """A question bank, as an organiser keeps it: one file's worth of topics and questions."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(back_populates="bank", order_by="Topic.id")


class Topic(db.Model):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    name: Mapped[str] = mapped_column(String(200))

    bank: Mapped[Bank] = relationship(back_populates="topics")


class Question(db.Model):
    """A multiple-choice question. Never deleted once used: deactivating it stops new draws."""

    __tablename__ = "questions"
    __table_args__ = (
        # A question's identity: a hash of its normalised stem and options (formats.common.question_hash).
        UniqueConstraint("bank_id", "text_hash"),
        CheckConstraint("difficulty IS NULL OR difficulty BETWEEN 1 AND 3", name="difficulty_range"),
        Index("ix_questions_draw", "bank_id", "topic_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    multiple: Mapped[bool] = mapped_column(default=False)
    # Options are shown in the bank's order, never shuffled: one of them names others
    # ("Tất cả các ý trên", "Cả A và B"), or the organiser asked for it.
    fixed_order: Mapped[bool] = mapped_column(default=False, server_default=false())
    explanation: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(500))
    difficulty: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    # The number of the question's current QuestionVersion: an attempt records the revision it
    # drew, so a later edit changes future draws only.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    # The picture shown with the question now; a QuestionVersion keeps the one each revision showed.
    picture_id: Mapped[int | None] = mapped_column(ForeignKey("pictures.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[Bank] = relationship()
    topic: Mapped[Topic] = relationship()
    picture: Mapped[Picture | None] = relationship()
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )


class Option(db.Model):
    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    # 0 for A, 1 for B… as written in the bank; takers see them shuffled per attempt.
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="options")


class QuestionVersion(db.Model):
    """What takers are shown of one revision of a question, never changed once written.

    An attempt item points at the revision it drew (DESIGN §3 rule 9): the attempt page, its
    review and its score stay what the taker saw, whatever the organiser edits later. One row
    per revision, not a copy per attempt item, so a national week of attempts adds nothing.
    """

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    revision: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    multiple: Mapped[bool]
    # The draw keeps the bank's order for this revision (Question.fixed_order when written).
    fixed_order: Mapped[bool] = mapped_column(default=False, server_default=false())
    # In the bank's order: [{"id": option id, "text": …, "correct": bool}, …]
    options: Mapped[list[dict]] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(500))
    picture_id: Mapped[int | None] = mapped_column(ForeignKey("pictures.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    picture: Mapped[Picture | None] = relationship()

    def option_texts(self) -> dict[int, str]:
        return {option["id"]: option["text"] for option in self.options}


class Picture(db.Model):
    """A question's picture as takers get it (banks/pictures.py made it), stored once per content.

    Named by the SHA-256 of its bytes, so the same picture imported twice is one row and its URL
    never changes meaning (it is cached for a year). Never changed or deleted: a question version
    names it, and an attempt shows the picture its version names whatever replaced it since.
    The bytes live in the database, so every app server can serve them (DESIGN §7).
    """

    __tablename__ = "pictures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    # Deferred: pages that list pictures need their size, never their bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UploadPreview(db.Model):
    """A bank file an organiser has previewed and may still confirm, with its answer key file.

    Kept in the database, not on one server's disk (DESIGN §7): behind a load balancer the
    confirmation may reach another server than the preview did. Deleted on confirmation, or
    by a later upload once it is past its age or the oldest beyond the caps (banks/previews.py).
    """

    __tablename__ = "upload_previews"

    # Random; only the browser session that was given it, signed in as the owner, may confirm it.
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Indexed: every upload deletes the expired ones and finds the oldest.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    filename: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(64))
    # The new bank's title, when the preview makes one.
    title: Mapped[str | None] = mapped_column(String(200))
    # Both files' bytes together, so the caps are counted without reading any file.
    byte_size: Mapped[int]
    # Deferred: making room reads the sizes, never the bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    key_filename: Mapped[str | None] = mapped_column(Text)
    key_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
