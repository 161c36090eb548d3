"""Organisers' pages for contests and rounds, under ``/contests/manage/``.

Every save builds the definition a ``contests load`` JSON file holds and runs it through
the one validator in ``contests.services``; nothing is written unless all of it is valid,
and each error is shown next to the field its JSON path names.

- ``GET  /contests/manage/``                           contests with their rounds
- ``GET|POST /contests/manage/new``                    a new contest with its first round
- ``GET|POST /contests/manage/<slug>/edit``            the contest's own settings
- ``GET|POST /contests/manage/<slug>/rounds/new``      another round
- ``GET|POST /contests/manage/<slug>/rounds/<n>/edit`` one round
- ``GET  /contests/manage/<slug>/share``               the link, its QR code, ways to pass it on
- ``GET  /contests/manage/<slug>/qr.svg``, ``qr.png``  the QR code to download (print; Zalo, Word)
- ``GET|POST /contests/manage/<slug>/staff``           organisers and judges of the contest

Only the contest's own organisers (contests.access) reach the pages of one contest.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quizapp import audit, clock
from quizapp.auth import services as accounts
from quizapp.banks import access as bank_access
from quizapp.banks.models import Bank, Question
from quizapp.contests import access
from quizapp.contests.blueprint import bp
from quizapp.contests.forms import (
    REGISTRATION_LABELS,
    ContestForm,
    NewContestForm,
    RoundForm,
    StaffForm,
    document_data,
    place_errors,
    round_form_data,
)
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.contests.services import (
    DEFAULT_TIE_BREAKERS,
    ContestInvalid,
    Problem,
    free_slug,
    no_bank_message,
    save_contest,
    stored_documents,
    validate_contest,
)
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.phone import normalise_phone
from quizapp.roles import role_required
from quizapp.text import clean_text
from quizapp.text import slug as slug_of

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
STATUS_LABELS = {"upcoming": "Chưa mở", "open": "Đang mở", "closed": "Đã đóng"}
DEFAULT_PREDICTION = "Theo bạn, có bao nhiêu người trả lời đúng tất cả các câu hỏi của vòng thi này?"
ROUND_PATH = re.compile(r"^\$\.rounds\[(\d+)\]")


# --- reading -------------------------------------------------------------------------------


def _contest_or_abort(slug: str) -> Contest:
    return access.contest_or_abort(slug, "organiser")


def _round_or_404(contest: Contest, number: int) -> Round:
    for round_ in contest.rounds:
        if round_.number == number:
            return round_
    abort(404)


def _banks() -> list[Bank]:
    """The banks this organiser may draw from (banks.access)."""
    return list(db.session.scalars(
        select(Bank).where(bank_access.bank_filter(current_user)).options(selectinload(Bank.topics))
        .order_by(Bank.title, Bank.slug)
    ))


def _active_per_topic() -> dict[int, int]:
    """Questions a draw can use, per topic, so the organiser sees what a blueprint may ask."""
    return dict(db.session.execute(
        select(Question.topic_id, func.count()).where(Question.is_active).group_by(Question.topic_id)
    ).all())


def _attempts_started(round_ids: list[int]) -> dict[int, int]:
    if not round_ids:
        return {}
    return dict(db.session.execute(
        select(Attempt.round_id, func.count()).where(Attempt.round_id.in_(round_ids)).group_by(Attempt.round_id)
    ).all())


def local_time(moment: datetime, zone: str) -> str:
    """Organisers' pages write the date first, as their forms read it."""
    return clock.local_time(moment, zone, "%d/%m/%Y %H:%M")


# --- the definition a JSON file would hold --------------------------------------------------


def _stored_round(round_: Round) -> dict:
    return {
        "number": round_.number,
        "title": round_.title,
        "opens_at": round_.opens_at.isoformat(),
        "closes_at": round_.closes_at.isoformat(),
        "time_limit_seconds": round_.time_limit_seconds,
        "max_attempts": round_.max_attempts,
        "counting_attempt": round_.counting_attempt,
        "draw": [dict(entry) for entry in round_.draw],
        "prediction": {"prompt": round_.prediction_prompt, "truth": round_.prediction_truth,
                       "locked": round_.prediction_locked} if round_.prediction_prompt else None,
        "tie_breakers": list(round_.tie_breakers),
        "awards": [dict(award) for award in round_.awards],
        "review": round_.review,
        "practice": round_.practice,
    }


def _stored_contest(contest: Contest, rounds: list[dict]) -> dict:
    """The contest's stored settings (its password unchanged) with ``rounds``."""
    return {
        "slug": contest.slug,
        "title": contest.title,
        "description": contest.description,
        "timezone": contest.timezone,
        "registration_fields": list(contest.registration_fields),
        "one_award_per_person": contest.one_award_per_person,
        "require_verified_phone": contest.require_verified_phone,
        **stored_documents(contest),
        "rounds": rounds,
    }


