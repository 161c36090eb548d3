"""Work a feature wants done once a day at a set time in Vietnam (the retention purge), run by the
background worker.

A feature registers its task when the app is built (``register_daily``: a name, a function, and
the time as "HH:MM" on the clocks of the installation's ``TIMEZONE``). Every worker (``flask --app
wsgi jobs worker``, worker.py) runs RQ's scheduler beside it, and ``plan``s each task when it
starts and at each of RQ's maintenance passes (every 10 minutes):

- once today's time has come, today's run is queued at once unless Redis has it already (the
  workers were all down at that time, or Redis lost the job);
- the next day's run is scheduled for its time (``Queue.enqueue_at``); one of the workers'
  schedulers (RQ lets one hold the queue's lock) moves it to the queue when the time comes.

Planning reads no database: the worker forks a child for each job, and an SQLite connection
the parent had used must not cross a fork (other processes on the same file then failed with
"disk I/O error"). Each day's job has one id (``job_id``) and is queued with ``unique=True``, and
RQ keeps a finished one for two days, so however many workers plan it, Redis holds one job for
the day. That keeps the queue tidy; it is not what makes the run happen once. The database
decides, in the job: ``run`` first inserts the day's row in ``daily_runs``, whose primary key
(task, day) admits one, and only the worker whose insert succeeds does the work. Redis alone
could not promise it: the embedded Redis keeps nothing on disk, a restarted or flushed Redis
forgets its jobs and locks (and a job id is free again once RQ drops the finished job), and a
lock that expires while a long run goes on lets a second run in. The row survives worker
restarts and Redis outages, and is written by the same database the task changes.

A run that fails keeps its row (``failed``, with the error's name) and is not tried again that
day; the next day's run does the work then. A job that starts outside its day, or before its
time (the workers were down past midnight; a clock set back), does nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy.exc import IntegrityError

from quizapp.clock import local_date, now
from quizapp.extensions import db
from quizapp.jobs.models import DailyRun

log = logging.getLogger("quizapp.jobs")
DailyFunction = Callable[[], dict]


@dataclass(frozen=True)
class Daily:
    name: str
    func: DailyFunction
    at: time  # on the clocks of the installation's TIMEZONE


def register_daily(app: Flask, name: str, func: DailyFunction, *, setting: str) -> None:
    """Run ``func`` once a day at the time the configuration key ``setting`` holds ("HH:MM",
    Vietnam's time). ``func`` runs in the worker with an app context, commits its own work, and
    returns what it did (kept with the day's run). A bad time stops the app from starting."""
    at = parse_time(app.config[setting], setting)
    app.extensions.setdefault("quizapp.daily", {})[name] = Daily(name, func, at)


def parse_time(value: object, setting: str) -> time:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", str(value).strip())
    if match is None:
        raise RuntimeError(f"QUIZAPP_{setting} must be a time of day as HH:MM (24 hours, Vietnam's time), "
                           f"e.g. 02:30; got {value!r}.")
    return time(int(match[1]), int(match[2]))


def tasks(app: Flask) -> dict[str, Daily]:
    return app.extensions.get("quizapp.daily", {})


def _zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config["TIMEZONE"]))


def run_time(task: Daily, day: date) -> datetime:
    """When ``task`` runs on ``day``, in UTC."""
    return datetime.combine(day, task.at, tzinfo=_zone()).astimezone(UTC)


def next_day(task: Daily, moment: datetime) -> date:
    """The first day whose time for ``task`` is still to come."""
    day = local_date(moment)
    return day if moment < run_time(task, day) else day + timedelta(days=1)


def job_id(app: Flask, task: Daily, day: date) -> str:
    # RQ's job ids are global in Redis: the queue's name tells instances sharing one apart.
    queue = re.sub(r"[^A-Za-z0-9_-]", "_", str(app.config["JOBS_QUEUE"]))
    return f"daily-{queue}-{task.name}-{day.isoformat()}"


def plan(app: Flask, queue: Queue) -> None:
    """Queue today's run once its time has come and schedule the next one, for every daily task
    (see the module's docstring). Called by each worker; a Redis that does not answer is logged
    and the next maintenance pass plans again."""
    moment = now()
    try:
        for task in tasks(app).values():
            today = local_date(moment)
            if moment >= run_time(task, today):
                _schedule(app, queue, task, today, None)
            following = next_day(task, moment)
            _schedule(app, queue, task, following, run_time(task, following))
    except RedisError as error:
        log.warning("Could not plan the daily tasks (%s): the next maintenance pass tries again", error)


def _schedule(app: Flask, queue: Queue, task: Daily, day: date, at: datetime | None) -> None:
    """Queue the run of ``day`` now (``at`` None) or schedule it for ``at``, unless Redis has it."""
    options = {"job_id": job_id(app, task, day), "unique": True, "job_timeout": int(app.config["JOBS_TIMEOUT_SECONDS"]),
               "result_ttl": 2 * 24 * 3600, "failure_ttl": 7 * 24 * 3600,
               "description": f"daily {task.name} {day.isoformat()}"}
    try:
        if at is None:
            queue.enqueue(run, task.name, day.isoformat(), **options)
        else:
            queue.enqueue_at(at, run, task.name, day.isoformat(), **options)
    except DuplicateJobError:
        return  # another worker (or this one, earlier) planned it already


def run(name: str, day: str) -> dict | None:
    """The worker's entry point for one day's run of the daily task ``name``: claims the day and
    runs the task, or does nothing when the day is claimed already, over, or not yet at its
    time. Returns what the task did (kept by RQ with the job), or None when it did not run."""
    app = current_app._get_current_object()
    task = tasks(app)[name]
    with app.app_context():
        try:
            return _run(task, date.fromisoformat(day))
        finally:
            db.session.remove()


def _run(task: Daily, day: date) -> dict | None:
    moment = now()
    if local_date(moment) != day or moment < run_time(task, day):
        log.info("Daily %s of %s skipped: it is not that day's time", task.name, day)
        return None
    db.session.add(DailyRun(task=task.name, day=day, status="started", started_at=moment))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("Daily %s of %s already run by another worker", task.name, day)
        return None
    try:
        result = task.func()
    except Exception as error:  # kept on the day's row, then given to RQ, which logs it
        db.session.rollback()
        _finish(task, day, "failed", {"error": type(error).__name__})
        raise
    _finish(task, day, "finished", result)
    return result


def _finish(task: Daily, day: date, status: str, result: dict) -> None:
    run_ = db.session.get(DailyRun, (task.name, day))
    run_.status, run_.finished_at, run_.result = status, now(), result
    db.session.commit()
