"""The ranking as judges receive it: CSV (UTF-8 with a BOM, so Excel shows Vietnamese) and
xlsx, with one header row (DESIGN §5), times in the contest's time zone.

Rows (judging/rows.py) are streamed from the database in chunks and written as they come
(the official xlsx, judging/workbook.py, as sheet XML written directly, judging/xlsx.py), so
memory stays flat however large the round. Once the round is locked, its snapshot is exported
instead (judging/locking.py), with its checksum. The attempts
log, for audits, is here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.locking import current_rows, export_locked
from quizapp.judging.models import locked_result
from quizapp.judging.rows import CHUNK, local_text, write_csv
from quizapp.judging.workbook import write_ranking_xlsx
from quizapp.spreadsheets import safe_row
from quizapp.units.models import Unit


def export_ranking(round_: Round, stream: BinaryIO, kind: str,
                   counted: Callable[[Iterator[list[object]]], Iterator[list[object]]] | None = None,
                   *, eligibility: bool = False) -> int:
    """Write the round's ranking as ``csv`` or ``xlsx`` (its locked snapshot, once locked);
    return the number of rows. ``counted`` sees the rows go by (a background job's progress).
    The xlsx is the official one (judging/workbook.py), with the eligibility columns on request;
    the CSV keeps its plain layout, and once locked it is the snapshot that verifies the checksum."""
    if kind not in ("csv", "xlsx"):
        raise ValueError(f"unknown export kind {kind!r}")
    result = locked_result(round_.id)
    if kind == "csv" and result is not None:
        return export_locked(result, stream)
    rows = current_rows(round_)
    if counted is not None:
        rows = counted(rows)
    if kind == "csv":
        return write_csv(rows, stream)
    return write_ranking_xlsx(round_, result, rows, stream, eligibility=eligibility)


ATTEMPTS_HEADER = ["Mã lượt thi", "Họ và tên", "Số điện thoại", "Đơn vị", "Lượt thi", "Trạng thái", "Bắt đầu",
                   "Hạn nộp", "Nộp bài", "Hết giờ tự nộp", "Số câu đúng", "Số câu", "Thời gian làm bài (giây)",
                   "Dự đoán", "Bị loại", "Lý do loại", "Thiết bị", "Địa chỉ IP"]


def attempts_log_rows(round_: Round) -> Iterator[list[object]]:
    """Every attempt of the round, in id order, as the audit of a contest needs them."""
    zone = ZoneInfo(round_.contest.timezone)
    statement = (
        select(Attempt.id, User.full_name, User.phone, Unit.name, Attempt.number, Attempt.status, Attempt.started_at,
               Attempt.deadline, Attempt.submitted_at, Attempt.expired, Attempt.correct_count, Attempt.question_count,
               Attempt.duration_ms, Attempt.prediction, Attempt.disqualified, Attempt.disqualify_reason,
               Attempt.device_id, Attempt.start_ip)
        .join(User, User.id == Attempt.user_id).outerjoin(Unit, Unit.id == User.unit_id)
        .where(Attempt.round_id == round_.id).order_by(Attempt.id)
    )
    for row in db.session.execute(statement, execution_options={"yield_per": CHUNK}):
        (attempt_id, name, phone, unit, number, status, started, deadline, submitted, expired, correct, count,
         duration, prediction, disqualified, reason, device, ip) = row
        yield safe_row([
            attempt_id, name, phone, unit or "", number, "đã nộp" if status == "submitted" else "đang làm",
            local_text(started, zone), local_text(deadline, zone) if deadline else "",
            local_text(submitted, zone) if submitted else "", "có" if expired else "", _blank(correct), count,
            round(duration / 1000, 3) if duration is not None else "", _blank(prediction),
            "có" if disqualified else "", reason or "", device or "", ip or ""])


def _blank(value: object) -> object:
    return "" if value is None else value
