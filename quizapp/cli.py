"""Command-line interface (``flask --app wsgi …``), as DESIGN §5 lists it."""

from __future__ import annotations

import json
import re

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from quizapp import audit
from quizapp.attempts.services import finalise_expired
from quizapp.auth import codes, terms
from quizapp.auth import services as accounts
from quizapp.auth.models import ROLES
from quizapp.auth.passwords import HashingBusy
from quizapp.banks.access import BankReadOnly
from quizapp.banks.services import (
    BankFileInvalid,
    bank_by_slug,
    export_bank_xlsx,
    import_bank_file,
    slug_from_filename,
)
from quizapp.contests import access
from quizapp.contests.models import Contest, ContestStaff, Round
from quizapp.contests.services import ContestInvalid, save_contest, validate_contest
from quizapp.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo, load_demo_contest, load_sample_banks
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.jobs import worker
from quizapp.judging import exports, materialised
from quizapp.judging import jobs as judging_jobs
from quizapp.judging.models import locked_result
from quizapp.phone import normalise_phone
from quizapp.units.services import UnitsFileError, load_units_csv

users_cli = AppGroup("users", help="Manage accounts.")
units_cli = AppGroup("units", help="Manage the units directory.")
banks_cli = AppGroup("banks", help="Import and export question banks.")
contests_cli = AppGroup("contests", help="Define contests and their rounds.")
rankings_cli = AppGroup("rankings", help="Rankings for the award committee.")
jobs_cli = AppGroup("jobs", help="Background jobs (judges' downloads).")


@users_cli.command("create")
@click.argument("phone")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(ROLES), default="taker", show_default=True)
@click.option("--password", help="Prompted for (hidden) when not given.")
@click.option("--unit", "unit_code", help="Code of the user's unit in the directory.")
def create_user(phone: str, full_name: str, role: str, password: str | None, unit_code: str | None) -> None:
    """Create an account with PHONE (any usual form; stored as 0xxxxxxxxx).

    The person's consent to the current privacy notice is recorded as given to the
    organisation on paper: collect the signed form before creating the account."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise click.ClickException(f"số điện thoại không hợp lệ: {phone}")
    if password is None:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    if len(password) < minimum:
        raise click.ClickException(f"mật khẩu phải có ít nhất {minimum} ký tự")
    try:
        user = accounts.register_user(
            phone=normalised, password=password, full_name=full_name, role=role, unit_code=unit_code,
            consent=terms.on_paper(),
        )
    except ValidationFailed as error:
        db.session.rollback()
        messages = [f"{name}: {' '.join(texts)}" for name, texts in error.fields.items()]
        raise click.ClickException("; ".join(messages)) from None
    except HashingBusy:
        db.session.rollback()
        raise click.ClickException("máy chủ đang bận băm mật khẩu cho các lượt đăng nhập; thử lại sau") from None
    audit.record("user.created", "user", user.id, after={"phone": user.phone, "role": role})
    db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.phone} ({role}), id {user.id}.")


def _account(phone: str):
    """The account with PHONE (any usual form), or a clear error (exit 1)."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise click.ClickException(f"số điện thoại không hợp lệ: {phone}")
    user = accounts.find_by_phone(normalised)
    if user is None:
        raise click.ClickException(f"không có tài khoản nào với số {normalised}")
    return user


@users_cli.command("reset-code")
@click.argument("phone")
def reset_code(phone: str) -> None:
    """Print a one-time password-reset code for PHONE's account, for a help desk to read out.

    Audit-logged (the code itself never is); it replaces any code sent by SMS."""
    user = _account(phone)
    if user.erased_at is not None:
        raise click.ClickException(accounts.AccountErased.message)
    if not user.is_active:
        raise click.ClickException(f"tài khoản {user.phone} đang bị khoá; mở khoá trước khi cấp mã")
    code = codes.help_desk_code(user)
    db.session.commit()
    click.echo(f"Mã đặt lại mật khẩu cho {user.phone} ({user.full_name}): {code}")
    click.echo(f"Hiệu lực {codes.minutes_valid()} phút, dùng một lần, tại trang “Quên mật khẩu?” → "
               "“Nhập mã và mật khẩu mới”.")


