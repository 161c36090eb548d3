"""The judges' xlsx as an official report (issue 15): row 1 still DESIGN §5's header, now bold,
frozen, filtered and with widths; times a real date-time in the contest's zone to the second,
durations a number of seconds with a minutes:seconds column after the standard ones, phones
text with their leading zero; the judges' award decisions marked with their reasons (xlsx and
the award list); the eligibility columns only when asked, the ID number only where the contest
collects it (masked); a second sheet with the title block. The CSV keeps its layout and its checksum."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select, update

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.judging.awards import OVERRIDE_HEADER, override_award
from quizapp.judging.locking import lock_round
from quizapp.judging.models import RoundResult
from quizapp.judging.rows import HEADER
from quizapp.judging.workbook import ELIGIBILITY_HEADER, ID_NUMBER_HEADER, MINUTES_HEADER
from quizapp.units.models import Unit
from tests.attempt_support import CLOSES
from tests.checksum_support import csv_checksum
from tests.conftest import GENEROUS_LIMITS
from tests.judging.test_judging_pages import download
from tests.judging.test_round_summary import BIRTH_DATE, reported_round, staff_client

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICIAL_HEADER = [*HEADER, MINUTES_HEADER, OVERRIDE_HEADER]
REASON = "Bổ sung hồ sơ hợp lệ sau khi xét lại"
ORGANISER = "Ban Tuyên giáo Tỉnh ủy Nam Định"


def official_round(make_app, tmp_path, *, id_numbers: bool = True):
    """The summary's round of 8 takers, its units in a province's directory, a participant
    group, documents issued by the provincial department, and a judge's award decision:
    taker 5 (1 of 4 right, no award by the ranking) given a Giải Ba."""
    app = make_app(**GENEROUS_LIMITS)
    round_id, clock, takers = reported_round(app, tmp_path)
    with app.app_context():
        province = Unit(code="T1", name="Tỉnh Nam Định")
        district = Unit(code="H1", name="Huyện Ý Yên", parent=province)
        db.session.add_all([province, district])
        db.session.flush()
        db.session.execute(update(Unit).where(Unit.code.in_(["P1", "P2"])).values(parent_id=district.id))
        db.session.execute(update(User).where(User.id == takers[0].user_id)
                           .values(participant_group="hoc_sinh_sinh_vien"))
        round_ = db.session.get(Round, round_id)
        contest = db.session.get(Contest, round_.contest_id)
        contest.organising_body = ORGANISER
        contest.parent_body = "Tỉnh ủy Nam Định"
        contest.registration_fields = ["birth_date", "id_number"] if id_numbers else ["birth_date"]
        db.session.commit()
    clock.set(CLOSES + timedelta(minutes=1))
    with app.app_context():
        override_award(db.session.get(Round, round_id), takers[5].user_id, "Giải Ba", REASON, None)
        db.session.commit()
    return app, round_id, takers


def export(app, round_id: int, path, *extra: str) -> None:
    result = app.test_cli_runner().invoke(args=["rankings", "export", str(round_id), "-o", str(path), *extra])
    assert result.exit_code == 0, result.output


def info(book) -> dict[str, object]:
    return {row[0]: row[1] if len(row) > 1 else None
            for row in book["Thông tin"].iter_rows(values_only=True)}


def expected_times(app, round_id: int) -> dict[int, tuple[datetime, int]]:
    """By attempt id: the submission as a clock in Vietnam shows it, and the duration in ms."""
    with app.app_context():
        attempts = db.session.execute(select(Attempt.id, Attempt.submitted_at, Attempt.duration_ms)
                                      .where(Attempt.round_id == round_id, Attempt.submitted_at.is_not(None))).all()
    return {attempt_id: (submitted.astimezone(ZONE).replace(tzinfo=None, microsecond=0), duration)
            for attempt_id, submitted, duration in attempts}


def test_the_xlsx_is_a_report_people_read_and_machines_still_parse(make_app, tmp_path):
    app, round_id, takers = official_round(make_app, tmp_path)
    export(app, round_id, tmp_path / "xep-hang.xlsx")
    export(app, round_id, tmp_path / "xep-hang.csv")

    book = openpyxl.load_workbook(tmp_path / "xep-hang.xlsx")
    assert book.sheetnames == ["Xếp hạng", "Thông tin"]
    sheet = book["Xếp hạng"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == OFFICIAL_HEADER
    assert all(cell.font.b for cell in sheet[1]) and not sheet["B2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{len(rows)}"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDIN"}
    assert widths == {"A": 7, "B": 28, "C": 13, "D": 30, "I": 20, "N": 40}

    times = expected_times(app, round_id)
    body = rows[1:]
    assert [row[0] for row in body] == list(range(1, len(body) + 1))
    for row in body:
        submitted, duration_ms = times[row[11]]
        assert isinstance(row[2], str) and row[2].startswith("0") and len(row[2]) == 10  # the phone, as text
        assert isinstance(row[4], int) and isinstance(row[10], int) and isinstance(row[11], int)
        assert row[8] == submitted and row[8].microsecond == 0  # a date-time, in Vietnam, to the second
        assert isinstance(row[7], int | float) and row[7] == duration_ms / 1000  # seconds, a number
        assert row[12] == timedelta(seconds=round(duration_ms / 1000))
    assert sheet["I2"].number_format == "dd/mm/yyyy hh:mm:ss" and sheet["I2"].is_date
    assert sheet["M2"].number_format == "[m]:ss"

    # The judge's decision: the tier in "Giải", the reason after the standard columns.
    marked = [row for row in body if row[13]]
    assert [(row[1], row[9], row[13]) for row in marked] == [("Người Báo Cáo 5", "Giải Ba", f"Giải Ba: {REASON}")]
    # Without asking, no eligibility column, no birth date, no ID number.
    cells = [value for row in rows for value in row]
    assert not any(isinstance(value, date) and value.year == BIRTH_DATE.year for value in cells)
    assert not any(isinstance(value, str) and "00108700" in value for value in cells)

    about = info(book)
    assert about["Cơ quan chủ quản"] == "Tỉnh ủy Nam Định" and about["Cơ quan tổ chức"] == ORGANISER
    assert about["Cuộc thi"] == "Cuộc thi bao-cao" and about["Vòng thi"] == "Vòng 1: Tuần 1"
    assert about["Thời gian thi"] == "từ 10:00 06/05/2030 đến 09:00 13/05/2030 (giờ Việt Nam)"
    assert about["Lập lúc (giờ Việt Nam)"] == (CLOSES + timedelta(minutes=1)).astimezone(ZONE).replace(tzinfo=None)
    assert about["Kết quả"].startswith("Chưa khóa") and "Mã kiểm tra (SHA-256)" not in about
    assert about["Số dòng xếp hạng"] == len(body)

    # The CSV keeps DESIGN §5's plain layout.
    table = list(csv.reader(io.StringIO((tmp_path / "xep-hang.csv").read_bytes().decode("utf-8-sig"))))
    assert table[0] == HEADER and len(table) == len(rows)


def test_a_locked_rounds_xlsx_quotes_its_checksum_and_the_csv_still_verifies(make_app, tmp_path):
    app, round_id, _takers = official_round(make_app, tmp_path)
    with app.app_context():
        lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        checksum, locked_at, count = result.checksum, result.locked_at, result.rows
    export(app, round_id, tmp_path / "khoa.xlsx")
    export(app, round_id, tmp_path / "khoa.csv")

    recomputed, cells = csv_checksum((tmp_path / "khoa.csv").read_bytes())
    assert recomputed == checksum and len(cells) == count
    book = openpyxl.load_workbook(tmp_path / "khoa.xlsx")
    sheet = book["Xếp hạng"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == OFFICIAL_HEADER
    # The checksum lines close the sheet, outside the filter.
    assert rows[-1][:2] == ["SHA-256 của bảng xếp hạng đã khóa", checksum]
    assert rows[-2][:2] == ["Cách tính mã kiểm tra", "sha256-rows-v1"]
    assert sheet.auto_filter.ref == f"A1:N{count + 1}"
    times = expected_times(app, round_id)
    assert all(row[8] == times[row[11]][0] and isinstance(row[2], str) for row in rows[1:-2])
    assert [row[13] for row in rows[1:-2] if row[13]] == [f"Giải Ba: {REASON}"]
    about = info(book)
    assert about["Mã kiểm tra (SHA-256)"] == checksum and "sha256-rows-v1" in about["Cách tính mã kiểm tra"]
    assert about["Kết quả"] == f"Đã khóa lúc {locked_at.astimezone(ZONE):%H:%M:%S %d/%m/%Y} (giờ Việt Nam)."
    assert about["Số dòng xếp hạng"] == count


def test_eligibility_columns_come_only_when_asked_the_id_number_where_collected(make_app, tmp_path):
    app, round_id, takers = official_round(make_app, tmp_path)
    export(app, round_id, tmp_path / "dieu-kien.xlsx", "--eligibility")

    rows = [list(row) for row in openpyxl.load_workbook(tmp_path / "dieu-kien.xlsx")["Xếp hạng"].iter_rows(
        values_only=True)]
    assert rows[0] == [*OFFICIAL_HEADER, *ELIGIBILITY_HEADER, ID_NUMBER_HEADER]
    by_name = {row[1]: row for row in rows[1:]}
    first = by_name["Người Báo Cáo 0"]
    assert first[14] == datetime.combine(BIRTH_DATE, datetime.min.time())  # a date cell
    assert first[15] == "Học sinh, sinh viên"
    assert first[16] == "Tỉnh Nam Định > Huyện Ý Yên > Phường Hai"  # taker 0 is in P2
    # Masked: the file is kept in the database a while, which holds no ID number in plain text.
    assert first[17] == "0010******00"
    assert not any(isinstance(value, str) and "00108700" in value for row in rows for value in row)
    assert by_name["Người Báo Cáo 1"][15] is None and by_name["Người Báo Cáo 1"][16].endswith("> Phường Một")

    # A contest that does not collect ID numbers gets no ID column at all.
    with app.app_context():
        contest = db.session.get(Round, round_id).contest
        contest.registration_fields = ["birth_date"]
        db.session.commit()
    export(app, round_id, tmp_path / "khong-cccd.xlsx", "--eligibility")
    header = next(openpyxl.load_workbook(tmp_path / "khong-cccd.xlsx")["Xếp hạng"].iter_rows(values_only=True))
    assert list(header) == [*OFFICIAL_HEADER, *ELIGIBILITY_HEADER]
    refused = app.test_cli_runner().invoke(args=["rankings", "export", str(round_id), "-o",
                                                 str(tmp_path / "x.csv"), "--eligibility"])
    assert refused.exit_code != 0 and ".xlsx" in refused.output


def test_judges_ask_for_the_eligibility_columns_and_the_award_list_marks_decisions(make_app, tmp_path):
    app, round_id, _takers = official_round(make_app, tmp_path)
    with app.app_context():
        lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
    judge = staff_client(app, "judge", round_id)
    base = f"/judging/rounds/{round_id}"

    plain = download(judge, f"{base}/export.xlsx").data
    checked = download(judge, f"{base}/export.xlsx?columns=eligibility").data
    awards = download(judge, f"{base}/awards.csv").data

    assert next(openpyxl.load_workbook(io.BytesIO(plain)).active.iter_rows(values_only=True)) == tuple(OFFICIAL_HEADER)
    header = next(openpyxl.load_workbook(io.BytesIO(checked)).active.iter_rows(values_only=True))
    assert list(header) == [*OFFICIAL_HEADER, *ELIGIBILITY_HEADER, ID_NUMBER_HEADER]
    table = list(csv.reader(io.StringIO(awards.decode("utf-8-sig"))))
    assert table[0] == [*HEADER, OVERRIDE_HEADER]
    assert [row[12] for row in table[1:] if row[12]] == [f"Giải Ba: {REASON}"]
    with app.app_context():
        exported = [event.after for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ranking.exported").order_by(AuditEvent.id))]
        # Profiles change after the lock: the eligibility file is made afresh each time, never kept.
        kept = dict(db.session.execute(select(Job.filename, Job.keep).where(Job.filename.like("xep-hang%"))).all())
    assert exported == [{"kind": "xlsx"}, {"kind": "xlsx", "columns": "eligibility"}]
    assert kept == {"xep-hang-vong-1.xlsx": True, "xep-hang-vong-1-xet-dieu-kien.xlsx": False}
