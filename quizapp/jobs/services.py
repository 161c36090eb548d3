"""Long work as background jobs on Redis (RQ), with the record and the output in the database.

A feature registers its job functions when the app is built (``register``) and starts a job for a
file (``start``); the worker (``flask --app wsgi jobs worker``, quizapp/jobs/worker.py) runs
``perform`` with the job's id. The record says where the job is (queued, started with its progress,
finished with its file, failed with a message for people); the feature's pages read it with
``find`` and serve the file with ``chunks``.

- A job function is ``func(stream, progress, **args)``: it writes the file to ``stream`` and may
  tell ``progress`` how far it is. It runs in the worker with an app context of its own.
- A kept job (``keep=True``, a locked round's file) is made once: a later ``start`` with its key
  returns the finished job and nothing runs.
- A job with the same key already queued or running is joined, not run twice (a double click, or
  two judges at once). A finished unkept job is never reused for a new click: an unlocked round
  may have changed a second later (an award decision), so each click makes the file afresh.
- Unkept jobs and their files are deleted ``JOBS_KEEP_SECONDS`` after they were made.
- Without Redis (``REDIS_URL`` unset: a test app, a bare ``flask run``) ``start`` runs the job
  here and now, so nothing breaks; the request then takes as long as the work.

Like the other services these flush and commit only the job's own rows (the job record must be
visible to the worker before it is queued).
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import BinaryIO, TypeVar

from flask import Flask, after_this_request, current_app
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.timeouts import JobTimeoutException
from rq.worker_registration import WORKERS_BY_QUEUE_KEY
from sqlalchemy import delete, insert, select, update

from quizapp.clock import now
from quizapp.extensions import db
from quizapp.jobs.models import CHUNK_BYTES, Job, JobChunk

T = TypeVar("T")
JobFunction = Callable[..., None]
log = logging.getLogger("quizapp.jobs")

IN_FLIGHT = ("queued", "started")
# A job queued this recently may not have reached Redis yet: it is not judged lost.
ENQUEUE_GRACE = timedelta(seconds=30)
FAILED_MESSAGE = ("Không tạo được tệp do lỗi hệ thống. Hãy bấm “Thử lại”; nếu vẫn lỗi, xin báo quản trị viên.")
LOST_MESSAGE = ("Việc chuẩn bị tệp bị gián đoạn (tiến trình nền đã dừng). Hãy bấm “Thử lại”.")


class Unavailable(Exception):
    """The queue (Redis) did not answer: the job was not started."""


def register(app: Flask, kind: str, func: JobFunction) -> None:
    """Let the worker run ``func`` for jobs of ``kind`` (called by features when the app is built)."""
    app.extensions.setdefault("quizapp.jobs", {})[kind] = func


def defer(func: Callable[..., None], *args: object) -> None:
    """Run ``func(*args)`` after this response, never inside it (a text message through a slow
    gateway must not hold a web worker): queued for the worker when there is Redis, else run
    in this process once the response has been sent. ``func`` must be a module-level function;
    it runs with an app context and commits its own work. Queueing costs the request one Redis
    write whatever ``func`` will do, so the answer takes the same time either way.

    ``args`` are kept in Redis with the job (a day when it fails), so they must hold no personal
    data: pass an account's id, never its phone. The job's description, which RQ logs, is the
    function's name alone.

    A Redis that does not answer is logged and the call runs after the response here instead.
    """
    app = current_app._get_current_object()
    queue = queue_for(app)
    if queue is not None:
        try:
            queue.enqueue(run_deferred, func, *args, job_timeout=120, result_ttl=0, failure_ttl=24 * 3600,
                          description=f"deferred {func.__qualname__}")
            return
        except RedisError as error:
            log.warning("Job queue unreachable (%s): running %s after the response instead", error,
                        func.__qualname__)

    @after_this_request
    def run_after(response):
        response.call_on_close(lambda: _run_in(app, func, args, reraise=False))
        return response


def run_deferred(func: Callable[..., None], *args: object) -> None:
    """The worker's entry point for ``defer``: ``func`` with a fresh app context."""
    _run_in(current_app._get_current_object(), func, args, reraise=True)


def _run_in(app: Flask, func: Callable[..., None], args: tuple, *, reraise: bool) -> None:
    with app.app_context():
        try:
            func(*args)
        except Exception:
            if reraise:  # the worker: RQ logs it and keeps it in its failed registry
                raise
            app.logger.exception("Deferred %s failed", func.__qualname__)
        finally:
            db.session.remove()


