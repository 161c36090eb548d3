"""Locking a round's results: the ranking becomes a stored snapshot with a SHA-256.

A judge locks a closed round, deliberately: the judges' page shows what is still open first
(``lock_check``: flags nobody decided, awards a judge overrode), and while flags are undecided
the lock needs a reason, which the audit log keeps. Its ranking is written once as the
canonical CSV (the export's header and rows, UTF-8, CRLF line ends, no BOM) and stored with
its checksum: one salted SHA-256 per row and the SHA-256 of that list (``sha256-rows-v1``,
judging/models.py), so that erasing a person's data (quizapp/privacy/erasure.py) can blank
their row and keep its digest. Rounds locked before that keep the SHA-256 of the CSV's bytes
(``sha256-csv``).
With the snapshot, each ranked person's place and award go onto their counting attempt
(``write_places``) for takers' own pages. From then on pages and exports show the snapshot,
every export carries the checksum on its last line, and the CSV carries each row's salt and
digest (so anyone can recompute it from the file). Changes to the round's attempts are
refused, by the services and by a guard on every flush; erasure is the one change let through
(``erasing``), and it is audit-logged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, NamedTuple

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.auth.models import User
from quizapp.contests.models import Attempt, AttemptPlace, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.flags.models import INFORMATIONAL, Flag
from quizapp.judging import public
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN, RANK_COLUMN
from quizapp.judging.materialised import keep, round_states
from quizapp.judging.models import (
    SCHEME_CSV,
    SCHEME_ROWS,
    AwardOverride,
    RoundLocked,
    RoundResult,
    locked_result,
    row_digest,
    rows_checksum,
)
from quizapp.judging.rows import HEADER, ranking_rows, write_csv
from quizapp.spreadsheets import safe_row
from quizapp.text import clean_text

CHECKSUM_LABEL = "SHA-256 của bảng xếp hạng đã khóa"
SCHEME_LABEL = "Cách tính mã kiểm tra"
# The CSV's columns after the standard ones (DESIGN §7 "Checksums"): what recomputes the checksum.
DIGEST_HEADER = ["Muối", "Mã băm dòng"]
MAX_REASON = 500
# What an erased person's row of a locked snapshot shows instead of their name.
ERASED_NAME = "Người dự thi đã xoá dữ liệu"
NAME_COLUMN, PHONE_COLUMN, UNIT_COLUMN = 1, 2, 3
# The only attributes of an attempt of a locked round that erasure may change.
ERASABLE_ATTEMPT_FIELDS = frozenset({"device_id", "start_ip"})
SALT_BYTES = 16


class LockRefused(DomainError):
    status, code = 409, "lock_refused"


@dataclass(frozen=True)
class LockCheck:
    """What a judge must see before locking: flagged attempts nobody decided (informational
    kinds left out: they are never acted on alone) and the judges' award overrides."""

    undecided: list[tuple[Attempt, list[str]]]  # the attempt and its undecided flag kinds
    overrides: list[tuple[AwardOverride, User]]

    @property
    def undecided_flags(self) -> int:
        return sum(len(kinds) for _attempt, kinds in self.undecided)


def lock_check(round_: Round) -> LockCheck:
    flags = db.session.execute(
        select(Flag.kind, Attempt).join(Attempt, Attempt.id == Flag.attempt_id)
        .where(Flag.round_id == round_.id, Flag.decision.is_(None), Flag.kind.not_in(INFORMATIONAL))
        .order_by(Attempt.id, Flag.kind)
    ).all()
    undecided: dict[int, tuple[Attempt, list[str]]] = {}
    for kind, attempt in flags:
        undecided.setdefault(attempt.id, (attempt, []))[1].append(kind)
    overrides = db.session.execute(
        select(AwardOverride, User).join(User, User.id == AwardOverride.user_id)
        .where(AwardOverride.round_id == round_.id).order_by(AwardOverride.id)
    ).tuples().all()
    return LockCheck(undecided=list(undecided.values()), overrides=list(overrides))


