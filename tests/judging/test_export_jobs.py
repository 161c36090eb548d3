"""Judges' downloads as background jobs (judging.jobs on quizapp.jobs): from the click to the file
with a real RQ worker on the suite's Redis, the progress page and its status URL, a locked round's
files made once, who may see a job, a failing job's message and retry, and the run in the request
without Redis."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import redis
from rq import Queue
from rq.timeouts import JobTimeoutException
from sqlalchemy import func, select

from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.jobs.models import Job, JobChunk
from quizapp.jobs.services import queue_for
from quizapp.judging.locking import CHECKSUM_LABEL, lock_round
from quizapp.judging.ranking import ranked_people
from quizapp.judging.rows import HEADER
from tests.attempt_support import CLOSES
from tests.conftest import Accounts
from tests.job_support import run_jobs
from tests.ranking_support import generate_round

ROUND_FILES = ("export.csv", "export.xlsx", "awards.csv", "attempts.csv")


def judge_of(app, round_id: int):
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def click(client, url: str) -> str:
    """A judge's click on a download: answered by a redirect to its job; returns that URL."""
    response = client.get(url)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].startswith(url + "?job=")
    return response.headers["Location"]


def token_of(job_url: str) -> str:
    return job_url.rsplit("job=", 1)[1]


def jobs_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job))


def lock(app, round_id: int) -> str:
    app.extensions["quizapp.clock"].set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))
    with app.app_context():
        result = lock_round(db.session.get(Round, round_id), None, reason="Kiểm thử")
        db.session.commit()
        return result.checksum


