"""A round's ranking as it is exported and locked: the header row of DESIGN §5 and the rows under
it, numbers as numbers and times in the contest's time zone, and the CSV writer both use.

Text that a spreadsheet would evaluate (a name like ``=HYPERLINK(…)``) is quoted in the rows
themselves (quizapp/spreadsheets.py), so the locked canonical CSV holds the safe text and its
checksum is the SHA-256 of the bytes the export carries.

Exports (judging/exports.py) write these rows for a round that is not locked yet; locking
(judging/locking.py) writes them once as the canonical CSV of the snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from itertools import islice
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, select, type_coerce

from quizapp.auth.models import User
from quizapp.auth.search import PersonQuery
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.judging.awards import AwardGiver
from quizapp.judging.materialised import kept, ranking_source
from quizapp.spreadsheets import safe_cell, safe_row
from quizapp.units.models import Unit

HEADER = ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Số câu đúng", "Dự đoán", "Sai số dự đoán",
          "Thời gian làm bài (giây)", "Thời điểm nộp bài", "Giải", "Lượt thi", "Mã lượt thi"]
CHUNK = 2000


def ranking_rows(round_: Round, *, first_place: int = 1, last_place: int | None = None,
                 places: list[int] | None = None, awards: AwardGiver | None = None) -> Iterator[list[object]]:
    """The ranking's rows as they are exported: numbers as numbers, the rest as text; from
    ``first_place`` to ``last_place`` when given (the awards above ``first_place`` must then
    have been handed out by ``awards`` already: see ``ranking_page``)."""
    ranked = ranking_source(round_)
    # The time is read without UTCDateTime's conversion: local_text takes it aware or naive UTC.
    submitted_at = type_coerce(ranked.c.submitted_at, DateTime(timezone=True))
    statement = (
        select(ranked.c.place, User.full_name, User.phone, Unit.name, ranked.c.correct_count, ranked.c.prediction,
               ranked.c.error, ranked.c.duration_ms, submitted_at, ranked.c.number, ranked.c.attempt_id,
               ranked.c.user_id, User.birth_date, User.gender, User.has_id_number, User.unit_id, User.participant_group)
        .join(User, User.id == ranked.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(ranked.c.place)
    )
    if first_place > 1:
        statement = statement.where(ranked.c.place >= first_place)
    if last_place is not None:
        statement = statement.where(ranked.c.place <= last_place)
    if places is not None:
        statement = statement.where(ranked.c.place.in_(places))
    zone = ZoneInfo(round_.contest.timezone)
    awards = awards or AwardGiver(round_)
    # A reader may stop early (the winners are the top rows): closing the generator then closes
    # the server-side cursor that yield_per opens on PostgreSQL. Plain rows (the connection, not
    # the ORM session): a national round's export spends its time per row.
    connection = db.session.connection()
    with connection.execute(statement, execution_options={"yield_per": CHUNK}) as result:
        for (place, name, phone, unit, correct, prediction, error, duration, submitted, number, attempt_id,
             user_id, birth_date, gender, has_id_number, unit_id, group) in result:
            # Once the tiers are handed out, only a judge's override gives an award: no profile to look at.
            # Whether an ID number was given is read from its indicator: nothing is decrypted.
            award = awards.award(user_id, {"birth_date": birth_date, "gender": gender,
                                           "id_number": True if has_id_number else None,
                                           "unit_code": unit_id, "participant_group": group}) \
                if awards.slots or awards.overrides else ""
            # Only text can start a formula: the name, phone, unit and award (safe_row's rule).
            yield [place, safe_cell(name), safe_cell(phone), safe_cell(unit) if unit else "", correct,
                   prediction if prediction is not None else "", error if error is not None else "",
                   round(duration / 1000, 3), local_text(submitted, zone), safe_cell(award), number, attempt_id]


def page_of_ranking(round_: Round, start: int, size: int) -> list[list[object]]:
    """Rows ``start + 1`` to ``start + size`` of a round's ranking, awards included. From a
    kept ranking (judging/materialised.py) that reads the page by place, and from the top only
    as far as the award tiers reach."""
    if kept(round_) is None:
        with closing(ranking_rows(round_)) as rows:
            return list(islice(rows, start, start + size))
    awards = AwardGiver(round_)
    if start and awards.slots:
        # Tiers go down the ranking to the first eligible people: hand out those above the page.
        with closing(ranking_rows(round_, last_place=start, awards=awards)) as above:
            for _row in above:
                if not awards.slots:
                    break
    return list(ranking_rows(round_, first_place=start + 1, last_place=start + size, awards=awards))


def search_kept(round_: Round, query: PersonQuery, start: int, size: int) -> tuple[list[list[object]], int]:
    """The rows of a kept ranking whose person ``query`` finds (a piece of the phone, or of the
    name with or without diacritics: auth/search.py): the page from ``start`` and how many
    match. The database picks the places; only the page's rows are built."""
    ranked = ranking_source(round_)
    matching = db.session.scalars(select(ranked.c.place).join(User, User.id == ranked.c.user_id)
                                  .where(query.condition()).order_by(ranked.c.place)).all()
    places = matching[start:start + size]
    if not places:
        return [], len(matching)
    awards, found = AwardGiver(round_), {}
    if awards.slots:
        wanted = set(places)
        with closing(ranking_rows(round_, last_place=places[-1], awards=awards)) as rows:
            for row in rows:
                if row[0] in wanted:
                    found[row[0]] = row
                if not awards.slots:
                    break
    # With no tier left to hand out, a row's award is a judge's override or none.
    rest = [place for place in places if place not in found]
    if rest:
        found.update((row[0], row) for row in ranking_rows(round_, places=rest, awards=awards))
    return [found[place] for place in places], len(matching)


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """``dd/mm/yyyy hh:mm:ss.mmm`` in the contest's zone."""
    # Raw SQL rows from SQLite carry naive UTC (the column type is not applied to them).
    moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(zone)
    # An f-string: strftime was a tenth of a national round's export.
    return (f"{moment.day:02d}/{moment.month:02d}/{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond // 1000:03d}")


def local_moment(text: str) -> datetime | str:
    """The inverse of ``local_text`` to the second: the wall-clock time a spreadsheet shows
    (naive, in the contest's zone; the milliseconds dropped, as a clock shows them). Text of
    another shape (an old snapshot's) comes back as it is."""
    try:
        return datetime(int(text[6:10]), int(text[3:5]), int(text[0:2]), int(text[11:13]), int(text[14:16]),
                        int(text[17:19]))
    except ValueError:
        return text


def write_csv(rows: Iterator[list[object]], stream: BinaryIO, *, bom: bool = True) -> int:
    """Write the ranking's header and rows as UTF-8 CSV (with a BOM for Excel); return the number of rows."""
    return write_table_csv(HEADER, rows, stream, bom=bom)


def write_table_csv(header: list[str], rows: Iterator[list[object]], stream: BinaryIO, *, bom: bool = True) -> int:
    """Write a header and rows as CSV (UTF-8, CRLF, with a BOM for Excel); return the number of rows.
    No cell starts a formula, whoever made the rows."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    count = 0
    for row in rows:
        writer.writerow(safe_row(row))
        count += 1
    text.flush()
    text.detach()
    return count