def lock_round(round_: Round, judge: User | None, *, reason: str | None = None) -> RoundResult:
    """Store the round's ranking as its locked result. While flags are undecided a ``reason``
    is required. Audit-logged with the reason and what was still open; never commits."""
    # A key correction (judging/items.py) takes the round's row too: it finishes before the
    # lock reads the scores, or finds the round locked.
    db.session.execute(select(Round.id).where(Round.id == round_.id).with_for_update(key_share=True))
    if locked_result(round_.id) is not None:
        raise LockRefused("Kết quả vòng thi này đã được khóa trước đó.")
    if not round_finished(round_, clock.now()):
        raise LockRefused("Chỉ khóa được kết quả khi vòng thi đã kết thúc.")
    reason = clean_text(reason) or None
    if reason is not None and len(reason) > MAX_REASON:
        raise LockRefused(f"Lý do khóa dài tối đa {MAX_REASON} ký tự.")
    finalise_expired(round_id=round_.id)
    check = lock_check(round_)
    if check.undecided_flags and reason is None:
        raise LockRefused(f"Còn {check.undecided_flags} dấu hiệu chưa quyết định ở {len(check.undecided)} lượt thi: "
                          "hãy quyết định trước, hoặc cần ghi lý do khóa kết quả khi chưa quyết định.",
                          code="lock_reason_required")
    # The lock keeps the ranking too (judging/materialised.py), if no judge's view has yet.
    keep(round_)
    canonical = io.BytesIO()
    rows = write_csv(ranking_rows(round_), canonical, bom=False)
    data = canonical.getvalue()
    result = RoundResult(round_id=round_.id, locked_by=judge.id if judge else None, rows=rows, canonical_csv=data,
                         checksum_scheme=SCHEME_ROWS, locked_at=clock.utcnow())
    # The digests are of the cells as the CSV holds them, read back: what any verifier reads.
    # The places come from the same cells, so a taker's page says what the snapshot says;
    # written before the snapshot is added, as part of the lock.
    pairs, places = [], []
    for cells in result.snapshot_rows():
        salt = secrets.token_hex(SALT_BYTES)
        pairs.append((salt, row_digest(salt, cells)))
        places.append(Place(int(cells[ATTEMPT_COLUMN]), int(cells[RANK_COLUMN]), cells[AWARD_COLUMN] or None))
    result.row_digests = "".join(f"{salt} {digest}\n" for salt, digest in pairs)
    result.checksum = rows_checksum([digest for _salt, digest in pairs])
    write_places(round_, places, result.locked_at)
    # The public page's figures cannot change from here on (but for erasure, which rewrites
    # them with the snapshot): computed once now, not on every anonymous view (rule 11).
    result.public_figures = public.figures(round_, result)
    db.session.add(result)
    audit.record("round.locked", "round", round_.id, after={
        "rows": rows, "checksum": result.checksum, "reason": reason, "undecided_flags": check.undecided_flags,
        "award_overrides": len(check.overrides)})
    db.session.flush()
    return result


class Place(NamedTuple):
    attempt_id: int
    rank: int
    award: str | None


def write_places(round_: Round, places: list[Place], locked_at: datetime) -> None:
    """Each ranked person's rank and award on their counting attempt (``AttemptPlace``), and
    the lock's time and the number ranked on the round: what takers' pages and
    ``GET /api/v1/me/results`` read (attempts/results.py) without importing judging.

    In bulk, not object by object: a national round ranks 160,000 people."""
    round_.results_locked_at, round_.ranked_count = locked_at, len(places)
    if not places:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # One statement whatever the size, the columns sent as three arrays: an executemany
        # took seconds for 30,000 rows (bench/lock.py).
        connection.execute(text(
            "INSERT INTO attempt_places (attempt_id, round_id, rank, award)"
            " SELECT attempt_id, :round, rank, award FROM unnest(CAST(:attempts AS integer[]),"
            " CAST(:ranks AS integer[]), CAST(:awards AS varchar[])) AS given(attempt_id, rank, award)"),
            {"round": round_.id, "attempts": [place.attempt_id for place in places],
             "ranks": [place.rank for place in places], "awards": [place.award for place in places]})
        return
    # SQLite runs in this process: an executemany of one prepared INSERT has no round trips.
    connection.execute(insert(AttemptPlace.__table__), [
        {"attempt_id": place.attempt_id, "round_id": round_.id, "rank": place.rank, "award": place.award}
        for place in places])


def recomputed_checksum(round_: Round) -> str:
    """The checksum the round's ranking would get if it were locked now with the snapshot's
    salts, from its attempts and people as they stand: equal to the stored checksum while
    nothing it shows has changed (the restore drill's proof that a backup kept the round
    whole). An erased row counts by its kept digest. Writes nothing."""
    canonical = io.BytesIO()
    write_csv(ranking_rows(round_), canonical, bom=False)
    result = locked_result(round_.id)
    if result is None or result.checksum_scheme == SCHEME_CSV:
        return hashlib.sha256(canonical.getvalue()).hexdigest()
    live = csv.reader(io.StringIO(canonical.getvalue().decode("utf-8")))
    next(live, None)
    pairs = result.digests()
    digests = [digest if salt is None else row_digest(salt, cells)
               for (salt, digest), cells in zip(pairs, live, strict=False)]
    return rows_checksum(digests) if len(digests) == len(pairs) else ""


def current_rows(round_: Round) -> Iterator[list[object]]:
    """The round's ranking rows as pages and exports show them: the locked snapshot once the
    round is locked, the live ranking before."""
    result = locked_result(round_.id)
    return result.snapshot_rows() if result is not None else ranking_rows(round_)


