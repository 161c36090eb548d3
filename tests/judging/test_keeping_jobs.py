"""A big finished round's ranking is kept by a background job, never inside a judge's request:
the ranking page, the standings and the lock start (or join) the job and show its progress,
then the ranking. A small round's is kept in the request, as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.judging.materialised import kept, kept_totals
from quizapp.judging.models import RoundResult
from tests.attempt_support import CLOSES, install_clock
from tests.conftest import Accounts, csrf_token
from tests.job_support import run_jobs
from tests.ranking_support import generate_round

PEOPLE = 120


def finished_round(app, tmp_path) -> tuple[int, int]:
    """A round of about 300 attempts, past its close (expired attempts not yet closed): its id
    and its attempt count."""
    round_id, _rows = generate_round(app, tmp_path, people=PEOPLE)
    install_clock(app, CLOSES + timedelta(hours=1))
    with app.app_context():
        return round_id, db.session.scalar(select(func.count()).where(Attempt.round_id == round_id))


def state(app, round_id: int) -> tuple[bool, int]:
    """Whether the round's ranking is kept, and how many keeping jobs were started."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        jobs = db.session.scalar(select(func.count()).where(Job.kind == "judging.keep"))
        return kept(round_) is not None, jobs


def test_a_big_round_is_kept_by_a_job_while_the_page_shows_its_progress(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, attempts = finished_round(app, tmp_path)
    assert attempts > 100
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)

    first = judge.get(f"/judging/rounds/{round_id}/ranking?page=2")
    assert first.status_code == 303
    progress_url = first.headers["Location"]
    assert "job=" in progress_url and "page=2" in progress_url
    # Nothing was ranked in the request: the worker does it.
    assert state(app, round_id) == (False, 1)
    waiting = judge.get(progress_url)
    assert waiting.status_code == 200
    assert "Đang chờ đến lượt xếp hạng" in waiting.get_data(as_text=True)
    token = progress_url.split("job=")[1].split("&")[0]
    assert judge.get(f"/judging/rounds/{round_id}/jobs/{token}").get_json()["status"] == "queued"
    # A second judge's view (or a reload of the plain URL) joins the same job.
    again = judge.get(f"/judging/rounds/{round_id}/ranking")
    assert again.status_code == 303 and token in again.headers["Location"]
    assert state(app, round_id) == (False, 1)

    assert run_jobs(app)
    assert state(app, round_id) == (True, 1)
    with app.app_context():
        # The job kept the contest's totals for its standings too.
        assert kept_totals(db.session.get(Round, round_id).contest) is not None
    done = judge.get(progress_url)
    assert done.status_code == 303 and "job=" not in done.headers["Location"] and "page=2" in done.headers["Location"]
    page = judge.get(done.headers["Location"])
    assert page.status_code == 200 and "Người " in page.get_data(as_text=True)
    assert state(app, round_id) == (True, 1)


@pytest.mark.parametrize(("overrides", "jobs"), [
    ({"RANKING_INLINE_MAX_ATTEMPTS": 10_000}, 0),  # a small round: kept in the request
    ({"RANKING_INLINE_MAX_ATTEMPTS": 100, "REDIS_URL": None}, 1),  # no Redis: the job runs in the request
])
def test_the_ranking_is_kept_in_the_request_when_small_or_without_redis(make_app, tmp_path, overrides, jobs):
    app = make_app(**overrides)
    round_id, _attempts = finished_round(app, tmp_path)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    assert judge.get(f"/judging/rounds/{round_id}/ranking").status_code == 200
    assert state(app, round_id) == (True, jobs)


def test_the_standings_of_a_contest_with_a_big_round_wait_for_its_job(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, _attempts = finished_round(app, tmp_path)
    with app.app_context():
        slug = db.session.get(Round, round_id).contest.slug
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    first = judge.get(f"/judging/contests/{slug}/standings")
    assert first.status_code == 303 and "job=" in first.headers["Location"]
    assert state(app, round_id) == (False, 1)
    assert "Xếp hạng chung" in judge.get(first.headers["Location"]).get_data(as_text=True)
    run_jobs(app)
    done = judge.get(first.headers["Location"])
    assert done.status_code == 303
    page = judge.get(done.headers["Location"])
    assert page.status_code == 200 and "Người " in page.get_data(as_text=True)


def test_locking_a_big_round_waits_for_its_ranking_to_be_kept(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, _attempts = finished_round(app, tmp_path)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    form = {"confirm": "yes", "reason": "Đã xem xét mọi dấu hiệu.", "csrf_token": csrf_token(judge)}
    refused = judge.post(f"/judging/rounds/{round_id}/lock", data=form)
    assert refused.status_code == 303 and "job=" in refused.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundResult)) == 0
    run_jobs(app)
    locked = judge.post(f"/judging/rounds/{round_id}/lock", data=form)
    assert locked.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundResult)) == 1


def test_a_failed_keeping_job_offers_a_retry(make_app, tmp_path, monkeypatch):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, _attempts = finished_round(app, tmp_path)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    progress_url = judge.get(f"/judging/rounds/{round_id}/ranking").headers["Location"]

    def broken(_round):
        raise RuntimeError("the database said no")

    monkeypatch.setattr("quizapp.judging.materialised.keep", broken)
    run_jobs(app)  # RQ records the failure; the job's record says it to the judge
    page = judge.get(progress_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Thử lại" in html and "Không tạo được tệp do lỗi hệ thống" in html
    monkeypatch.undo()
    # The retry starts a new job, which keeps it.
    retry = judge.get(f"/judging/rounds/{round_id}/ranking")
    assert retry.status_code == 303 and retry.headers["Location"] != progress_url
    run_jobs(app)
    assert state(app, round_id) == (True, 2)


def test_the_periodic_command_hands_finished_rounds_to_the_worker(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, _attempts = finished_round(app, tmp_path)
    runner = app.test_cli_runner()
    started = runner.invoke(args=["rankings", "keep", "--in-background"])
    assert started.exit_code == 0, started.output
    assert f"Đã giao 1 vòng thi cho tiến trình nền: {round_id} (việc " in started.output
    assert state(app, round_id) == (False, 1)
    # A judge opening the round meanwhile waits for the same job.
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    assert judge.get(f"/judging/rounds/{round_id}/ranking").status_code == 303
    assert state(app, round_id) == (False, 1)
    run_jobs(app)
    assert state(app, round_id) == (True, 1)
    again = runner.invoke(args=["rankings", "keep", "--in-background"])
    assert again.exit_code == 0 and "Đã giao 0 vòng thi" in again.output


def open_attempts(app, round_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Attempt.round_id == round_id, Attempt.status == "open"))


def test_the_round_page_of_a_big_round_comes_back_after_its_job(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=100)
    round_id, _attempts = finished_round(app, tmp_path)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    expired = open_attempts(app, round_id)
    assert expired > 0
    for page, back in ((f"/judging/rounds/{round_id}", "back=review"),
                       (f"/judging/rounds/{round_id}/lock", "back=lock")):
        first = judge.get(page)
        assert first.status_code == 303 and back in first.headers["Location"]
    # Not even the expired attempts were closed in those requests: the worker does it.
    assert open_attempts(app, round_id) == expired
    run_jobs(app)
    done = judge.get(first.headers["Location"])
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/judging/rounds/{round_id}/lock")
    assert judge.get(done.headers["Location"]).status_code == 200
    assert judge.get(f"/judging/rounds/{round_id}").status_code == 200
    assert open_attempts(app, round_id) == 0
