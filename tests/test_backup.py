"""The restore drill (issue 13): back up a database holding a locked round, restore it into a
scratch database, and find every table's rows and the round's checksum again.

Runs on the database of the run: SQLite through its online backup API, PostgreSQL through
pg_dump and pg_restore (skipped where the client tools are missing; CI has them).
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from quizapp.auth.models import User
from quizapp.backup import table_counts
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.judging.locking import lock_round, recomputed_checksum
from quizapp.judging.models import RoundResult
from tests.attempt_support import CLOSES
from tests.ranking_support import generate_round


@pytest.fixture
def kind(database_url) -> str:
    if database_url.startswith("postgresql"):
        if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            pytest.skip("pg_dump/pg_restore not installed (Debian: postgresql-client)")
        return "postgresql"
    return "sqlite"


def locked_round(app, tmp_path) -> tuple[int, str]:
    """A round of 60 people, closed and locked: its id and stored checksum."""
    round_id, _rows = generate_round(app, tmp_path, people=60)
    app.extensions["quizapp.clock"].set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))
    with app.app_context():
        result = lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
        return round_id, result.checksum


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return table_counts(connection)
    finally:
        engine.dispose()


def test_the_restore_drill_finds_every_row_and_the_locked_checksum(make_app, new_database, kind, tmp_path):
    app = make_app()
    round_id, checksum = locked_round(app, tmp_path)
    backup_file = tmp_path / "quizapp.backup"

    made = app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    assert made.exit_code == 0, made.output
    scratch_url = new_database()
    scratch = make_app(DATABASE_URL=scratch_url)
    restored = scratch.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert restored.exit_code == 0, restored.output

    live_counts = counts(app.config["SQLALCHEMY_DATABASE_URI"])
    assert live_counts["attempts"] > 60 and live_counts["round_results"] == 1 and live_counts["alembic_version"] == 1
    assert counts(scratch.config["SQLALCHEMY_DATABASE_URI"]) == live_counts
    with scratch.app_context():
        stored = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        assert stored.checksum == checksum
        assert recomputed_checksum(db.session.get(Round, round_id)) == checksum
    live_check = app.test_cli_runner().invoke(args=["backup", "check"])
    restored_check = scratch.test_cli_runner().invoke(args=["backup", "check"])
    assert live_check.exit_code == restored_check.exit_code == 0, restored_check.output
    assert restored_check.output == live_check.output
    assert f"vòng {round_id} đã khóa: SHA-256 {checksum}; ảnh chụp khớp; tính lại từ các lượt thi: khớp" \
        in restored_check.output


def test_a_changed_round_shows_in_the_check(make_app, kind, tmp_path):
    """The recomputation reads the attempts: a name changed after the lock is noticed."""
    app = make_app()
    round_id, _checksum = locked_round(app, tmp_path)
    with app.app_context():
        db.session.execute(text("UPDATE users SET full_name = 'Tên khác' WHERE id = "
                                "(SELECT MIN(user_id) FROM attempts WHERE round_id = :round_id)"),
                           {"round_id": round_id})
        db.session.commit()

    check = app.test_cli_runner().invoke(args=["backup", "check"])

    assert check.exit_code == 0
    assert "tính lại từ các lượt thi: khác" in check.output


def test_a_restore_never_overwrites_a_database_with_data(make_app, kind, tmp_path):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        db.session.execute(insert(User), [{"phone": "0912345678", "password_hash": "x", "full_name": "Còn đây"}])
        db.session.commit()
    backup_file = tmp_path / "quizapp.backup"
    assert runner.invoke(args=["backup", "create", str(backup_file)]).exit_code == 0
    with app.app_context():
        db.session.execute(insert(User), [{"phone": "0912345679", "password_hash": "x", "full_name": "Mới thêm"}])
        db.session.commit()

    refused = runner.invoke(args=["backup", "restore", str(backup_file)])

    assert refused.exit_code == 1
    assert "đã có dữ liệu" in refused.output
    assert counts(app.config["SQLALCHEMY_DATABASE_URI"])["users"] == 2


def test_a_backup_of_the_other_kind_or_no_backup_is_refused(make_app, kind, tmp_path):
    app = make_app()
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP\x01\x0e" if kind == "sqlite" else b"SQLite format 3\x00" + bytes(100))
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup")

    wrong_kind = app.test_cli_runner().invoke(args=["backup", "restore", "--replace", str(other)])
    not_backup = app.test_cli_runner().invoke(args=["backup", "restore", "--replace", str(junk)])

    assert wrong_kind.exit_code == 1 and "còn cơ sở dữ liệu đang cấu hình là" in wrong_kind.output
    assert not_backup.exit_code == 1 and "không phải bản sao lưu" in not_backup.output


def test_an_sqlite_backup_runs_beside_an_open_write_and_keeps_only_what_was_committed(make_app, database_url,
                                                                                       tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's online backup API")
    app = make_app()
    with app.app_context():
        db.session.execute(insert(User), [{"phone": "0912345678", "password_hash": "x", "full_name": "Đã lưu"}])
        db.session.commit()
    writer = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # a worker in the middle of a write holds the write lock
    writer.execute("INSERT INTO users (phone, password_hash, full_name, role, is_active, can_edit_units, "
                   "session_version, created_at) VALUES ('0912345679', 'x', 'Chưa lưu', 'taker', 1, 0, 1, "
                   "'2026-01-01 00:00:00')")
    backup_file = tmp_path / "quizapp.backup"
    try:
        made = app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    finally:
        writer.rollback()
        writer.close()

    assert made.exit_code == 0, made.output
    copy = sqlite3.connect(backup_file)
    try:
        assert copy.execute("SELECT full_name FROM users").fetchall() == [("Đã lưu",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        copy.close()
    assert not (tmp_path / "quizapp.backup.partial").exists()