def export_locked(result: RoundResult, stream: BinaryIO) -> int:
    """The snapshot as its CSV, with the checksum on its last line: the file that verifies it
    (its xlsx, judging/workbook.py, quotes the checksum)."""
    if result.checksum_scheme == SCHEME_CSV:
        stream.write("\ufeff".encode())
        stream.write(result.canonical_csv)
        line = io.StringIO()
        csv.writer(line, lineterminator="\r\n").writerow([CHECKSUM_LABEL, result.checksum])
        stream.write(line.getvalue().encode("utf-8"))
        return result.rows
    # Each row with its salt ("" once erased) and digest, then the scheme and the checksum.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([*HEADER, *DIGEST_HEADER])
    for cells, (salt, digest) in zip(result.snapshot_rows(), result.digests(), strict=True):
        writer.writerow([*cells, salt or "", digest])
    writer.writerow([SCHEME_LABEL, result.checksum_scheme])
    writer.writerow([CHECKSUM_LABEL, result.checksum])
    text.flush()
    text.detach()
    return result.rows


def redact_snapshot(result: RoundResult, attempt_ids: set[int]) -> int:
    """Blank the personal fields of the snapshot's rows of these attempts (an erased person's):
    a prize winner keeps rank, score, name and unit as the legal record of the award and loses
    the phone; every other row shows ``ERASED_NAME`` and no phone or unit. Each such row keeps
    its digest and loses its salt, so the published checksum still verifies. Returns how many
    rows changed; flushes nothing. A ``sha256-csv`` snapshot is blanked too: its old checksum
    then no longer recomputes (docs/architecture.md, "Erasure")."""
    rows = list(result.snapshot_rows())
    pairs = result.digests()
    changed = 0
    for index, cells in enumerate(rows):
        if not cells[ATTEMPT_COLUMN].isdigit() or int(cells[ATTEMPT_COLUMN]) not in attempt_ids:
            continue
        if cells[AWARD_COLUMN]:
            cells[PHONE_COLUMN] = ""
        else:
            cells[NAME_COLUMN], cells[PHONE_COLUMN], cells[UNIT_COLUMN] = ERASED_NAME, "", ""
        if pairs:
            pairs[index] = (None, pairs[index][1])
        changed += 1
    if not changed:
        return 0
    # The cells as they were read, written back unchanged but for the blanked ones: every
    # other row's digest still recomputes from the CSV.
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(safe_row(HEADER))
    writer.writerows(rows)
    result.canonical_csv = text.getvalue().encode("utf-8")
    if pairs:
        result.row_digests = "".join(f"{salt or '-'} {digest}\n" for salt, digest in pairs)
    # The public page's winners come from the snapshot's first rows: taken again from the
    # redacted ones, so the erasure shows at once. Written even when none were kept yet, so a
    # first view computing them concurrently from the old snapshot (public.keep_figures) is
    # overwritten rather than left naming the person.
    kept = result.public_figures
    result.public_figures = None if kept is None else {
        **kept, "winners": public.winners(db.session.get(Round, result.round_id), iter(rows))}
    flag_modified(result, "public_figures")
    return changed


@contextmanager
def erasing(session: Session, attempt_ids: set[int]) -> Iterator[None]:
    """Within this block (and its flushes), these attempts may lose their device and start
    address even in a locked round: erasure, the one change allowed there. The caller
    audit-logs it."""
    allowed = session.info.setdefault("erasing_attempts", set())
    allowed |= attempt_ids
    try:
        yield
    finally:
        allowed -= attempt_ids


def _erasure_only(session: Session, attempt: Attempt) -> bool:
    if attempt.id not in session.info.get("erasing_attempts", ()):
        return False
    state = inspect(attempt)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return changed <= ERASABLE_ATTEMPT_FIELDS and all(getattr(attempt, key) is None for key in changed)


def refuse_changes_to_locked_rounds(session: Session, context, _instances) -> None:
    """Before any flush: an attempt of a locked round may not change or go away (erasing its
    device and start address aside: ``erasing``). The rounds are read as the kept rankings'
    listener, next, needs them too (materialised.round_states): one statement for both."""
    touched = {obj.round_id for obj in session.dirty
               if isinstance(obj, Attempt) and session.is_modified(obj) and not _erasure_only(session, obj)}
    touched |= {obj.round_id for obj in session.deleted if isinstance(obj, Attempt)}
    if touched and any(locked for _closes, _built, locked in round_states(session, touched, context).values()):
        raise RoundLocked()


def init_app(_app) -> None:
    if not event.contains(Session, "before_flush", refuse_changes_to_locked_rounds):
        event.listen(Session, "before_flush", refuse_changes_to_locked_rounds)
