"""Judges' ranking page and downloads: the whole ranking searchable a page at a time, the
ranking, award list and attempts log as files, for judges only, each download audit-logged."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select, update

from quizapp.audit import AuditEvent
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.exports import ATTEMPTS_HEADER
from quizapp.judging.ranking import rank
from quizapp.judging.rows import HEADER
from tests import job_support
from tests.conftest import Accounts
from tests.ranking_support import generate_round


def judge_client(app, round_id: int):
    """A client signed in as a judge of the round's contest."""
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def test_judges_download_the_ranking_the_awards_and_the_attempts_log(app, tmp_path):
    round_id, rows = generate_round(app, tmp_path, people=60)
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == round_id).values(
            awards=[{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}]))
        db.session.commit()
        attempts = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.round_id == round_id))
    judge = judge_client(app, round_id)
    base = f"/judging/rounds/{round_id}"

    ranking_csv, ranking_xlsx, awards, log = (
        download(judge, f"{base}/{name}") for name in ("export.csv", "export.xlsx", "awards.csv", "attempts.csv"))

    table = list(csv.reader(io.StringIO(ranking_csv.get_data().decode("utf-8-sig"))))
    assert ranking_csv.get_data().startswith(b"\xef\xbb\xbf") and table[0] == HEADER
    workbook = openpyxl.load_workbook(io.BytesIO(ranking_xlsx.get_data()), read_only=True)
    assert sum(1 for _ in workbook.active.iter_rows()) == len(table)
    workbook.close()
    award_rows = list(csv.reader(io.StringIO(awards.get_data().decode("utf-8-sig"))))
    assert [row[9] for row in award_rows[1:]] == ["Giải Nhất", "Giải Nhì", "Giải Nhì"]
    log_rows = list(csv.reader(io.StringIO(log.get_data().decode("utf-8-sig"))))
    assert log_rows[0] == ATTEMPTS_HEADER and len(log_rows) - 1 == attempts == len(rows)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"ranking.exported", "awards.exported", "attempts.exported"} <= actions


class Download:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_data(self) -> bytes:
        return self.data


def download(client, url: str) -> Download:
    """A file download, read whole and closed (a server closes it after sending): the click,
    its background job run by a worker, then the file."""
    response = job_support.download(client, url)
    try:
        assert response.status_code == 200, url
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "no-store"
        return Download(response.get_data())
    finally:
        response.close()


# A row of the ranking table, its place first.
ROW = '<tr><td class="num">'


def test_the_ranking_page_pages_and_searches(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=120)
    judge = judge_client(app, round_id)

    first = judge.get(f"/judging/rounds/{round_id}/ranking").get_data(as_text=True)
    second = judge.get(f"/judging/rounds/{round_id}/ranking?page=2").get_data(as_text=True)
    found = judge.get(f"/judging/rounds/{round_id}/ranking?q=0966000042").get_data(as_text=True)

    assert first.count(ROW) == 50 and '<tr><td class="num">1</td>' in first and '<tr><td class="num">51</td>' in second
    assert found.count(ROW) == 1 and "0966000042" in found
    with app.app_context():
        ranked = len(rank(round_id))
    last_page = judge.get(f"/judging/rounds/{round_id}/ranking?page=3").get_data(as_text=True)
    assert f"({ranked})</h1>" in first and "(1)</h1>" in found
    assert last_page.count(ROW) == ranked - 100 and f'<tr><td class="num">{ranked}</td>' in last_page


def test_only_judges_get_the_downloads(app, tmp_path, auth, client):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    auth.login_as("organiser")
    for path in ("export.csv", "export.xlsx", "awards.csv", "attempts.csv", "ranking"):
        assert client.get(f"/judging/rounds/{round_id}/{path}").status_code == 403, path
    assert client.get(f"/judging/rounds/{round_id}/export.pdf").status_code in (403, 404)
