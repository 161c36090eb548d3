"""What judging keeps: a round's locked results and the judges' award decisions.

"Is this round locked?" is answered here (``locked_result``), beside the model, so awards,
decisions and exports ask it without importing the locking workflow (judging/locking.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, defer, mapped_column

from quizapp.clock import UTCDateTime, utcnow
from quizapp.errors import DomainError
from quizapp.extensions import db

# How a locked round's checksum is computed (``RoundResult.checksum_scheme``).
# Rounds locked before erasure existed: the SHA-256 of the canonical CSV's bytes.
SCHEME_CSV = "sha256-csv"
# One salted SHA-256 per row, the checksum over the list of them: erasing a row's personal
# fields keeps its digest, so the published checksum still verifies (DESIGN §3 rule 6).
SCHEME_ROWS = "sha256-rows-v1"
SCHEME_LABELS = {
    SCHEME_CSV: "SHA-256 của toàn bộ tệp CSV chuẩn (cách tính cũ)",
    SCHEME_ROWS: "SHA-256 của danh sách mã băm từng dòng (mỗi dòng có muối riêng)",
}
# Between a row's salt and its cells in what a row digest hashes: no cell holds it (text is cleaned).
FIELD_SEPARATOR = "\x1f"


def row_digest(salt: str, cells: list[str]) -> str:
    """A row's digest: SHA-256 of the UTF-8 of its salt and its cells (as the CSV shows
    them), joined by U+001F."""
    return hashlib.sha256(FIELD_SEPARATOR.join([salt, *cells]).encode("utf-8")).hexdigest()


def rows_checksum(digests: list[str]) -> str:
    """The published checksum of a ``sha256-rows-v1`` snapshot: SHA-256 of its row digests
    (lowercase hex) in ranking order, one per line joined by "\\n"."""
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


class RoundResult(db.Model):
    """A round's locked ranking: the canonical CSV (header and rows, UTF-8, CRLF, no BOM) and
    its checksum. From the lock on, pages and exports show this snapshot and the round's
    attempts cannot change, but for erasure (quizapp/privacy/erasure.py).

    ``checksum_scheme`` ``sha256-rows-v1``: ``row_digests`` holds one line per row, its salt and
    its digest separated by a space; an erased row keeps its digest and loses its salt ("-"),
    so its former content can be neither read nor guessed back. ``sha256-csv`` (rounds locked
    before): the SHA-256 of ``canonical_csv``."""

    __tablename__ = "round_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64))
    canonical_csv: Mapped[bytes] = mapped_column(LargeBinary)
    checksum_scheme: Mapped[str] = mapped_column(String(32), default=SCHEME_CSV, server_default=SCHEME_CSV)
    row_digests: Mapped[str | None] = mapped_column(Text)
    # What the public results page shows of the round (judging/public.py), computed once at the
    # lock, or on the first view of a round locked before the page kept them: nothing in it can
    # change after the lock but the winners' names and phones, which erasure rewrites with the
    # snapshot. None until computed.
    public_figures: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    @property
    def scheme_label(self) -> str:
        return SCHEME_LABELS.get(self.checksum_scheme, self.checksum_scheme)

    def digests(self) -> list[tuple[str | None, str]]:
        """Each row's salt (None once the row was erased) and digest, in ranking order."""
        pairs = []
        for line in (self.row_digests or "").splitlines():
            salt, digest = line.split(" ")
            pairs.append((None if salt == "-" else salt, digest))
        return pairs

    def snapshot_checksum(self) -> str:
        """The checksum the stored snapshot gives, by its own scheme: equal to ``checksum``
        while the snapshot is whole, and for ``sha256-rows-v1`` after erasures too."""
        if self.checksum_scheme == SCHEME_CSV:
            return hashlib.sha256(self.canonical_csv).hexdigest()
        pairs = self.digests()
        for (salt, digest), cells in zip(pairs, self.snapshot_rows(), strict=True):
            if salt is not None and row_digest(salt, cells) != digest:
                return ""
        return rows_checksum([digest for _salt, digest in pairs])

    def snapshot_rows(self) -> Iterator[list[str]]:
        """The locked rows, without the header, read as needed (a page that shows the first
        rows does not parse a hundred thousand)."""
        rows = csv.reader(io.StringIO(self.canonical_csv.decode("utf-8")))
        next(rows, None)
        yield from rows


