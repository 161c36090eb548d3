"""The ranking as the judges' official xlsx: a report people sort, filter and file, that a
machine still reads.

The first sheet, "Xếp hạng", keeps DESIGN §5's header in row 1 (bold, frozen, with a filter
and column widths) over the same rows as the CSV, typed for a spreadsheet: numbers as
numbers, the phone as text (its leading zero kept), "Thời điểm nộp bài" a date-time in the
contest's zone to the second, "Thời gian làm bài (giây)" the number of seconds the CSV holds
(milliseconds included: they break ties). After the standard columns (DESIGN §7 "Export
columns") come the duration as minutes and seconds and the judges' award decisions with
their reasons; on request (``eligibility``), what checks a winner's eligibility: birth date,
participant group, the unit's place in the directory, and where the contest collects ID
numbers, the number masked ("0010******45"): the file is kept in the database while it is
downloaded, and the database holds no ID number in plain text (DESIGN §3 rule 7); the judges'
ranking page shows it in full. A locked round's sheet ends with the checksum lines, outside the filter, as
its CSV does. The second sheet, "Thông tin", is the title block: who organises the contest,
the round, when the file was made, the lock and its checksum, how many rows.

The rows are the canonical ones (judging/rows.py, or the locked snapshot's text): only their
presentation changes here, so the CSV and its checksum are untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from quizapp import clock
from quizapp.auth.models import User
from quizapp.contests.documents import letterhead
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.formatting import masked_id_number
from quizapp.judging.awards import ATTEMPT_COLUMN, OVERRIDE_HEADER, override_marks
from quizapp.judging.locking import CHECKSUM_LABEL, SCHEME_LABEL
from quizapp.judging.models import RoundResult
from quizapp.judging.rows import CHUNK, HEADER, local_moment
from quizapp.judging.xlsx import Workbook
from quizapp.units.models import Unit
from quizapp.units.search import directory_index

SHEET_TITLE, INFO_TITLE = "Xếp hạng", "Thông tin"
MINUTES_HEADER = "Thời gian làm bài (phút:giây)"
ELIGIBILITY_HEADER = ["Ngày sinh", "Đối tượng", "Đơn vị trong danh mục (Tỉnh > Huyện > Xã)"]
ID_NUMBER_HEADER = "Số CCCD (che bớt)"
PATH_SEPARATOR = " > "
# Widths in characters, so that a name, a unit and a date-time show whole without a click.
STANDARD_WIDTHS = (7, 28, 13, 30, 9, 10, 10, 12, 20, 16, 8, 12)
EXTRA_WIDTHS = {MINUTES_HEADER: 12, OVERRIDE_HEADER: 40, "Ngày sinh": 12, "Đối tượng": 30,
                ELIGIBILITY_HEADER[2]: 50, ID_NUMBER_HEADER: 15}
INFO_WIDTHS = (34, 90)
# The canonical columns that hold whole numbers (an empty one is no number).
_WHOLE = (0, 4, 5, 6, 10, 11)
_SECONDS, _SUBMITTED = 7, 8


def ranking_header(round_: Round, *, eligibility: bool) -> list[str]:
    extra = [MINUTES_HEADER, OVERRIDE_HEADER]
    if eligibility:
        extra += ELIGIBILITY_HEADER + ([ID_NUMBER_HEADER] if round_.contest.needs_id_number else [])
    return [*HEADER, *extra]


def write_ranking_xlsx(round_: Round, result: RoundResult | None, rows: Iterable[list[object]], stream: BinaryIO,
                       *, eligibility: bool = False) -> int:
    """Write the official xlsx of the round's canonical ``rows`` (the snapshot's once
    ``result`` locked it); return the number of ranking rows."""
    header = ranking_header(round_, eligibility=eligibility)
    marks = override_marks(round_.id)
    typed = (official_row(cells, marks) for cells in rows)
    if eligibility:
        typed = _with_eligibility(typed, round_.contest.needs_id_number)
    after = [] if result is None else [[SCHEME_LABEL, result.checksum_scheme], [CHECKSUM_LABEL, result.checksum]]
    widths = [*STANDARD_WIDTHS, *(EXTRA_WIDTHS[name] for name in header[len(HEADER):])]
    with Workbook(stream) as book:
        count = book.add_sheet(SHEET_TITLE, _headed(header, typed), header=True, widths=widths, after=after) - 1
        book.add_sheet(INFO_TITLE, title_block(round_, result, count, eligibility=eligibility), widths=INFO_WIDTHS)
    return count


def title_block(round_: Round, result: RoundResult | None, count: int, *, eligibility: bool) -> list[list[object]]:
    """The second sheet: what a printed report's heading says, and how to read the first."""
    contest = round_.contest
    heading = letterhead(contest)
    zone = contest.timezone
    in_zone = zone_words(zone)
    made = clock.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    rows: list[list[object]] = [["BẢNG XẾP HẠNG VÒNG THI"]]
    if heading.parent_body:
        rows.append(["Cơ quan chủ quản", heading.parent_body])
    rows += [
        ["Cơ quan tổ chức", heading.organising_body],
        ["Cuộc thi", contest.title],
        ["Vòng thi", f"Vòng {round_.number}: {round_.title}"],
        ["Thời gian thi", f"từ {clock.local_time(round_.opens_at, zone)} "
                          f"đến {clock.local_time(round_.closes_at, zone)} ({in_zone})"],
        [f"Lập lúc ({in_zone})", made],
    ]
    if result is None:
        rows.append(["Kết quả", "Chưa khóa: bảng xếp hạng còn có thể thay đổi."])
    else:
        rows += [
            ["Kết quả", f"Đã khóa lúc {clock.local_time(result.locked_at, zone, '%H:%M:%S %d/%m/%Y')} ({in_zone})."],
            ["Mã kiểm tra (SHA-256)", result.checksum],
            [SCHEME_LABEL, f"{result.scheme_label} ({result.checksum_scheme})"],
        ]
    rows += [
        ["Số dòng xếp hạng", count],
        ["Cách đọc", f"Thời điểm nộp bài theo {in_zone}, đến giây. Thời gian làm bài (giây) giữ phần nghìn giây, "
                     "dùng để xếp hạng khi bằng số câu đúng; cột phút:giây để đọc."],
    ]
    if result is not None:
        rows.append(["Kiểm tra mã", "Bản CSV của bảng xếp hạng đã khóa là bản gốc để tính lại mã kiểm tra "
                                    "(mỗi dòng có muối và mã băm riêng)."])
    if eligibility:
        rows.append(["Dữ liệu cá nhân", "Tệp có ngày sinh, đơn vị (và số CCCD che bớt, nếu cuộc thi thu) "
                                        "của người dự thi: chỉ dùng để xét điều kiện nhận giải, không chia sẻ."])
    return rows