def _validated(definition: dict, targets: dict[str, object],
               banks: list[Bank] | None = None) -> tuple[dict | None, list[Problem]]:
    """The cleaned definition, or None with the errors left for the top of the page.

    With ``banks``, a round may draw only from those: another organisation's bank is
    reported as the validator reports a bank that does not exist.
    """
    try:
        clean = validate_contest(definition)
    except ContestInvalid as error:
        return None, place_errors(error.errors, targets)
    if banks is not None:
        visible = {bank.slug for bank in banks}
        foreign = [Problem(f"$.rounds[{index}].draw[{position}].bank", no_bank_message(entry["bank"]))
                   for index, round_ in enumerate(clean["rounds"])
                   for position, entry in enumerate(round_["draw"]) if entry["bank"] not in visible]
        if foreign:
            return None, place_errors(foreign, targets)
    return clean, []


def _round_errors(contest: Contest, errors: list[Problem]) -> list[tuple[str, str | None]]:
    """Errors of stored rounds, as (message naming the round, link to fix it)."""
    rounds = contest.rounds
    named = []
    for error in errors:
        match = ROUND_PATH.match(error.path)
        if match and int(match.group(1)) < len(rounds):
            round_ = rounds[int(match.group(1))]
            named.append((f"Vòng {round_.number} ({round_.title}): {error.message}",
                          url_for(".manage_edit_round", slug=contest.slug, number=round_.number)))
        else:
            named.append((error.message, None))
    return named


def _owner():
    return current_user._get_current_object()


def _flash_warnings(clean: dict) -> None:
    """What the validator allowed but the organiser should know, shown after saving, by round."""
    for warning in clean["warnings"]:
        message = warning.message
        match = ROUND_PATH.match(warning.path)
        if match:
            round_ = clean["rounds"][int(match.group(1))]
            message = f"Vòng {round_['number']} ({round_['title']}): {message}"
        flash(f"Cảnh báo — {message}", "warning")


# --- pages ---------------------------------------------------------------------------------


@bp.get("/manage/")
@role_required("organiser")
def manage_index():
    contests = list(db.session.scalars(
        select(Contest).where(access.contest_filter(current_user, "organiser")).options(selectinload(Contest.rounds))
        .order_by(Contest.created_at.desc(), Contest.id.desc())
    ))
    started = _attempts_started([round_.id for contest in contests for round_ in contest.rounds])
    return render_template("contests/manage/index.html", contests=contests, started=started, now=clock.now(),
                           local_time=local_time, status_labels=STATUS_LABELS,
                           registration_labels=REGISTRATION_LABELS)


def _first_round_data() -> dict:
    return {"number": 1, "prediction_prompt": DEFAULT_PREDICTION, "tie_breakers": DEFAULT_TIE_BREAKERS}


@bp.route("/manage/new", methods=["GET", "POST"])
@role_required("organiser")
def manage_new():
    """A contest needs a round to be valid, so the first round is entered with it."""
    banks = _banks()
    get = request.method == "GET"
    form = NewContestForm()
    round_form = RoundForm(prefix="round", banks=banks, meta={"csrf": False},
                           data=_first_round_data() if get else None)
    general: list = []
    if not get and (form.validate_on_submit() & round_form.validate()):
        slug = (form.slug.data or "").strip()
        # An empty code, or the one the page suggested from the title, is the server's to choose:
        # the title's code, made unique. A code the organiser chose is theirs, and refused if taken.
        suggested = not slug or slug == slug_of(form.title.data)
        if suggested:
            slug = free_slug(form.title.data)
        taken = db.session.scalar(select(Contest.id).where(Contest.slug == slug)) is not None
        if taken:
            form.slug.errors = [*form.slug.errors, f"Mã {slug} đã có cuộc thi khác dùng; chọn mã khác."]
        definition = {**form.definition(slug, DEFAULT_TIMEZONE), "rounds": [round_form.definition()]}
        clean, left = _validated(definition, {**form.error_targets(), **round_form.error_targets("$.rounds[0]")},
                                 banks)
        general = [(error.message, None) for error in left]
        if clean is not None and not taken:
            contest = save_contest(clean, owner=_owner())
            db.session.commit()
            flash(f"Đã tạo cuộc thi {contest.title}, mã {contest.slug}.", "success")
            _flash_warnings(clean)
            return redirect(url_for(".manage_index"))
    round_form.add_spare_rows()
    return render_template("contests/manage/contest_form.html", form=form, round_form=round_form, contest=None,
                           banks=banks, active=_active_per_topic(), general=general, zone=DEFAULT_TIMEZONE,
                           failed=not get), 200 if get else 422


