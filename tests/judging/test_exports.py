"""Ranking exports for the award committee: CSV with a BOM and xlsx, the same rows, in rank order."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import update

from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.judging.ranking import rank
from quizapp.judging.rows import HEADER, local_moment
from tests.ranking_support import generate_round


def export(runner, round_id: int, path) -> str:
    result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_and_xlsx_hold_the_same_ranking(app, runner, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=300)
    with app.app_context():
        # Vietnamese names, as decomposed and composed text would arrive, must come out intact.
        db.session.execute(update(User).where(User.phone == "0966000007").values(full_name="Nguyễn Thị Hồng Nhung"))
        db.session.commit()
        expected = rank(round_id)

    said = export(runner, round_id, tmp_path / "xep-hang.csv")
    export(runner, round_id, tmp_path / "xep-hang.xlsx")

    raw = (tmp_path / "xep-hang.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == HEADER and f"{len(expected)} dòng" in said
    body = table[1:]
    assert [(int(row[0]), int(row[-1])) for row in body] == [(row.place, row.attempt_id) for row in expected]
    assert "Nguyễn Thị Hồng Nhung" in {row[1] for row in body}

    workbook = openpyxl.load_workbook(tmp_path / "xep-hang.xlsx", read_only=True)
    sheet = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    assert sheet[0][:len(HEADER)] == HEADER
    # The standard columns hold the CSV's values, typed: the time a date-time to the second.
    assert [[same(value) for value in row[:len(HEADER)]] for row in sheet[1:]] == [
        [same(value) if column != 8 else local_moment(value) for column, value in enumerate(row)] for row in body]


def same(value: object) -> object:
    """A cell as compared: numbers by value (xlsx keeps 60.0 as 60), text as it is."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return float(value) if isinstance(value, int | float) else value


def test_a_bad_export_request_is_refused(app, runner, tmp_path):
    assert runner.invoke(args=["rankings", "export", "999", "-o", str(tmp_path / "x.csv")]).exit_code != 0
    round_id, _rows = generate_round(app, tmp_path, people=5)
    result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and ".csv" in result.output
    assert not (tmp_path / "x.pdf").exists()
