"""The ranking as judges receive it: CSV (UTF-8 with a BOM, so Excel shows Vietnamese) and
xlsx, with one header row (DESIGN §5), times in the contest's time zone.

Rows are streamed from the database in chunks and written as they come (openpyxl's
write-only mode for xlsx), so memory stays flat however large the round.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.awards import AwardGiver
from quizapp.judging.ranking import Rules, prediction_truth, ranking_query
from quizapp.units.models import Unit

HEADER = ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Số câu đúng", "Dự đoán", "Sai số dự đoán",
          "Thời gian làm bài (giây)", "Thời điểm nộp bài", "Giải", "Lượt thi", "Mã lượt thi"]
CHUNK = 2000


def ranking_rows(round_: Round) -> Iterator[list[object]]:
    """The ranking's rows as they are exported: numbers as numbers, the rest as text."""
    rules = Rules.of(round_)
    ranked = ranking_query(round_.id, rules, prediction_truth(round_.id, rules)).subquery()
    statement = (
        select(ranked.c.place, User.full_name, User.phone, Unit.name, ranked.c.correct_count, ranked.c.prediction,
               ranked.c.error, ranked.c.duration_ms, ranked.c.submitted_at, Attempt.number, ranked.c.attempt_id,
               ranked.c.user_id, User.birth_date, User.gender, User.id_number, User.unit_id, User.participant_group)
        .join(User, User.id == ranked.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .join(Attempt, Attempt.id == ranked.c.attempt_id)
        .order_by(ranked.c.place)
    )
    zone = ZoneInfo(round_.contest.timezone)
    awards = AwardGiver(round_)
    # A reader may stop early (the winners are the top rows): closing the generator then closes
    # the server-side cursor that yield_per opens on PostgreSQL.
    with db.session.execute(statement, execution_options={"yield_per": CHUNK}) as result:
        for (place, name, phone, unit, correct, prediction, error, duration, submitted, number, attempt_id,
             user_id, birth_date, gender, id_number, unit_id, group) in result:
            award = awards.award(user_id, {"birth_date": birth_date, "gender": gender, "id_number": id_number,
                                           "unit_code": unit_id, "participant_group": group})
            yield [place, name, phone, unit or "", correct, prediction if prediction is not None else "",
                   error if error is not None else "", round(duration / 1000, 3),
                   _local(submitted, zone), award, number, attempt_id]


def _local(moment: datetime, zone: ZoneInfo) -> str:
    # Raw SQL rows from SQLite carry naive UTC (the column type is not applied to them).
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S.%f")[:-3]


def write_csv(rows: Iterator[list[object]], stream: BinaryIO, *, bom: bool = True) -> int:
    """Write the ranking's header and rows as UTF-8 CSV (with a BOM for Excel); return the number of rows."""
    return write_table_csv(HEADER, rows, stream, bom=bom)


def write_xlsx(rows: Iterator[list[object]], stream: BinaryIO, title: str = "Xếp hạng") -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(HEADER)
    count = 0
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
        count += 1
    workbook.save(stream)
    return count


def export_ranking(round_: Round, stream: BinaryIO, kind: str) -> int:
    """Write the round's ranking as ``csv`` or ``xlsx`` (its locked snapshot, once locked);
    return the number of rows."""
    from quizapp.judging.locking import export_locked, locked_result

    result = locked_result(round_.id)
    if result is not None:
        return export_locked(result, stream, kind)
    rows = ranking_rows(round_)
    if kind == "csv":
        return write_csv(rows, stream)
    if kind == "xlsx":
        return write_xlsx(rows, stream)
    raise ValueError(f"unknown export kind {kind!r}")


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
        yield [attempt_id, name, phone, unit or "", number, "đã nộp" if status == "submitted" else "đang làm",
               _local(started, zone), _local(deadline, zone) if deadline else "",
               _local(submitted, zone) if submitted else "", "có" if expired else "", _blank(correct), count,
               round(duration / 1000, 3) if duration is not None else "", _blank(prediction),
               "có" if disqualified else "", reason or "", device or "", ip or ""]


def _blank(value: object) -> object:
    return "" if value is None else value


def write_table_csv(header: list[str], rows: Iterator[list[object]], stream: BinaryIO, *, bom: bool = True) -> int:
    """Write a header and rows as CSV (UTF-8, CRLF, with a BOM for Excel); return the number of rows."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count