@bp.route("/manage/<slug>/edit", methods=["GET", "POST"])
@role_required("organiser")
def manage_edit(slug: str):
    contest = _contest_or_abort(slug)
    get = request.method == "GET"
    form = ContestForm(data={
        "title": contest.title, "description": contest.description or "",
        "registration_fields": list(contest.registration_fields),
        "one_award_per_person": contest.one_award_per_person,
        "require_verified_phone": contest.require_verified_phone,
        **document_data(contest),
    }) if get else ContestForm()
    general: list = []
    if form.validate_on_submit():
        # The whole contest is checked, as a file holding it would be.
        definition = {**form.definition(contest.slug, contest.timezone),
                      "rounds": [_stored_round(round_) for round_ in contest.rounds]}
        clean, left = _validated(definition, form.error_targets())
        general = _round_errors(contest, left)
        if clean is not None:
            save_contest(clean)
            db.session.commit()
            flash(f"Đã lưu cuộc thi {contest.title}.", "success")
            _flash_warnings(clean)
            return redirect(url_for(".manage_index"))
    return render_template("contests/manage/contest_form.html", form=form, round_form=None, contest=contest,
                           banks=[], general=general, zone=contest.timezone, failed=not get), 200 if get else 422


def _next_round_data(contest: Contest) -> dict:
    """A new round starts as a copy of the last one, a week later (contests run weekly)."""
    if not contest.rounds:
        return _first_round_data()
    last = contest.rounds[-1]
    data = round_form_data(last, ZoneInfo(contest.timezone))
    week = timedelta(days=7)
    data.update(number=max(round_.number for round_ in contest.rounds) + 1, title="",
                opens_at=data["opens_at"] + week, closes_at=data["closes_at"] + week)
    return data


@bp.route("/manage/<slug>/rounds/new", methods=["GET", "POST"])
@role_required("organiser")
def manage_new_round(slug: str):
    contest = _contest_or_abort(slug)
    return _round_page(contest, None)


@bp.route("/manage/<slug>/rounds/<int:number>/edit", methods=["GET", "POST"])
@role_required("organiser")
def manage_edit_round(slug: str, number: int):
    contest = _contest_or_abort(slug)
    return _round_page(contest, _round_or_404(contest, number))


def _round_page(contest: Contest, round_: Round | None):
    """Create (``round_`` None) or edit one round; the other rounds are left as they are."""
    banks = _banks()
    get = request.method == "GET"
    if get:
        data = round_form_data(round_, ZoneInfo(contest.timezone)) if round_ else _next_round_data(contest)
        form = RoundForm(banks=banks, data=data)
    else:
        form = RoundForm(banks=banks)
    general: list = []
    if form.validate_on_submit():
        number = form.number.data
        # A round is saved by its number: another round's number would overwrite that round.
        taken = number != (round_.number if round_ else None) and any(
            other.number == number for other in contest.rounds)
        if taken:
            form.number.errors = [*form.number.errors, f"Cuộc thi đã có vòng {number}; chọn số khác."]
        clean, left = _validated(_stored_contest(contest, [form.definition()]), form.error_targets("$.rounds[0]"),
                                 banks)
        general = [(error.message, None) for error in left]
        if clean is not None and not taken:
            if round_ is not None:
                round_.number = clean["rounds"][0]["number"]  # a renumbered round keeps its id
            save_contest(clean)
            db.session.commit()
            flash(f"Đã lưu vòng {number} ({clean_text(form.title.data)}).", "success")
            _flash_warnings(clean)
            return redirect(url_for(".manage_index"))
    form.add_spare_rows()
    started = _attempts_started([round_.id]).get(round_.id, 0) if round_ else 0
    return render_template("contests/manage/round_form.html", form=form, contest=contest, round_=round_,
                           banks=banks, started=started, general=general, copied=get and not round_,
                           active=_active_per_topic(), zone=contest.timezone, failed=not get), 200 if get else 422


@bp.get("/manage/<slug>/share")
@role_required("organiser")
def share(slug: str):
    """The contest's link and its QR code, for posters and group chats."""
    contest = _contest_or_abort(slug)
    link = share_link(contest)
    return render_template("contests/manage/share.html", contest=contest, link=link,
                           qr_svg=share_qr_svg(link) if link else None, missing=PublicUrlMissing.message,
                           facebook=FACEBOOK_SHARER + quote(link, safe="") if link else None)


@bp.get("/manage/<slug>/qr.svg")
@role_required("organiser")
def share_qr(slug: str):
    contest, link = _contest_and_link(slug)
    svg = _qr(link).svg_inline(scale=10, border=4, dark="#000", light="#fff")
    return svg, 200, {"Content-Type": "image/svg+xml",
                      "Content-Disposition": f'attachment; filename="qr-{contest.slug}.svg"'}