def workers_alive(app: Flask, connection) -> int:
    """How many RQ workers listen on the app's queue and are alive: registered in RQ's worker
    registry and with their key still there (a worker renews it with each heartbeat; a killed
    one's expires within RQ's worker TTL, 7 minutes, plus one). Two Redis round trips."""
    keys = connection.smembers(WORKERS_BY_QUEUE_KEY % app.config["JOBS_QUEUE"])
    return int(connection.exists(*keys)) if keys else 0


def queue_for(app: Flask, connection=None) -> Queue | None:
    """The app's RQ queue on its Redis, or None without Redis."""
    connection = connection if connection is not None else app.extensions.get("quizapp.redis")
    if connection is None:
        return None
    return Queue(str(app.config["JOBS_QUEUE"]), connection=connection)


def start(kind: str, *, args: dict, scope: str, key: str, filename: str, mimetype: str, keep: bool = False,
          user_id: int | None = None) -> Job:
    """The job that makes the file ``key``: a kept one already made, one in flight, or a new one
    (queued; run here when there is no Redis). Raises ``Unavailable`` when Redis does not answer."""
    if keep:
        made = db.session.scalar(select(Job).where(Job.key == key, Job.keep, Job.status == "finished").limit(1))
        if made is not None:
            return made
    for running in db.session.scalars(select(Job).where(Job.key == key, Job.status.in_(IN_FLIGHT))
                                      .order_by(Job.created_at.desc()).limit(1)):
        if settle(running).status in IN_FLIGHT:
            return running
    _make_room()
    job = Job(id=secrets.token_hex(16), kind=kind, args=args, scope=scope, key=key, keep=keep, filename=filename,
              mimetype=mimetype, created_by=user_id, created_at=now(), status="queued", done=0)
    db.session.add(job)
    db.session.commit()
    queue = queue_for(current_app)
    if queue is None:
        _run(job.id, reraise=False)
        db.session.refresh(job)
        return job
    try:
        queue.enqueue(perform, job.id, job_id=job.id, job_timeout=int(current_app.config["JOBS_TIMEOUT_SECONDS"]),
                      result_ttl=600, failure_ttl=24 * 3600, description=f"{kind} {key}")
    except RedisError as error:
        _fail(job.id, "Hàng đợi việc nền không phản hồi; chưa tạo được tệp. Hãy thử lại sau ít phút.")
        raise Unavailable(str(error)) from error
    return job


def find(job_id: str, scope: str) -> Job | None:
    """The job ``job_id`` if it belongs to ``scope`` (whose access the caller checked), settled."""
    # Tokens are 32 hex digits; anything else (a NUL byte PostgreSQL refuses) finds nothing.
    job = db.session.get(Job, job_id) if re.fullmatch(r"[0-9a-f]{32}", job_id) else None
    if job is None or job.scope != scope:
        return None
    return settle(job)


def settle(job: Job) -> Job:
    """The job as it really is: one that the queue lost (a worker killed, Redis flushed) or that
    ran past its timeout is marked failed, so the page offers a retry instead of waiting forever."""
    if job.status not in IN_FLIGHT:
        return job
    moment = now()
    timeout = timedelta(seconds=int(current_app.config["JOBS_TIMEOUT_SECONDS"]) + 60)
    lost = job.started_at is not None and moment - job.started_at > timeout
    connection = current_app.extensions.get("quizapp.redis")
    if not lost and connection is not None and moment - job.created_at > ENQUEUE_GRACE:
        try:
            status = RQJob.fetch(job.id, connection=connection).get_status()
        except NoSuchJobError:
            lost = True
        except RedisError:
            return job  # cannot tell now; the next look will
        else:
            lost = status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
    if lost:
        _fail(job.id, LOST_MESSAGE)
        db.session.refresh(job)
    return job


def chunks(job: Job) -> Iterator[bytes]:
    """The job's file, a chunk at a time (each read on its own, so memory holds one)."""
    count = db.session.scalar(select(JobChunk.seq).where(JobChunk.job_id == job.id)
                              .order_by(JobChunk.seq.desc()).limit(1))
    for seq in range(0 if count is None else count + 1):
        yield db.session.scalar(select(JobChunk.data).where(JobChunk.job_id == job.id, JobChunk.seq == seq))


