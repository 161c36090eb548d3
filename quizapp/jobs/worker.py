"""The background worker: RQ's forking worker on the app's queue, run by
``flask --app wsgi jobs worker`` (the systemd unit, ``make run-prod`` and ``make run`` start exactly
that).

Each job runs in a child process (a work horse) forked from the worker, with the app context the
command pushed: a job that leaks memory or is killed at its timeout takes only its child with it.

Every worker also runs RQ's scheduler (one of them at a time moves jobs whose time has come onto
the queue) and plans the daily tasks (daily.py) when it starts and at each maintenance pass.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app
from rq import Worker

from quizapp.extensions import db
from quizapp.jobs import daily
from quizapp.jobs.services import queue_for


class AppWorker(Worker):
    def main_work_horse(self, job, queue):
        # The parent's pooled connections (if any) belong to the parent: the child opens its own.
        db.engine.dispose(close=False)
        super().main_work_horse(job, queue)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        daily.plan(current_app._get_current_object(), self.queues[0])


def run(app: Flask, *, burst: bool = False) -> None:
    """Work the app's queue until stopped (SIGINT or SIGTERM finish the current job first)."""
    url = app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("QUIZAPP_REDIS_URL is not set: without Redis, jobs run inside the request.")
    # No socket timeout: the worker blocks on the queue for minutes at a time.
    connection = redis.Redis.from_url(str(url))
    # Jobs carry fixed descriptions (jobs/services.py); the worker still logs only their ids, so
    # no job's arguments ever reach the log (DESIGN §3 rule 7).
    worker = AppWorker([queue_for(app, connection)], connection=connection, log_job_description=False)
    worker.work(burst=burst, logging_level="INFO", with_scheduler=True)