def test_a_download_goes_from_the_click_through_its_progress_to_the_file(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=40)
    judge = judge_of(app, round_id)
    url = f"/judging/rounds/{round_id}/export.xlsx"

    job_url = click(judge, url)
    waiting = judge.get(job_url)
    page = waiting.get_data(as_text=True)
    status_url = f"/judging/rounds/{round_id}/jobs/{token_of(job_url)}"
    # Queued: the page says so, reloads itself without JavaScript, and polls the status URL with it.
    assert waiting.status_code == 200 and "Đang chờ đến lượt chuẩn bị tệp" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'data-status-url="{status_url}"' in page and "job.js" in page
    assert judge.get(status_url).get_json() == {"status": "queued", "done": 0, "total": None, "message": None}

    assert run_jobs(app)

    with app.app_context():
        people = ranked_people(round_id)
    status = judge.get(status_url).get_json()
    assert status["status"] == "finished" and status["done"] == status["total"] == people
    response = judge.get(job_url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="xep-hang-vong-{1}.xlsx"'
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert int(response.headers["Content-Length"]) == len(data)
    sheet = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert list(sheet[0][:len(HEADER)]) == HEADER and len(sheet) == people + 1


def test_a_job_shows_how_far_it_is(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    job_url = click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    with app.app_context():
        job = db.session.get(Job, token_of(job_url))
        job.status, job.started_at, job.done, job.total = "started", job.created_at, 1500, 3000
        db.session.commit()

    page = judge.get(job_url).get_data(as_text=True)
    assert "Đang chuẩn bị tệp: đã ghi 1.500 / 3.000 dòng." in page and 'value="1500"' in page
    status = judge.get(f"/judging/rounds/{round_id}/jobs/{token_of(job_url)}").get_json()
    assert status == {"status": "started", "done": 1500, "total": 3000, "message": None}


def test_progress_is_seen_while_the_job_is_still_writing(app, tmp_path, monkeypatch, suite_engine):
    """The worker writes progress on a connection of its own, so a page sees it mid-job."""
    round_id, _rows = generate_round(app, tmp_path, people=30)
    judge = judge_of(app, round_id)
    seen = []
    from quizapp.jobs import services

    monkeypatch.setattr(services.Progress, "INTERVAL", 0)
    registered = app.extensions["quizapp.jobs"]["judging.attempts"]

    def watched(stream, progress, **args):
        counted = progress.counted

        def rows_seen(items):
            for number, item in enumerate(counted(items)):
                if number == 10:
                    # What another app server reads meanwhile (this process's requests would share
                    # the worker's app context, and so its session).
                    with suite_engine.connect() as connection:
                        seen.append(tuple(connection.execute(select(Job.status, Job.done, Job.total)
                                                             .where(Job.id == progress.job_id)).one()))
                yield item
        progress.counted = rows_seen
        registered(stream, progress, **args)

    app.extensions["quizapp.jobs"]["judging.attempts"] = watched
    job_url = click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    run_jobs(app)
    with app.app_context():
        total = db.session.get(Job, token_of(job_url)).total
    assert seen == [("started", 10, total)] and total > 10
    assert judge.get(job_url).status_code == 200


def test_a_locked_rounds_files_are_made_once_then_served_from_storage(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=20)
    checksum = lock(app, round_id)
    judge, other_judge = judge_of(app, round_id), judge_of(app, round_id)
    queue = queue_for(app)

    for name in ROUND_FILES:
        url = f"/judging/rounds/{round_id}/{name}"
        job_url = click(judge, url)
        run_jobs(app)
        first = judge.get(job_url).get_data()
        jobs_before = jobs_in_db(app)

        again = other_judge.get(url)  # a later click, by anyone: the stored file, no job
        assert again.status_code == 200 and again.get_data() == first, name
        assert jobs_in_db(app) == jobs_before and queue.count == 0, name
    ranking = list(csv.reader(io.StringIO(judge.get(f"/judging/rounds/{round_id}/export.csv")
                                          .get_data().decode("utf-8-sig"))))
    assert ranking[-1] == [CHECKSUM_LABEL, checksum]


def test_an_unlocked_round_is_made_afresh_on_each_click_but_a_double_click_joins_the_job(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=5)
    judge = judge_of(app, round_id)
    url = f"/judging/rounds/{round_id}/export.csv"

    first, double = click(judge, url), click(judge_of(app, round_id), url)
    assert first == double and queue_for(app).count == 1  # one job for both
    run_jobs(app)
    assert judge.get(first).status_code == 200
    later = click(judge, url)  # the round may have changed since: a new file
    assert later != first and jobs_in_db(app) == 2


def test_only_the_contests_judges_see_a_job_or_its_file(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    job_url = click(judge, f"/judging/rounds/{round_id}/export.csv")
    run_jobs(app)
    token = token_of(job_url)
    status_url = f"/judging/rounds/{round_id}/jobs/{token}"

    for role in ("judge", "organiser", "taker"):  # no role in this contest
        outsider = app.test_client()
        Accounts(app, outsider).login_as(role)
        assert outsider.get(job_url).status_code == 403, role
        assert outsider.get(status_url).status_code == 403, role
    anonymous = app.test_client().get(job_url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    # A token is good for its own download only.
    assert judge.get(f"/judging/rounds/{round_id}/jobs/{'0' * 32}").status_code == 404
    assert judge.get(f"/judging/rounds/{round_id}/export.csv?job={'0' * 32}").status_code == 404
    assert judge.get(f"/judging/rounds/{round_id}/export.csv?job={'%00' * 32}").status_code == 404
    standings = f"/judging/contests/xep-hang/standings.csv?job={token}"
    assert judge.get(standings).status_code in (403, 404)
    assert judge.get(f"/judging/contests/xep-hang/jobs/{token}").status_code in (403, 404)
    assert judge.get(job_url).status_code == 200


def test_a_failing_job_says_why_and_can_be_retried(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    url = f"/judging/rounds/{round_id}/export.xlsx"
    registered = app.extensions["quizapp.jobs"]["judging.ranking"]

    def broken(stream, progress, **args):
        raise OSError("disk full")

    app.extensions["quizapp.jobs"]["judging.ranking"] = broken
    job_url = click(judge, url)
    run_jobs(app)
    failed = judge.get(job_url)
    page = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "Không tạo được tệp do lỗi hệ thống" in page
    assert f'href="{url}"' in page and "Thử lại" in page
    status = judge.get(f"/judging/rounds/{round_id}/jobs/{token_of(job_url)}").get_json()
    assert status["status"] == "failed" and "Thử lại" in status["message"]

    def too_slow(stream, progress, **args):
        raise JobTimeoutException("timed out")

    app.extensions["quizapp.jobs"]["judging.ranking"] = too_slow
    job_url = click(judge, url)
    run_jobs(app)
    assert "vượt quá thời gian cho phép (30 phút)" in judge.get(job_url).get_data(as_text=True)

    app.extensions["quizapp.jobs"]["judging.ranking"] = registered
    retry = click(judge, url)
    run_jobs(app)
    assert judge.get(retry).headers["Content-Disposition"].endswith('.xlsx"')


def test_a_job_the_queue_lost_is_reported_failed_not_waited_for_forever(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    job_url = click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    token = token_of(job_url)
    queue_for(app).empty()  # as if Redis had been flushed, or the worker killed with its job
    queue_for(app).connection.delete(f"rq:job:{token}")
    assert "Đang chờ" in judge.get(job_url).get_data(as_text=True)  # just queued: not judged yet

    clock = app.extensions["quizapp.clock"]
    clock.set(clock() + timedelta(minutes=1))
    assert "bị gián đoạn" in judge.get(job_url).get_data(as_text=True)
    assert click(judge, f"/judging/rounds/{round_id}/attempts.csv") != job_url  # a new job, not the lost one


def test_the_contest_standings_are_a_job_too(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=10)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest="xep-hang")
    url = "/judging/contests/xep-hang/standings.csv"
    job_url = click(judge, url)
    run_jobs(app)
    table = list(csv.reader(io.StringIO(judge.get(job_url).get_data().decode("utf-8-sig"))))
    with app.app_context():
        people = ranked_people(round_id)
    assert table[0][0] == "Hạng" and len(table) == 1 + people
    lock(app, round_id)  # every counted round locked: made once from now on
    click(judge, url)
    run_jobs(app)
    jobs_before = jobs_in_db(app)
    assert judge.get(url).status_code == 200 and jobs_in_db(app) == jobs_before


def test_without_redis_the_job_runs_in_the_request(make_app, tmp_path):
    app = make_app(REDIS_URL=None)
    round_id, rows = generate_round(app, tmp_path, people=5)
    judge = judge_of(app, round_id)
    response = judge.get(f"/judging/rounds/{round_id}/export.csv")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('vong-1.csv"')
    assert list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))[0] == HEADER
    with app.app_context():
        assert db.session.scalar(select(Job.status)) == "finished"


def test_unkept_files_go_after_their_time(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    click(judge, f"/judging/rounds/{round_id}/export.csv")
    run_jobs(app)
    clock = app.extensions["quizapp.clock"]
    clock.set(clock() + timedelta(seconds=app.config["JOBS_KEEP_SECONDS"] + 1))
    click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    with app.app_context():
        assert db.session.scalars(select(Job.key)).all() == [f"judging:round:{round_id}:attempts.csv"]
        assert db.session.scalar(select(func.count()).select_from(JobChunk)) == 0


def test_the_worker_command_runs_the_queue(app, tmp_path, database_url, redis_url):
    """``flask --app wsgi jobs worker``, as an admin (and make run) starts it, in a process of its own."""
    import os
    import subprocess
    import sys

    round_id, rows = generate_round(app, tmp_path, people=8)
    judge = judge_of(app, round_id)
    job_url = click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    env = {**os.environ, "QUIZAPP_DATABASE_URL": database_url, "QUIZAPP_REDIS_URL": redis_url,
           "QUIZAPP_SECRET_KEY": app.config["SECRET_KEY"], "QUIZAPP_JOBS_QUEUE": app.config["JOBS_QUEUE"]}
    root = Path(__file__).resolve().parents[2]  # where wsgi.py is
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],  # noqa: S603
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    response = judge.get(job_url)
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))) == len(rows) + 1