def zone_words(zone: str) -> str:
    """How a time's zone is named for people: "giờ Việt Nam", else the zone's name."""
    return "giờ Việt Nam" if zone in ("Asia/Ho_Chi_Minh", "Asia/Saigon") else f"giờ {zone}"


def _headed(header: list[str], rows: Iterator[list[object]]) -> Iterator[list[object]]:
    yield header
    yield from rows


def official_row(cells: list[object], marks: dict[int, str]) -> list[object]:
    """A canonical row, as text (a snapshot's) or as made (the live ranking), typed for the
    sheet, with the minutes and the judges' decision (``marks``, by attempt id) after it.
    A name, phone, unit or award stays text whatever it looks like: "0912…" keeps its zero."""
    typed = list(cells)
    if type(typed[0]) is str:  # a snapshot's row: its numbers are text too
        for column in _WHOLE:
            typed[column] = _whole(typed[column])
        seconds = typed[_SECONDS]
        if seconds:
            typed[_SECONDS] = float(seconds) if "." in seconds else int(seconds)
    submitted = typed[_SUBMITTED]
    if type(submitted) is str:
        typed[_SUBMITTED] = local_moment(submitted)
    typed.append(_minutes(typed[_SECONDS]))
    typed.append(marks.get(typed[ATTEMPT_COLUMN], ""))
    return typed


def _whole(value: str) -> object:
    try:
        return int(value)
    except ValueError:
        return value  # "" (no prediction), or an old snapshot's odd cell


def _minutes(seconds: object) -> object:
    """The duration as a spreadsheet's [m]:ss, to the second as the taker's pages round it."""
    if type(seconds) is float or type(seconds) is int:
        return timedelta(seconds=round(seconds))
    return ""


def _with_eligibility(rows: Iterator[list[object]], with_id_number: bool) -> Iterator[list[object]]:
    """The rows with the eligibility columns, read a chunk at a time by attempt id (a locked
    round's people as they are now: an erased person's are empty)."""
    groups = dict(current_app.config["PARTICIPANT_GROUPS"])
    directory = directory_index()
    columns = [Attempt.id, User.birth_date, User.participant_group, Unit.code]
    if with_id_number:
        columns.append(User.id_number)
    while chunk := list(islice(rows, CHUNK)):
        found = {row[0]: row[1:] for row in db.session.execute(
            select(*columns).join(User, User.id == Attempt.user_id).outerjoin(Unit, Unit.id == User.unit_id)
            .where(Attempt.id.in_([row[ATTEMPT_COLUMN] for row in chunk])))}
        for row in chunk:
            birth_date, group, code, *id_number = found.get(row[ATTEMPT_COLUMN], (None, None, None, None))
            entry = directory.get(code) if code else None
            path = PATH_SEPARATOR.join((*entry.path, entry.name)) if entry else ""
            masked = [masked_id_number(id_number[0]) if id_number else ""] if with_id_number else []
            yield [*row, birth_date, groups.get(group, group or ""), path, *masked]