@users_cli.command("disable")
@click.argument("phone")
def disable_user(phone: str) -> None:
    """Stop PHONE's account from signing in and end all its sessions now (audit-logged)."""
    user = _account(phone)
    try:
        changed = accounts.disable_account(user)
    except accounts.AccountChangeRefused as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Đã khoá tài khoản {user.phone} ({user.full_name}); mọi phiên đăng nhập đã kết thúc."
               if changed else f"Tài khoản {user.phone} đã bị khoá từ trước.")


@users_cli.command("enable")
@click.argument("phone")
def enable_user(phone: str) -> None:
    """Let PHONE's disabled account sign in again (audit-logged)."""
    user = _account(phone)
    try:
        changed = accounts.enable_account(user)
    except accounts.AccountErased as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Đã mở khoá tài khoản {user.phone} ({user.full_name})."
               if changed else f"Tài khoản {user.phone} đang hoạt động, không cần mở khoá.")


@units_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def load_units(file: str) -> None:
    """Create or update units from FILE.csv (code,name,parent_code,headcount); all or nothing."""
    with open(file, "rb") as handle:
        data = handle.read()
    try:
        report = load_units_csv(data, file)
    except UnitsFileError as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(line, err=True)
        click.echo(f"Không nạp đơn vị nào: {len(error.errors)} lỗi.", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(
        f"Đã nạp {len(report.codes)} đơn vị: {report.created} mới, "
        f"{report.updated} cập nhật, {report.unchanged} không đổi."
    )


@banks_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--bank", "slug", help="Slug of the bank to import into (default: from the file name).")
@click.option("--title", help="Title of the bank when it is created (default: the slug).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--owner", "owner_phone", metavar="PHONE",
              help="Organiser who owns a new bank: only they and their contests' organisers see it. "
                   "Without it a new bank is shared with every organiser.")
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False),
              help="A separate answer key (.docx table, .xlsx or .csv: question number → letters); "
                   "it decides the answers of FILE's numbered questions.")
def import_bank(file: str, slug: str | None, title: str | None, dry_run: bool, owner_phone: str | None,
                key_file: str | None) -> None:
    """Import FILE (.xlsx, .csv, Aiken .txt, .gift or Word .docx) into a bank; all or nothing."""
    owner = None
    if owner_phone is not None:
        owner = accounts.find_by_phone(normalise_phone(owner_phone) or owner_phone)
        if owner is None or owner.role not in ("organiser", "admin"):
            raise click.ClickException(f"không có tài khoản ban tổ chức {owner_phone}")
    with open(file, "rb") as handle:
        data = handle.read()
    key_data = None
    if key_file is not None:
        with open(key_file, "rb") as handle:
            key_data = handle.read()
    try:
        report = import_bank_file(file, data, slug=slug, title=title, dry_run=dry_run, owner=owner,
                                  key_filename=key_file, key_data=key_data)
    except BankFileInvalid as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(line, err=True)
        click.echo(f"Không nhập câu hỏi nào: {len(error.errors)} lỗi.", err=True)
        raise SystemExit(1) from None
    except ValidationFailed as error:
        db.session.rollback()
        messages = " ".join(message for messages in error.fields.values() for message in messages)
        raise click.ClickException(messages) from None
    except BankReadOnly:
        # Importing for an owner acts as that organiser: not into a bank they may not change.
        db.session.rollback()
        target = slug or slug_from_filename(file)
        raise click.ClickException(f"tài khoản {owner_phone} không được sửa ngân hàng {target}; "
                                   "bỏ --owner để nhập với quyền quản trị") from None
    db.session.commit()
    verb = "Kiểm tra xong (không nhập)" if dry_run else "Đã nhập"
    click.echo(f"{verb} {report.created} câu hỏi mới vào ngân hàng {report.slug}"
               f"{' (ngân hàng mới)' if report.bank_created else ''}.")
    for topic, count in report.new_by_topic.items():
        click.echo(f"  {topic}: {count} câu")
    for note in report.notes:
        click.echo(f"Ghi chú: {note}")
    _echo_question_notes(file, report)
    if report.kept_in_order:
        click.echo(f"Giữ nguyên thứ tự phương án ở {report.kept_in_order} câu mới.")
    for item in report.skipped:
        click.echo(f"{file}:{item.line}: đã có trong ngân hàng, bỏ qua: {item.text[:80]}"
                   + (f" ({item.note})" if item.note else ""))
    if report.skipped:
        click.echo(f"Bỏ qua {len(report.skipped)} câu đã có.")
    for line, described in report.pictures:
        click.echo(f"{file}:{line}: có hình ({described})")
    for line, message in report.picture_problems:
        click.echo(f"{file}:{line}: không nhập được hình: {message}")
    if report.pictures or report.picture_problems:
        click.echo(f"{len(report.pictures)} câu có hình"
                   + (f"; {len(report.picture_problems)} câu không nhập được hình (câu vẫn được nhập, "
                      "thêm hình ở trang sửa câu hỏi)." if report.picture_problems else "."))