def test_the_queue_is_the_apps_redis(app):
    queue = queue_for(app)
    assert isinstance(queue, Queue) and queue.name == app.config["JOBS_QUEUE"]
    assert isinstance(queue.connection, redis.Redis)


def test_a_click_while_redis_is_down_is_answered_503_with_retry_after(make_app, tmp_path):
    from quizapp.localredis import free_port

    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    round_id, _rows = generate_round(app, tmp_path, people=3)
    judge = judge_of(app, round_id)
    response = judge.get(f"/judging/rounds/{round_id}/export.csv")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Hàng đợi việc nền đang không phản hồi" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Job.status)) == "failed"  # not left waiting for ever


def test_discard_forgets_kept_files(app, tmp_path):
    """For erasing a person's data: kept files that hold it can be deleted by key."""
    from quizapp.jobs.services import discard

    round_id, _rows = generate_round(app, tmp_path, people=3)
    lock(app, round_id)
    judge = judge_of(app, round_id)
    click(judge, f"/judging/rounds/{round_id}/attempts.csv")
    run_jobs(app)
    with app.app_context():
        assert discard(f"judging:round:{round_id}:") == 1
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(JobChunk)) == 0
    click(judge, f"/judging/rounds/{round_id}/attempts.csv")  # made again on the next click