@bp.get("/manage/<slug>/qr.png")
@role_required("organiser")
def share_qr_png(slug: str):
    contest, link = _contest_and_link(slug)
    return share_qr_png_bytes(link), 200, {
        "Content-Type": "image/png", "Content-Disposition": f'attachment; filename="qr-{contest.slug}.png"'}


def _contest_and_link(slug: str) -> tuple[Contest, str]:
    contest = _contest_or_abort(slug)
    link = share_link(contest)
    if link is None:
        raise PublicUrlMissing()
    return contest, link


class PublicUrlMissing(DomainError):
    status, code = 409, "public_url_missing"
    message = ("Chưa cấu hình địa chỉ công khai của trang: quản trị viên cần đặt QUIZAPP_PUBLIC_URL "
               "(ví dụ https://thi.example.vn) để có đường dẫn và mã QR chia sẻ cuộc thi.")


def share_link(contest: Contest) -> str | None:
    """The contest's address for posters and group chats, or None when it cannot be trusted.

    A request's Host header is whatever the client sent: a link printed on a poster must come
    from the configured public URL. Outside production, without one, the request's address
    is good enough to try things out.
    """
    base = current_app.config.get("PUBLIC_URL")
    if base:
        # The path keeps the app's mount point (SCRIPT_NAME): the public URL is scheme and host.
        return base + url_for("attempts.contest", slug=contest.slug)
    if current_app.config.get("ENV") != "production":
        return url_for("attempts.contest", slug=contest.slug, _external=True)
    return None


# Facebook's share dialog takes the address in ``u``. Zalo publishes no share address for the web:
# its share button is a script from sp.zalo.me tied to an Official Account, which this site's
# no-CDN rule and content security policy keep out. For Zalo the page offers the copy button,
# the PNG (Zalo sends pictures well) and the phone's own share sheet (Web Share), which lists Zalo.
FACEBOOK_SHARER = "https://www.facebook.com/sharer/sharer.php?u="
# A PNG about this wide: sharp on an A4 poster at 150 dpi and in a chat, yet under 30 KB.
PNG_WIDTH = 1200


def _qr(link: str) -> segno.QRCode:
    # Level M survives a poster's smudges and creases and keeps a long address's code small.
    return segno.make(link, error="m")


def share_qr_svg(link: str) -> str:
    """The QR code of ``link`` as inline SVG (no image request, prints sharply)."""
    return _qr(link).svg_inline(scale=6, border=4, dark="#000", light="#fff")


def share_qr_png_bytes(link: str) -> bytes:
    """The QR code of ``link`` as a PNG about ``PNG_WIDTH`` pixels wide, whole pixels per module
    so every module stays square and sharp when printed or scaled down by a chat app."""
    code = _qr(link)
    modules, _height = code.symbol_size(scale=1, border=4)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(PNG_WIDTH // modules, 4), border=4, dark="#000", light="#fff")
    return buffer.getvalue()


# --- who runs the contest ------------------------------------------------------------------


@bp.route("/manage/<slug>/staff", methods=["GET", "POST"])
@role_required("organiser")
def staff(slug: str):
    """The contest's organisers and judges; an organiser adds people by their account's phone."""
    contest = _contest_or_abort(slug)
    form = StaffForm()
    if form.validate_on_submit():
        user = accounts.find_by_phone(normalise_phone(form.phone.data) or "")
        if user is None:
            form.phone.errors = [*form.phone.errors,
                                 "Không có tài khoản nào với số này; người đó cần đăng ký trước."]
        else:
            try:
                access.add_staff(contest, user, form.role.data, by=current_user._get_current_object())
            except access.StaffInvalid as error:
                form.phone.errors = [*form.phone.errors, error.message]
            else:
                db.session.commit()
                flash(f"Đã thêm {user.full_name} vào {access.ROLE_LABELS[form.role.data].lower()}.", "success")
                return redirect(url_for(".staff", slug=contest.slug))
    elif request.method == "GET":
        audit.personal_data_viewed("contests.staff", "contest", contest.id)
        db.session.commit()
    return render_template("contests/manage/staff.html", contest=contest, form=form, labels=access.ROLE_LABELS,
                           local_time=local_time), 422 if form.errors else 200


@bp.post("/manage/<slug>/staff/<int:staff_id>/remove")
@role_required("organiser")
def remove_staff(slug: str, staff_id: int):
    contest = _contest_or_abort(slug)
    try:
        access.remove_staff(contest, staff_id, by=current_user._get_current_object())
    except access.StaffInvalid as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Đã bỏ vai trò.", "success")
    return redirect(url_for(".staff", slug=contest.slug))
