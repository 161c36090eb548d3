"""Background jobs in tests: a real RQ worker, in this process, on the suite's Redis.

``run_jobs(app)`` works the app's queue until it is empty (RQ's ``SimpleWorker``, burst mode);
``download(client, url)`` follows a judge's download from the click to the file;
``idle_worker(app)`` is a worker registered on the app's queue, as one waiting for work is.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import redis
from flask import Flask
from rq import SimpleWorker

from quizapp.jobs.services import queue_for


def run_jobs(app: Flask) -> bool:
    """Run every job queued for ``app`` now; True if any ran."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            worker = SimpleWorker([queue_for(app, connection)], connection=connection)
            return worker.work(burst=True, logging_level="WARNING")
    finally:
        # The worker takes SIGINT and SIGTERM for itself; give them back to pytest.
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        connection.close()


def download(client, url: str):
    """GET ``url`` as a judge clicks it; if it answers with a job, run the worker, then fetch the
    same URL with the job's token, as the progress page does."""
    response = client.get(url)
    if response.status_code != 303 or "job=" not in response.headers["Location"]:
        return response
    response.close()
    run_jobs(client.application)
    return client.get(response.headers["Location"])


@contextlib.contextmanager
def idle_worker(app: Flask) -> Iterator[SimpleWorker]:
    """A worker on the app's queue, alive in RQ's registry (its birth registered, its key with
    the heartbeat's expiry) while the block runs, and gone after it, as a worker that starts
    and waits for work, then stops."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    worker = SimpleWorker([queue_for(app, connection)], connection=connection)
    worker.register_birth()
    try:
        yield worker
    finally:
        worker.register_death()
        connection.close()
