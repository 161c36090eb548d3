"""``flask privacy purge``: takers past the retention period whose rounds are all over are
erased as deletion erases them; a taker of a round still under way and every staff account stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.judging.locking import ERASED_NAME
from quizapp.judging.models import locked_result
from quizapp.privacy.purge import due_for_purge
from tests.attempt_support import OPENS
from tests.checksum_support import csv_checksum
from tests.conftest import Accounts
from tests.judging.test_judging_pages import download
from tests.judging.test_locking import after_close
from tests.privacy.support import build, found_in_columns, lock_first_round, needles, sqlite_bytes, user


def purge(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["privacy", "purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def erased(app) -> set[str]:
    with app.app_context():
        return {u.role + ":" + str(u.id) for u in db.session.scalars(select(User).where(User.erased_at.is_not(None)))}


def test_with_retention_zero_only_takers_of_finished_rounds_are_erased(app, tmp_path):
    scene = build(app, tmp_path)
    accounts = Accounts(app, app.test_client())
    staff = [accounts.create(role) for role in ("organiser", "judge", "admin")]
    people = scene.people
    app.config["PRIVACY_RETENTION_DAYS"] = 0
    after_close(app)

    # Round 1 is closed but not locked: only the practice-only taker (practice round closed) is due.
    assert purge(app, "--dry-run").startswith("1 người dự thi")
    assert erased(app) == set()

    judge = lock_first_round(app, scene)
    checksum, _rows = csv_checksum(download(judge, f"/judging/rounds/{scene.locked_round}/export.csv").data)
    assert purge(app, "--dry-run").startswith("4 người dự thi")
    assert erased(app) == set()
    output = purge(app)
    assert output.startswith("Đã xoá dữ liệu cá nhân của 4 người dự thi")
    expected = {f"taker:{people[key].user_id}" for key in ("winner", "leaver", "other", "practice_only")}
    assert erased(app) == expected
    with app.app_context():
        kept = user(people["still_playing"].user_id)
        assert kept.is_active and kept.phone == people["still_playing"].phone
        for user_id in staff:
            assert user(user_id).is_active and user(user_id).erased_at is None
        for key in ("leaver", "other", "practice_only"):
            assert found_in_columns(needles(people[key])) == [], key
        assert locked_result(scene.locked_round).snapshot_checksum() == checksum
        data = sqlite_bytes()
    if data is not None:
        assert people["other"].phone.encode() not in data and people["still_playing"].phone.encode() in data

    recomputed, rows = csv_checksum(download(judge, f"/judging/rounds/{scene.locked_round}/export.csv").data)
    assert recomputed == checksum
    assert rows[0][1] == people["winner"].name and [row[1] for row in rows[1:3]] == [ERASED_NAME, ERASED_NAME]
    assert rows[3][1] == people["still_playing"].name
    # Nothing left to do the next day.
    assert purge(app).startswith("Đã xoá dữ liệu cá nhân của 0 người")


def test_the_retention_period_counts_from_the_latest_activity(app, tmp_path):
    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    clock = app.extensions["quizapp.clock"]
    assert app.config["PRIVACY_RETENTION_DAYS"] == 730  # the documented default
    assert purge(app, "--dry-run").startswith("0 người")
    clock.set(clock() + timedelta(days=731))
    with app.app_context():
        # A sign-in yesterday keeps the person a while longer.
        user(scene.people["other"].user_id).last_login_at = clock() - timedelta(days=1)
        db.session.commit()
    # Round 2 has closed by now but is not locked: its taker stays too.
    assert purge(app).startswith("Đã xoá dữ liệu cá nhân của 3 người")
    with app.app_context():
        assert user(scene.people["other"].user_id).erased_at is None
        assert user(scene.people["still_playing"].user_id).erased_at is None
        assert user(scene.people["leaver"].user_id).erased_at is not None


def test_the_retention_period_also_counts_from_the_close_of_every_round_taken(app, tmp_path):
    """DESIGN §5: erased ``PRIVACY_RETENTION_DAYS`` after the last activity *and* after the close
    of every round the person took part in: a round that stayed open long after its takers'
    attempts keeps them for the retention period after it closed."""
    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    clock = app.extensions["quizapp.clock"]
    taker = scene.people["practice_only"].user_id
    with app.app_context():
        practice = db.session.get(Round, scene.practice_round)
        practice.closes_at = OPENS + timedelta(days=200)
        db.session.commit()
    # Past the retention period after every activity of the practice-only taker, but not after
    # the close of their practice round.
    clock.set(OPENS + timedelta(days=731))
    assert taker not in due(app)
    clock.set(OPENS + timedelta(days=200 + 731))
    assert taker in due(app)


def due(app) -> list[int]:
    with app.app_context():
        return due_for_purge()
