"""``flask privacy …``: the personal-data commands of the server's administrator."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from quizapp import audit
from quizapp.extensions import db
from quizapp.privacy import idnumbers

privacy_cli = AppGroup("privacy", help="Personal data: ID number keys.")


@privacy_cli.command("rekey")
def rekey() -> None:
    """Encrypt every stored ID number again with the first key of QUIZAPP_ID_NUMBER_KEYS.

    Run it after putting a new key first in the list; the old keys may be dropped once it has
    finished (README, "ID numbers (CCCD)")."""
    count = idnumbers.rekey(db.session.connection())
    audit.record("privacy.id_numbers_rekeyed", "users", "*", after={"accounts": count})
    db.session.commit()
    click.echo(f"Đã mã hoá lại số CCCD của {count} tài khoản bằng khoá đầu tiên.")


def init_app(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