# A note that concerns more questions than this is printed once, with the count.
QUESTION_NOTES_SHOWN = 5


def _echo_question_notes(file: str, report) -> None:
    """Each new question's notes at its place; a note that recurs on many questions (numbering
    stripped from every one of 2,000) once, with how many it concerns."""
    by_kind: dict[str, list[tuple[object, str]]] = {}
    for previewed in report.preview:
        for note in previewed.question.notes:
            kind = re.sub(r"\d+", "…", note)
            by_kind.setdefault(kind, []).append((previewed.question.line, note))
    for kind, notes in by_kind.items():
        if len(notes) > QUESTION_NOTES_SHOWN:
            click.echo(f"Ghi chú ở {len(notes)} câu: {kind}")
            continue
        for line, note in notes:
            click.echo(f"{file}:{line}: ghi chú: {note}")


@banks_cli.command("export")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The .xlsx file to write.")
def export_bank(slug: str, output: str) -> None:
    """Write bank SLUG's active questions to an .xlsx file the importer reads back."""
    bank = bank_by_slug(slug)
    if bank is None:
        raise click.ClickException(f"không có ngân hàng {slug}")
    if not output.casefold().endswith(".xlsx"):
        raise click.ClickException("tệp xuất phải có đuôi .xlsx")
    with open(output, "wb") as handle:
        count = export_bank_xlsx(bank, handle)
    click.echo(f"Đã xuất {count} câu hỏi của ngân hàng {slug} ra {output}.")


