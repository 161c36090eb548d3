"""``flask privacy …``: the personal-data commands of the server's administrator: the retention
purge (purge.py; the background worker also runs it daily) and re-encrypting ID numbers."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from quizapp import audit
from quizapp.extensions import db
from quizapp.privacy import idnumbers
from quizapp.privacy.purge import purge, retention_days

privacy_cli = AppGroup("privacy", help="Personal data: the retention purge, ID number keys.")


@privacy_cli.command("rekey")
def rekey() -> None:
    """Encrypt every stored ID number again with the first key of QUIZAPP_ID_NUMBER_KEYS.

    Run it after putting a new key first in the list; the old keys may be dropped once it has
    finished (README, "ID numbers (CCCD)")."""
    count = idnumbers.rekey(db.session.connection())
    audit.record("privacy.id_numbers_rekeyed", "users", "*", after={"accounts": count})
    db.session.commit()
    click.echo(f"Đã mã hoá lại số CCCD của {count} tài khoản bằng khoá đầu tiên.")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count who would be erased; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Erase the personal data of takers inactive for PRIVACY_RETENTION_DAYS whose rounds are all
    over (locked, or closed for practice rounds) and closed that long ago. Staff accounts are
    never purged."""
    count = purge(dry_run=dry_run)
    days = retention_days()
    if dry_run:
        click.echo(f"{count} người dự thi sẽ bị xoá dữ liệu cá nhân (không hoạt động quá {days} ngày); "
                   "chưa thay đổi gì (--dry-run).")
    else:
        click.echo(f"Đã xoá dữ liệu cá nhân của {count} người dự thi (không hoạt động quá {days} ngày).")


def init_app(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
