"""Backups that restore: ``flask --app wsgi backup create|restore|check``, for either database.

- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken while the app runs)
  and ``pg_restore`` in a single transaction, with the client tools installed on the machine.
- SQLite, the embedded default: SQLite's online backup API (``sqlite3.Connection.backup``),
  which copies a consistent snapshot of the committed data while workers keep writing (WAL),
  where copying the file could catch a page half written or miss what still sits in the WAL.

A backup is written beside its final name and renamed when complete, so a file under that name
is always a whole backup. ``restore`` writes into the database the app is configured for
(``QUIZAPP_DATABASE_URL``, or the embedded default) and, unless ``--replace`` is given, only
into an empty one, so a slip of the keyboard cannot overwrite a live contest; a drill points
``QUIZAPP_DATABASE_URL`` at a scratch database. ``check`` prints what a drill compares between
the live database and the restored one: the rows of every table, and each locked round's
checksum, as stored and as recomputed from its attempts.

Redis holds nothing to back up: rate-limit counters, admission counts and the background jobs'
queue, all rebuilt as people use the site.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL, Connection, make_url

from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.judging.locking import recomputed_checksum
from quizapp.judging.models import RoundResult

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupFailed(Exception):
    """A backup or restore that could not be done; the message is for the admin (Vietnamese)."""


def _kind(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupFailed("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được")
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupFailed(f"chưa hỗ trợ sao lưu cơ sở dữ liệu {url.get_backend_name()}")


def file_kind(path: Path) -> str | None:
    """What a backup file holds, from its first bytes: "sqlite", "postgresql" or None."""
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_CUSTOM_HEADER):
        return "postgresql"
    return None


# --- PostgreSQL: the client tools ---------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it, so the
    password never shows in the process list."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(tool: str, arguments: list[str], env: dict[str, str]) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupFailed(f"không tìm thấy {tool}: cài gói postgresql-client cùng phiên bản với máy chủ PostgreSQL")
    done = subprocess.run([program, *arguments], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"{tool} thất bại (mã {done.returncode}): {done.stderr.strip()}")


# --- create and restore -------------------------------------------------------------------


def create_backup(database_uri: str, file: Path) -> str:
    """Back up the database at ``database_uri`` into ``file``; return its kind."""
    url = make_url(database_uri)
    kind = _kind(url)
    partial = file.with_name(file.name + ".partial")
    try:
        if kind == "sqlite":
            partial.unlink(missing_ok=True)
            source = sqlite3.connect(url.database)
            target = sqlite3.connect(partial)
            try:
                # One step (pages=-1): a consistent snapshot under a read lock, which in WAL mode
                # never holds up a writer.
                source.backup(target)
                # One self-contained file: no -wal beside it to forget when copying it away.
                target.execute("PRAGMA journal_mode=DELETE")
                if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupFailed("bản sao lưu SQLite không qua được kiểm tra tính toàn vẹn")
            finally:
                target.close()
                source.close()
        else:
            uri, env = _libpq(url)
            _run("pg_dump", ["--format=custom", f"--file={partial}", f"--dbname={uri}"], env)
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)
    return kind


def restore_backup(database_uri: str, file: Path, *, replace: bool = False) -> str:
    """Restore ``file`` into the database at ``database_uri``; return its kind. Refused when
    the backup is of the other kind, or when the database has tables and not ``replace``."""
    url = make_url(database_uri)
    kind = _kind(url)
    found = file_kind(file)
    if found is None:
        raise BackupFailed(f"{file} không phải bản sao lưu của ứng dụng (pg_dump -Fc hoặc SQLite)")
    if found != kind:
        raise BackupFailed(f"{file} là bản sao lưu {found}, còn cơ sở dữ liệu đang cấu hình là {kind}")
    if not replace and _tables(database_uri, url):
        raise BackupFailed("cơ sở dữ liệu đích đã có dữ liệu; khôi phục vào một cơ sở dữ liệu trống, "
                           "hoặc dừng ứng dụng và dùng --replace để ghi đè")
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        uri, env = _libpq(url)
        arguments = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", f"--dbname={uri}"]
        if replace:
            arguments[:0] = ["--clean", "--if-exists"]
        _run("pg_restore", [*arguments, str(file)], env)
    return kind


def _tables(database_uri: str, url: URL) -> list[str]:
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        return []
    with db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
    db.engine.dispose()  # the restore is about to change what these connections saw
    return names


# --- what a drill compares ----------------------------------------------------------------


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows in every table of the database, the migrations' own table included, by name."""
    return {
        name: connection.scalar(select(func.count()).select_from(table(name)))
        for name in sorted(inspect(connection).get_table_names())
    }


def locked_rounds_report() -> list[tuple[int, str, bool, bool]]:
    """Each locked round: (round id, stored checksum, the snapshot still hashes to it, the
    round's attempts and people still rank to it)."""
    report = []
    for result in db.session.scalars(select(RoundResult).order_by(RoundResult.round_id)):
        snapshot_ok = result.snapshot_checksum() == result.checksum
        recomputed_ok = recomputed_checksum(db.session.get(Round, result.round_id)) == result.checksum
        report.append((result.round_id, result.checksum, snapshot_ok, recomputed_ok))
    return report


# --- the commands -------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Back up and restore the database (pg_dump, or SQLite's backup API).")


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def create_command(file: Path) -> None:
    """Back up the configured database into FILE, safely while the app runs."""
    try:
        kind = create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except BackupFailed as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Đã sao lưu cơ sở dữ liệu {kind} vào {file} ({file.stat().st_size} byte).")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that has tables (stop the app first).")
def restore_command(file: Path, replace: bool) -> None:
    """Restore FILE into the configured database (an empty one unless --replace)."""
    try:
        kind = restore_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file, replace=replace)
    except BackupFailed as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Đã khôi phục {file} vào cơ sở dữ liệu {kind}. Chạy `flask --app wsgi backup check` để đối chiếu.")


@backup_cli.command("check")
def check_command() -> None:
    """Print the rows of every table and each locked round's checksum, stored and recomputed.

    Run it on the live database and on a restored copy: the same lines mean the same data.
    Exits 1 when a locked snapshot no longer matches its own checksum.
    """
    with db.engine.connect() as connection:
        counts = table_counts(connection)
    for name, count in counts.items():
        click.echo(f"bảng {name}: {count} dòng")
    damaged = False
    for round_id, checksum, snapshot_ok, recomputed_ok in locked_rounds_report():
        damaged |= not snapshot_ok
        click.echo(f"vòng {round_id} đã khóa: SHA-256 {checksum}; ảnh chụp {'khớp' if snapshot_ok else 'HỎNG'}; "
                   f"tính lại từ các lượt thi: {'khớp' if recomputed_ok else 'khác (dữ liệu đã đổi sau khi khóa)'}")
    if damaged:
        raise click.ClickException("có ảnh chụp kết quả đã khóa không khớp mã kiểm tra của nó")


def init_app(app) -> None:
    app.cli.add_command(backup_cli)
