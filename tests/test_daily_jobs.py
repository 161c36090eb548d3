"""Daily tasks of the background worker (quizapp/jobs/daily.py): due from their time in Vietnam until
they have run that day, planned into Redis once however many workers plan them, and run once a day
however many workers race for the day."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
from rq.registry import ScheduledJobRegistry

from quizapp.extensions import db
from quizapp.jobs import daily
from quizapp.jobs.models import DailyRun
from quizapp.jobs.services import queue_for
from quizapp.jobs.worker import AppWorker
from tests.attempt_support import install_clock
from tests.job_support import run_jobs

# 02:30 in Vietnam (UTC+7) on 8 May 2030 is 19:30 UTC on the 7th.
DAY = date(2030, 5, 8)
AT = datetime(2030, 5, 7, 19, 30, tzinfo=UTC)
CALLS: list[str] = []


def count_call() -> dict:
    CALLS.append("run")
    return {"done": len(CALLS)}


def forget(queue) -> None:
    """What a restarted or flushed Redis does to the queue: its jobs, queued, scheduled or done,
    and their results are gone (every RQ key that names the queue; daily job ids name it too)."""
    for key in queue.connection.scan_iter(f"rq:*{queue.name}*"):
        queue.connection.delete(key)


@pytest.fixture
def scheduled(make_app):
    """An app with only the task ``counted``, daily at 02:30, on a queue of its own (emptied after)."""
    app = make_app(JOBS_QUEUE=f"daily-{uuid.uuid4().hex[:8]}")
    daily.tasks(app).clear()
    daily.register_daily(app, "counted", count_call, setting="PRIVACY_PURGE_AT")
    CALLS.clear()
    yield app
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    forget(queue_for(app, connection))
    connection.close()


def test_the_purge_time_is_a_setting_and_a_bad_one_stops_the_app(make_app):
    app = make_app()
    assert app.config["PRIVACY_PURGE_AT"] == "02:30"  # the documented default
    assert daily.tasks(app)["privacy_purge"].at.strftime("%H:%M") == "02:30"
    for bad in ("25:00", "2:30", "02:30:00", "nửa đêm"):
        with pytest.raises(RuntimeError, match="QUIZAPP_PRIVACY_PURGE_AT must be a time of day as HH:MM"):
            make_app(PRIVACY_PURGE_AT=bad)


def test_a_day_runs_from_its_time_and_once(scheduled):
    # 19:29 UTC on the 7th is 02:29 on the 8th in Vietnam: the 8th's run is not due yet.
    clock = install_clock(scheduled, AT - timedelta(minutes=1))
    task = daily.tasks(scheduled)["counted"]
    with scheduled.app_context():
        assert daily.run_time(task, DAY) == AT
        assert daily.next_day(task, clock()) == DAY
        assert daily.run("counted", DAY.isoformat()) is None
        assert db.session.get(DailyRun, ("counted", DAY)) is None
        clock.set(AT)
        assert daily.next_day(task, clock()) == DAY + timedelta(days=1)
        assert daily.run("counted", DAY.isoformat()) == {"done": 1}
        clock.set(AT + timedelta(hours=20))  # 22:30 the same day: already run today
        assert daily.run("counted", DAY.isoformat()) is None
        clock.set(AT + timedelta(days=1))
        # A day's job that starts after the day is over does nothing: today's run is due instead.
        assert daily.run("counted", DAY.isoformat()) is None
        assert daily.run("counted", (DAY + timedelta(days=1)).isoformat()) == {"done": 2}
        row = db.session.get(DailyRun, ("counted", DAY))
        assert (row.status, row.result) == ("finished", {"done": 1})
    assert CALLS == ["run", "run"]


def test_workers_plan_nothing_for_today_before_its_time(scheduled):
    install_clock(scheduled, AT - timedelta(minutes=1))
    connection = redis.Redis.from_url(scheduled.config["REDIS_URL"])
    queue = queue_for(scheduled, connection)
    with scheduled.app_context():
        daily.plan(scheduled, queue)
    assert queue.job_ids == []
    today = daily.job_id(scheduled, daily.tasks(scheduled)["counted"], DAY)
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [today]
    connection.close()


def test_two_workers_racing_for_the_day_run_it_once(scheduled):
    install_clock(scheduled, AT + timedelta(minutes=5))
    start = threading.Barrier(2)
    results, errors = [], []

    def worker() -> None:
        try:
            with scheduled.app_context():  # as the worker's command pushes one
                start.wait(timeout=10)
                results.append(daily.run("counted", DAY.isoformat()))
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert CALLS == ["run"]
    assert sorted(results, key=str) == [None, {"done": 1}]


def test_workers_plan_one_job_a_day_in_redis_and_the_worker_runs_it_once(scheduled):
    clock = install_clock(scheduled, AT + timedelta(hours=3))
    connection = redis.Redis.from_url(scheduled.config["REDIS_URL"])
    queue = queue_for(scheduled, connection)
    registry = ScheduledJobRegistry(queue=queue)
    with scheduled.app_context():
        for _worker in range(3):  # three workers start, on any hosts
            daily.plan(scheduled, queue)
    assert queue.job_ids == [daily.job_id(scheduled, daily.tasks(scheduled)["counted"], DAY)]
    tomorrow = daily.job_id(scheduled, daily.tasks(scheduled)["counted"], DAY + timedelta(days=1))
    assert registry.get_job_ids() == [tomorrow]
    assert registry.get_expiration_time(queue.fetch_job(tomorrow)) == AT + timedelta(days=1)

    assert run_jobs(scheduled)
    assert CALLS == ["run"]
    with scheduled.app_context():  # a worker restarts the same day: Redis still has the day's job
        daily.plan(scheduled, queue)
    assert queue.job_ids == [] and registry.get_job_ids() == [tomorrow]
    # Redis forgets (restarted, flushed) and the day is queued again: the database knows it ran.
    forget(queue)
    with scheduled.app_context():
        daily.plan(scheduled, queue)
    assert run_jobs(scheduled)
    assert CALLS == ["run"]
    with scheduled.app_context():
        assert db.session.get(DailyRun, ("counted", DAY)).status == "finished"
    assert registry.get_job_ids() == [tomorrow]
    # The next day, past its time with the scheduled job lost, a worker's next pass queues it.
    forget(queue)
    clock.set(AT + timedelta(days=1, hours=1))
    with scheduled.app_context():
        daily.plan(scheduled, queue)
    assert queue.job_ids == [tomorrow]
    assert run_jobs(scheduled)
    assert CALLS == ["run", "run"]
    connection.close()


def test_a_failed_run_is_kept_and_not_tried_again_that_day(scheduled):
    install_clock(scheduled, AT)

    def broken() -> dict:
        raise ZeroDivisionError

    daily.register_daily(scheduled, "broken", broken, setting="PRIVACY_PURGE_AT")
    with scheduled.app_context():
        with pytest.raises(ZeroDivisionError):
            daily.run("broken", DAY.isoformat())
        row = db.session.get(DailyRun, ("broken", DAY))
        assert (row.status, row.result) == ("failed", {"error": "ZeroDivisionError"})
        assert daily.run("broken", DAY.isoformat()) is None


def test_each_worker_plans_the_daily_tasks_at_its_maintenance_pass(scheduled):
    install_clock(scheduled, AT + timedelta(minutes=1))
    connection = redis.Redis.from_url(scheduled.config["REDIS_URL"])
    queue = queue_for(scheduled, connection)
    worker = AppWorker([queue], connection=connection)
    with scheduled.app_context():
        worker.run_maintenance_tasks()
    assert queue.job_ids == [daily.job_id(scheduled, daily.tasks(scheduled)["counted"], DAY)]
    connection.close()
