"""What the background jobs keep: each job's record and its output file in chunks.

The output lives in the database, not on the disk of the host that made it (DESIGN §7, "Files that
outlive a request"): behind a load balancer the download reaches any app server, the worker may run
on another host, and the same backups that keep the locked results keep the files made from them.
A file is split into rows of ``CHUNK_BYTES`` so that it is written and served a chunk at a time,
never wholly in a worker's memory, the same way on PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.clock import UTCDateTime, utcnow
from quizapp.extensions import db

CHUNK_BYTES = 1024 * 1024
STATES = ("queued", "started", "finished", "failed")


class Job(db.Model):
    """One piece of long work: what to run (``kind`` and ``args``), for what (``scope``: the
    resource whose access rules apply, e.g. ``round:5``), what it makes (``key``: two jobs with the
    same key make the same file), where it is, and, once done, the file or a message."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_key_status", "key", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    # A kept file (a locked round's) is made once and served to every later download.
    keep: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    byte_size: Mapped[int | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobChunk(db.Model):
    """One piece of a job's output file, in order of ``seq``."""

    __tablename__ = "job_chunks"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DailyRun(db.Model):
    """One day's run of a daily task (jobs/daily.py). The primary key admits one row per task and
    day: the worker that inserts it runs the task, any other finds it there and does nothing."""

    __tablename__ = "daily_runs"

    task: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The day as clocks in Vietnam (the installation's TIMEZONE) show it.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # started, finished, failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the task reported (the purge: how many were erased), or the error it stopped on.
    result: Mapped[dict | None] = mapped_column(JSON)
