"""The retention purge run daily by the background worker: it erases whom ``flask privacy purge``
would, says so in the audit log the admin reads, and a purge started by hand at the same time
erases nobody twice."""

from __future__ import annotations

import threading
import uuid

import redis
from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.extensions import db
from quizapp.jobs import daily
from quizapp.jobs.services import queue_for
from quizapp.privacy import purge as purge_module
from tests.conftest import Accounts
from tests.job_support import run_jobs
from tests.privacy.support import build, lock_first_round
from tests.privacy.test_purge import erased, purge
from tests.test_daily_jobs import forget


def purge_events(app, action: str = "privacy.purged") -> list[dict]:
    with app.app_context():
        return [event.after for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_the_daily_job_erases_whom_the_command_would_and_the_admin_sees_it(make_app, tmp_path):
    app = make_app(JOBS_QUEUE=f"purge-{uuid.uuid4().hex[:8]}", PRIVACY_RETENTION_DAYS=0)
    scene = build(app, tmp_path)
    lock_first_round(app, scene)  # the clock is past round 1's close: 09:00 in Vietnam, past 02:30
    assert purge(app, "--dry-run").startswith("4 người dự thi")
    expected = {f"taker:{scene.people[key].user_id}" for key in ("winner", "leaver", "other", "practice_only")}
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    queue = queue_for(app, connection)
    try:
        with app.app_context():
            daily.plan(app, queue)
        assert run_jobs(app)
        assert erased(app) == expected
        assert purge_events(app) == [{"erased": 4, "by": "daily", "retention_days": 0}]
        # Planned again the same day (another worker, a restart): nothing more runs.
        with app.app_context():
            daily.plan(app, queue)
        assert not run_jobs(app)
    finally:
        forget(queue)
        connection.close()

    admin = Accounts(app, app.test_client())
    admin.login_as("admin")
    page = admin.client.get("/admin/audit?kind=purge")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Xoá dữ liệu hết thời hạn lưu giữ (lần chạy tự động hằng ngày): 4 người" in text
    # The purge's own erasures (privacy.erased) are in the log, under another category.
    assert "Xoá dữ liệu cá nhân của" not in text and "privacy.purged" not in text


def test_a_purge_by_hand_during_the_daily_one_erases_each_person_once(app, tmp_path, monkeypatch):
    scene = build(app, tmp_path)
    app.config["PRIVACY_RETENTION_DAYS"] = 0
    lock_first_round(app, scene)
    hand_has_read = threading.Event()
    daily_holds_batch = threading.Event()
    seen_by_hand: list[list[int]] = []
    counts: dict[str, int] = {}
    real_due, real_erase = purge_module.due_for_purge, purge_module.erase_person

    def due_for_purge(moment=None):
        due = real_due(moment)
        if threading.current_thread().name == "hand":
            seen_by_hand.append(due)
            hand_has_read.set()
        return due

    def erase_person(user, reason):
        # The daily purge holds its first batch until the hand purge has read who is due.
        if threading.current_thread().name == "daily" and not daily_holds_batch.is_set():
            daily_holds_batch.set()
            assert hand_has_read.wait(timeout=30)
        return real_erase(user, reason)

    monkeypatch.setattr(purge_module, "due_for_purge", due_for_purge)
    monkeypatch.setattr(purge_module, "erase_person", erase_person)

    def run(by: str) -> None:
        with app.app_context():
            counts[by] = purge_module.purge(by=by)

    daily_run = threading.Thread(target=run, args=("daily",), name="daily")
    daily_run.start()
    assert daily_holds_batch.wait(timeout=30)
    hand = threading.Thread(target=run, args=("command",), name="hand")
    hand.start()
    for thread in (daily_run, hand):
        thread.join(timeout=60)
    assert len(seen_by_hand[0]) == 4  # the hand purge saw the same four due...
    assert counts == {"daily": 4, "command": 0}  # ...and erased none of them again
    assert len(erased(app)) == 4
    assert len(purge_events(app, "privacy.erased")) == 4
    assert sorted(event["by"] for event in purge_events(app)) == ["command", "daily"]


def test_a_daily_purge_that_fails_is_in_the_audit_log(app, monkeypatch):
    def broken(**_options):
        raise RuntimeError("disk full")

    monkeypatch.setattr(purge_module, "purge", broken)
    with app.app_context():
        try:
            purge_module.daily_purge()
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure must reach the worker")
    assert purge_events(app, "privacy.purge_failed") == [{"by": "daily"}]