@contests_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def load_contest(file: str) -> None:
    """Create or update a contest and its rounds from FILE.json (docs/contest-format.md)."""
    try:
        with open(file, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", 1)
        click.echo(f"{file}:{line}: không đọc được JSON ({error})", err=True)
        raise SystemExit(1) from None
    try:
        clean = validate_contest(data)
        contest = save_contest(clean)
    except ContestInvalid as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(f"{file}: {line}", err=True)
        click.echo(f"Không lưu thay đổi nào: {len(error.errors)} lỗi.", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Đã lưu cuộc thi {contest.slug}: {contest.title}")
    for round_ in contest.rounds:
        click.echo(f"  vòng {round_.number} ({round_.title}): id {round_.id}")
    # Saved all the same: a warning is a choice the organiser should make knowingly.
    for warning in clean["warnings"]:
        click.echo(f"{file}: cảnh báo: {warning}", err=True)


@contests_cli.command("staff")
@click.argument("slug")
@click.argument("phone")
@click.option("--role", type=click.Choice(["organiser", "judge"]), required=True,
              help="organiser: edits the contest and adds people; judge: ranks, decides and locks.")
@click.option("--remove", is_flag=True, help="Take the role away instead.")
def contest_staff(slug: str, phone: str, role: str, remove: bool) -> None:
    """Give PHONE's account ROLE in the contest SLUG (or take it away), audit-logged."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None:
        raise click.ClickException(f"không có cuộc thi {slug}")
    user = accounts.find_by_phone(normalise_phone(phone) or phone)
    if user is None:
        raise click.ClickException(f"không có tài khoản {phone}")
    try:
        if remove:
            held = [row for row in contest.staff if row.user_id == user.id and row.role == role]
            if not held:
                raise click.ClickException(f"{user.phone} không có vai trò {role} trong cuộc thi {slug}")
            access.remove_staff(contest, held[0].id, by=None)
        else:
            access.add_staff(contest, user, role, by=None)
    except access.StaffInvalid as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    people = db.session.scalars(select(ContestStaff).where(ContestStaff.contest_id == contest.id)
                                .order_by(ContestStaff.role, ContestStaff.id)).all()
    for row in people:
        click.echo(f"{row.role}\t{row.user.phone}\t{row.user.full_name}")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo data for a first run (refused in production)."""
    if current_app.config.get("ENV") == "production":
        raise click.ClickException("demo data is never loaded in production (QUIZAPP_ENV=production)")
    report, created = load_demo()
    banks = load_sample_banks()
    contest = load_demo_contest()
    db.session.commit()
    for bank in banks:
        click.echo(f"Ngân hàng mẫu {bank.slug}: {bank.created} câu mới, {len(bank.skipped)} câu đã có.")
    if contest is not None:
        click.echo(f"Cuộc thi mẫu {contest.slug}: " + ", ".join(
            f"vòng {round_.number} (id {round_.id})" for round_ in contest.rounds))
    click.echo(f"Đơn vị mẫu: {report.created} mới, {report.updated + report.unchanged} đã có.")
    click.echo(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}), {len(created)} mới:")
    for phone, name, role, _unit, _group in DEMO_ACCOUNTS:
        click.echo(f"  {phone}  {role:<9}  {name}")


@rankings_cli.command("export")
@click.argument("round_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The .csv or .xlsx file to write.")
@click.option("--eligibility", is_flag=True,
              help="In the .xlsx, add birth date, group, unit path and (where collected) the masked ID number.")
def export_ranking(round_id: int, output: str, eligibility: bool) -> None:
    """Write round ROUND_ID's ranking, as judges receive it, to a .csv or .xlsx file."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.ClickException(f"không có vòng thi {round_id}")
    kind = output.casefold().rsplit(".", 1)[-1]
    if kind not in ("csv", "xlsx"):
        raise click.ClickException("tệp xuất phải có đuôi .csv hoặc .xlsx")
    if eligibility and kind != "xlsx":
        raise click.ClickException("các cột xét điều kiện chỉ có trong tệp .xlsx")
    finalise_expired(round_id=round_id)
    if locked_result(round_id) is None:
        materialised.keep(round_)  # a finished round's ranking is kept, then read by place
    db.session.commit()
    with open(output, "wb") as handle:
        count = exports.export_ranking(round_, handle, kind, eligibility=eligibility)
    # The server's administrator looked too (no actor: the command line).
    audit.personal_data_viewed("rankings export", "round", round_id, kind=kind, rows=count,
                               **({"columns": "eligibility"} if eligibility else {}))
    db.session.commit()
    click.echo(f"Đã xuất {count} dòng xếp hạng của vòng {round_id} ra {output}.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def jobs_worker(burst: bool) -> None:
    """Run the background jobs queued on QUIZAPP_REDIS_URL until stopped (Ctrl-C, SIGTERM)."""
    try:
        worker.run(current_app._get_current_object(), burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


@rankings_cli.command("keep")
@click.option("--in-background", is_flag=True,
              help="Start a background job per round (the worker keeps them) and return at once.")
def keep_rankings(in_background: bool) -> None:
    """Keep the ranking of every finished round that has none (for cron or a periodic job)."""
    if in_background:
        rounds = materialised.unkept_finished_rounds()
        try:
            started = [(round_.id, judging_jobs.start_keeping([round_], None)) for round_ in rounds]
        except judging_jobs.QueueUnavailable as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Đã giao {len(started)} vòng thi cho tiến trình nền"
                   + (": " + ", ".join(f"{round_id} (việc {job.id}, {job.status})" for round_id, job in started) + "."
                      if started else "."))
        return
    kept = materialised.keep_finished_rounds()
    click.echo(f"Đã lưu bảng xếp hạng của {len(kept)} vòng thi đã kết thúc" + (f": {', '.join(map(str, kept))}."
                                                                             if kept else "."))


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(banks_cli)
    app.cli.add_command(contests_cli)
    app.cli.add_command(rankings_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo)