def discard(key_prefix: str) -> int:
    """Delete every job (kept or not) whose key starts with ``key_prefix``, with its file: for
    when the data a kept file holds must go (a person's data erased). Flushes, never commits."""
    return _delete_jobs(Job.key.startswith(key_prefix, autoescape=True))


def discard_finished(key_prefix: str, *, but: str) -> int:
    """Delete the finished or failed jobs whose key starts with ``key_prefix``, other than
    ``but``, with their files: kept files a newer edition supersedes. A job in flight is left
    to finish (its worker still writes to it). Flushes, never commits; returns how many."""
    return _delete_jobs(Job.key.startswith(key_prefix, autoescape=True), Job.key != but,
                        Job.status.not_in(IN_FLIGHT))


def _delete_jobs(*where) -> int:
    db.session.execute(delete(JobChunk).where(JobChunk.job_id.in_(select(Job.id).where(*where))))
    return db.session.execute(delete(Job).where(*where)).rowcount


class Progress:
    """How far a job is, written to its record at most twice a second on a connection of its own
    (so it is seen while the job's own transaction is still reading)."""

    INTERVAL = 0.5

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.done = 0
        self.total: int | None = None
        self._written = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._write()

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """``items`` as they go by, each counted as done."""
        for item in items:
            yield item
            self.done += 1
            if time.monotonic() - self._written >= self.INTERVAL:
                self._write()
        self._write()

    def _write(self) -> None:
        self._written = time.monotonic()
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == self.job_id).values(done=self.done, total=self.total))


def perform(job_id: str) -> None:
    """The worker's entry point for one job (it runs with the worker's app context)."""
    with current_app.app_context():
        try:
            _run(job_id, reraise=True)
        finally:
            db.session.remove()


def _run(job_id: str, *, reraise: bool) -> None:
    job = db.session.get(Job, job_id)
    if job is None or job.status not in IN_FLIGHT:
        return
    func = current_app.extensions.get("quizapp.jobs", {}).get(job.kind)
    job.status, job.started_at = "started", now()
    db.session.commit()
    try:
        if func is None:
            raise LookupError(f"no job function registered for {job.kind!r}")
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            func(spool, Progress(job_id), **job.args)
            db.session.rollback()  # end the job's reading transaction before storing its file
            size = _store(job_id, spool)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="finished", finished_at=now(), byte_size=size))
        db.session.commit()
    except Exception as error:  # a job's failure is shown to the judge, whatever it was
        db.session.rollback()
        _fail(job_id, _message(error))
        if reraise:
            raise
        current_app.logger.exception("Job %s (%s) failed", job_id, job.kind)


def _store(job_id: str, spool: BinaryIO) -> int:
    spool.seek(0)
    size = seq = 0
    while data := spool.read(CHUNK_BYTES):
        # One statement per chunk: the session never holds the whole file.
        db.session.execute(insert(JobChunk).values(job_id=job_id, seq=seq, data=data))
        size += len(data)
        seq += 1
    return size


def _message(error: Exception) -> str:
    if isinstance(error, JobTimeoutException):
        minutes = max(1, int(current_app.config["JOBS_TIMEOUT_SECONDS"]) // 60)
        return (f"Việc chuẩn bị tệp vượt quá thời gian cho phép ({minutes} phút). Hãy bấm “Thử lại”; "
                "nếu vẫn không được, xin báo quản trị viên.")
    # A domain error (quizapp.errors.DomainError) carries a message written for people.
    message = getattr(error, "message", None)
    return message if isinstance(message, str) and message else FAILED_MESSAGE


def _fail(job_id: str, message: str) -> None:
    db.session.execute(update(Job).where(Job.id == job_id, Job.status.in_(IN_FLIGHT)).values(
        status="failed", message=message, finished_at=now()))
    db.session.commit()


def _make_room() -> None:
    """Delete unkept jobs older than ``JOBS_KEEP_SECONDS``, with their files."""
    cutoff = now() - timedelta(seconds=int(current_app.config["JOBS_KEEP_SECONDS"]))
    old = select(Job.id).where(Job.keep.is_(False), Job.created_at < cutoff, Job.status.not_in(IN_FLIGHT))
    db.session.execute(delete(JobChunk).where(JobChunk.job_id.in_(old)))
    db.session.execute(delete(Job).where(Job.keep.is_(False), Job.created_at < cutoff,
                                         Job.status.not_in(IN_FLIGHT)))