class AwardOverride(db.Model):
    """A judge's decision on one person's award in a round, with the reason: ``award`` names
    the tier they get, or is None to pass them over. Applied before the tiers go down the
    ranking, so the next eligible person takes a withdrawn award."""

    __tablename__ = "award_overrides"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    award: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyCorrection(db.Model):
    """A judge's correction of one question's key for one round (DESIGN §7 "Key corrections"):
    the option ids (the bank's, as the round's revisions hold them) that count as correct in
    this round from now on, and those that did before. The round's attempt items carry the
    corrected key and their attempts were scored again (judging/items.py); the bank and other
    rounds keep theirs. One row per round and question, the latest correction; the audit log
    keeps every one."""

    __tablename__ = "key_corrections"
    __table_args__ = (UniqueConstraint("round_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    option_ids: Mapped[list[int]] = mapped_column(JSON)
    previous_option_ids: Mapped[list[int]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankingBuild(db.Model):
    """A finished round's ranking, computed once and kept (judging/materialised.py): the rules it
    was ranked by and how many rows it has. Deleted whenever an attempt of the round changes."""

    __tablename__ = "ranking_builds"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    rules: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int]
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankedAttempt(db.Model):
    """One row of a kept ranking: the counting attempt at ``place`` with its keys, so a page of
    judges' ranking is read by the primary key, whatever its depth."""

    __tablename__ = "ranked_attempts"

    round_id: Mapped[int] = mapped_column(ForeignKey("ranking_builds.round_id", ondelete="CASCADE"),
                                          primary_key=True)
    place: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attempt_id: Mapped[int]
    user_id: Mapped[int]
    number: Mapped[int]
    correct_count: Mapped[int | None]
    prediction: Mapped[int | None]
    error: Mapped[int | None]
    duration_ms: Mapped[int | None]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts_used: Mapped[int]


class StandingBuild(db.Model):
    """A contest's finished rounds added up per person, kept (judging/standings.py): which
    rounds' kept rankings it adds up (``rounds``: each round's id and its ranking's build time,
    so a ranking forgotten and built again is not mistaken for the one added up), and how many
    people. Deleted with any of those rankings."""

    __tablename__ = "standing_builds"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True)
    rounds: Mapped[str] = mapped_column(Text)
    rows: Mapped[int]
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlacedTotals:
    """A person's totals over a contest's rounds at their place in the standings' order, so a
    page of standings is read by place (``StandingTotal``, ``ProvisionalTotal``)."""

    place: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int]
    correct: Mapped[int]
    duration_ms: Mapped[int | None]
    taken: Mapped[int]
    # Correct answers in each round the totals add up, in their order, comma-separated ("" if
    # not taken): the build's order for kept totals, the basis's ``order`` for provisional ones.
    per_round: Mapped[str] = mapped_column(Text)


class StandingTotal(PlacedTotals, db.Model):
    """One person's totals over the rounds of a ``StandingBuild``, at their place among them
    (by the standings' order), so the standings of finished rounds are read by place."""

    __tablename__ = "standing_totals"

    contest_id: Mapped[int] = mapped_column(ForeignKey("standing_builds.contest_id", ondelete="CASCADE"),
                                            primary_key=True)


class ProvisionalBuild(db.Model):
    """A contest's standings computed while a round of it is still taking attempts
    (judging/provisional.py): true at ``computed_at`` and shown as provisional, never as the
    final standings. ``basis`` names what it added up (the kept totals of the finished rounds,
    each live round with its rules, the rounds' order); it is shown only while that is still
    the case."""

    __tablename__ = "provisional_builds"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True)
    basis: Mapped[str] = mapped_column(Text)
    rows: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProvisionalTotal(PlacedTotals, db.Model):
    """One person's totals in a ``ProvisionalBuild``, at their place."""

    __tablename__ = "provisional_totals"

    contest_id: Mapped[int] = mapped_column(ForeignKey("provisional_builds.contest_id", ondelete="CASCADE"),
                                            primary_key=True)


class RoundLocked(DomainError):
    status, code = 409, "round_locked"
    message = "Kết quả vòng thi đã khóa; không thể thay đổi các lượt thi của vòng này."


class RoundStillOpen(DomainError):
    """A key correction asked for while the round can still start attempts: those would draw
    the bank's key, so the round would be scored on two keys (judging/items.py)."""

    status, code = 409, "round_still_open"
    message = ("Vòng thi chưa kết thúc nên chưa sửa được đáp án của vòng này: các lượt thi bắt đầu sau đó vẫn lấy "
               "đáp án trong ngân hàng câu hỏi, và vòng thi sẽ bị chấm theo hai đáp án khác nhau. Hãy sửa câu hỏi "
               "trong ngân hàng ngay để các lượt thi còn lại dùng đáp án đúng, rồi sửa đáp án của vòng này sau khi "
               "vòng thi kết thúc để chấm lại các bài đã nộp.")


def locked_result(round_id: int) -> RoundResult | None:
    """The round's locked result, or None while it is not locked."""
    return db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))


def locked_summary(round_id: int) -> RoundResult | None:
    """The round's locked result without its snapshot: the checksum, its scheme and the lock
    time, for what a hit of a public page reads. The snapshot (tens of megabytes on a national
    round) and the row digests are left in the database; touching them loads them (a caller
    that needs them uses ``locked_result``)."""
    return db.session.scalar(select(RoundResult).options(defer(RoundResult.canonical_csv),
                                                         defer(RoundResult.row_digests))
                             .where(RoundResult.round_id == round_id))
