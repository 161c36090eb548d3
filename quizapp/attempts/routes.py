"""Takers' pages under /contests: the contest list, a contest, the attempt page and its result.

- ``GET  /contests/``                                  the contests, with the taker's attempts per round
- ``GET  /contests/<slug>``                            a contest's rules, rounds and the taker's attempts
- ``POST /contests/<slug>/password``                   unlock a closed contest for this browser session
- ``GET  /contests/rounds/<id>/start``                 confirm a new attempt (limits, clock); resume at once
- ``POST /contests/rounds/<id>/start``                 start or resume an attempt
- ``GET  /contests/attempts/<id>``                     the attempt, one question a screen
- ``POST /contests/attempts/<id>/answer``              save the shown question's choice (no-script path)
- ``GET  /contests/attempts/<id>/submit``              confirm the submit
- ``POST /contests/attempts/<id>/submit``              submit
- ``GET  /contests/attempts/<id>/result``              the result, and the review when its policy allows
- ``GET  /me/results``                                 "Kết quả của tôi": every round taken, with rank and award

The URLs share ``/contests`` with the organisers' pages (contests/organiser.py) and a locked
round's public results (judging/public.py); this blueprint is ``attempts``. The person's own
results sit beside "Dữ liệu của tôi" (``/me/data``) on a blueprint of their own, ``my_results``.

Thin views over ``attempts.services``, which holds every rule. The attempt page is a plain form
(one question per screen, a POST per answer) that works without JavaScript; ``static/attempt.js``
enhances the same markup with autosave, a retry queue and a countdown, using the JSON API.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from quizapp import clock
from quizapp.attempts import services as service
from quizapp.attempts.admission import StartsBusy
from quizapp.attempts.display import attempt_json
from quizapp.attempts.passwords import ContestPasswordWrong, contest_unlocked, unlock_contest
from quizapp.attempts.results import certificate_url, my_results, results_url
from quizapp.auth import terms
from quizapp.auth.passwords import HashingBusy
from quizapp.contests import keys
from quizapp.contests.models import ROUND_STATES, Contest, Round
from quizapp.devices import device_id
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.formatting import duration_text
from quizapp.inputs import bounded_int
from quizapp.limits import save_per_account, start_per_account, submit_per_account
from quizapp.sessions import session_identity

bp = Blueprint("attempts", __name__, url_prefix="/contests")
mine = Blueprint("my_results", __name__)
# The profile fields a contest may require, as the profile page labels them.
FIELD_LABELS = {
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "id_number": "Số CCCD",
    "unit_code": "Đơn vị",
    "participant_group": "Đối tượng",
}


def _no_store(body: str):
    # An attempt is one person's, and a stale copy from the back button would mislead.
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, **context):
    return render_template(template, local_time=clock.local_time, duration_text=duration_text,
                           ROUND_STATES=ROUND_STATES, now=clock.now(), key_notice=_key_notice,
                           results_url=results_url, **context)


def _key_notice(moment: str, zone: str) -> str:
    """When a held key appears, from attempt_json's ISO time (contests.keys)."""
    return keys.key_notice(datetime.fromisoformat(moment), zone)


# --- contests ------------------------------------------------------------------------------


def _my_rounds(rows) -> tuple[dict[int, int], dict[int, int]]:
    """Attempts used per round, and the open attempt's id per round, from the taker's
    attempts (``service.my_attempts``)."""
    used: dict[int, int] = {}
    open_ids: dict[int, int] = {}
    for row in rows:
        used[row.round_id] = used.get(row.round_id, 0) + 1
        if row.status == "open":
            open_ids[row.round_id] = row.id
    return used, open_ids


def _my_attempts() -> list:
    """The signed-in taker's attempts in every round (none when signed out): one statement."""
    return service.my_attempts(current_user.id) if current_user.is_authenticated else []


@bp.get("/")
def index():
    used, open_ids = _my_rounds(_my_attempts())
    contests = db.session.scalars(
        select(Contest).options(selectinload(Contest.rounds)).order_by(Contest.id.desc())
    ).all()
    db.session.commit()
    return _render("attempts/list.html", contests=contests, used=used, open_ids=open_ids)


# The contest and its rounds in one statement, read fresh on every request (their times decide
# who may start); built once, as every taker arrives through it.
_CONTEST_BY_SLUG = select(Contest).options(joinedload(Contest.rounds)).where(Contest.slug == bindparam("slug"))


def _contest_or_404(slug: str) -> Contest:
    contest = db.session.scalars(_CONTEST_BY_SLUG, {"slug": slug}).unique().first()
    if contest is None:
        abort(404)
    return contest


def missing_fields(contest: Contest) -> list[str]:
    if not current_user.is_authenticated:
        return []
    return [FIELD_LABELS.get(name, name) for name in service.missing_registration(contest, current_user)]


@bp.get("/<slug>")
def contest(slug: str):
    contest = _contest_or_404(slug)
    rows = _my_attempts()
    used, open_ids = _my_rounds(rows)
    # The taker's attempts in this contest, by round and number, with their round.
    rounds = {round_.id: round_ for round_ in contest.rounds}
    mine = sorted(((rounds[row.round_id], row) for row in rows if row.round_id in rounds),
                  key=lambda pair: (pair[0].number, pair[1].number))
    db.session.commit()
    return _render(
        "attempts/show.html", contest=contest, used=used, open_ids=open_ids, attempts=mine,
        missing=missing_fields(contest), unlocked=contest_unlocked(contest),
    )


@bp.post("/<slug>/password")
@login_required
def unlock(slug: str):
    contest = _contest_or_404(slug)
    try:
        unlock_contest(contest, current_user.id, request.form.get("password", ""))
    except (ContestPasswordWrong, HashingBusy) as error:
        # Busy: every hashing slot was taken; the taker sends it again (the form never
        # carries the password back).
        flash(error.message, "error")
    else:
        db.session.commit()  # a password hash rewritten at today's cost
        flash("Mật khẩu đúng. Bạn có thể bắt đầu thi.", "success")
    return redirect(url_for(".contest", slug=contest.slug))


# The round and its contest in one statement, read fresh on every request; built once.
_ROUND_WITH_CONTEST = select(Round).options(joinedload(Round.contest)).where(Round.id == bindparam("round"))


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.scalar(_ROUND_WITH_CONTEST, {"round": round_id})
    if round_ is None:
        abort(404)
    return round_


def _refused(error: DomainError, round_: Round):
    """A refused start, as a flash on the contest page; without consent to the current privacy
    notice, straight to the consent page, which comes back to this round's start (the API
    answers 403 ``consent_required`` instead)."""
    db.session.rollback()
    contest = round_.contest
    if isinstance(error, terms.ConsentRequired):
        flash(error.message, "info")
        # 303: after a refused POST of the start, the consent page is fetched with GET.
        return redirect(url_for(terms.terms().consent_endpoint,
                                next=url_for(".confirm_start", round_id=round_.id)), code=303)
    message = error.message
    if isinstance(error, service.RegistrationIncomplete):
        message += " Còn thiếu: " + ", ".join(FIELD_LABELS.get(name, name) for name in error.missing) + "."
    flash(message, "error")
    return redirect(url_for(".contest", slug=contest.slug))


@bp.get("/rounds/<int:round_id>/start")
@login_required
def confirm_start(round_id: int):
    """What a new attempt means (questions, time, attempts left) before the clock starts; the
    page's button posts to ``start``. An open attempt is resumed without asking."""
    round_ = _round_or_404(round_id)
    contest = round_.contest
    # One statement: whether one is open (resumed), and how many are used.
    mine = service.my_attempts(current_user.id, round_.id)
    existing = next((row.id for row in mine if row.status == "open"), None)
    if existing is not None:
        db.session.commit()
        return redirect(url_for(".attempt", attempt_id=existing))
    try:
        used = service.check_new_attempt(round_, current_user, contest_unlocked(contest), clock.now(),
                                         used=len(mine))
    except DomainError as error:
        return _refused(error, round_)
    db.session.commit()
    return _no_store(_render("attempts/start.html", round=round_, contest=contest, used=used))


@bp.post("/rounds/<int:round_id>/start")
@login_required
@start_per_account
def start(round_id: int):
    round_ = service.round_with_contest(round_id)
    if round_ is None:
        abort(404)
    contest = round_.contest
    try:
        started = service.start_attempt(round_, current_user, password_ok=contest_unlocked(contest),
                                            origin=service.Origin(device_id(request), request.remote_addr))
    except StartsBusy as busy:
        db.session.rollback()
        page = render_template("attempts/waiting.html", round=round_, contest=contest, retry_after=busy.retry_after)
        return page, 503, {"Retry-After": str(busy.retry_after), "Cache-Control": "no-store"}
    except DomainError as error:
        return _refused(error, round_)
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=started.attempt.id))


# --- the attempt ---------------------------------------------------------------------------


def _position(questions: list[dict], requested: int | None) -> int:
    """The 1-based question to show: the one asked for, else the first unanswered one."""
    if requested is not None:
        return min(max(requested, 1), len(questions))
    return next((index for index, question in enumerate(questions, 1) if not question["selected"]), 1)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = service.attempt_for(attempt_id, current_user.id, service.WITH_CONTEST)
    if attempt.status != "open":
        db.session.commit()
        return redirect(url_for(".result", attempt_id=attempt.id))
    data = attempt_json(attempt)
    db.session.commit()
    questions = data["questions"]
    number = _position(questions, request.args.get("q", type=int))
    return _no_store(_render(
        "attempts/attempt.html", attempt=attempt, round=attempt.round, contest=attempt.round.contest,
        data={**data, "csrf_token": generate_csrf()}, questions=questions, number=number,
        question=questions[number - 1], answered=sum(1 for question in questions if question["selected"]),
    ))


@bp.post("/attempts/<int:attempt_id>/answer")
@login_required
@save_per_account
def answer(attempt_id: int):
    """The no-script path: save the shown question's choice (and the prediction), then move on."""
    question_id = bounded_int(request.form.get("question"), low=1)
    if question_id is None:
        abort(400)
    try:
        service.save_answer(attempt_id, session_identity(), question_id, request.form.getlist("option"), seq=None)
        _save_prediction_field(attempt_id)
    except service.AttemptClosed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".result", attempt_id=attempt_id))
    except service.InvalidOption as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".attempt", attempt_id=attempt_id, q=request.form.get("q", type=int)))
    db.session.commit()
    go = request.form.get("go", "")
    if go == "submit":
        return redirect(url_for(".confirm_submit", attempt_id=attempt_id))
    # A jump names a question number; anything else ("²" passes str.isdigit) means "next".
    target = bounded_int(go)
    if target is None:
        target = (bounded_int(request.form.get("q")) or 0) + 1
    return redirect(url_for(".attempt", attempt_id=attempt_id, q=target))


def _save_prediction_field(attempt_id: int) -> bool:
    """Save the form's prediction, if it has one; False (with a flash) when it is no number."""
    raw = request.form.get("prediction", "").strip().replace(".", "")
    if not raw:
        return True
    value = bounded_int(raw, high=10**9)
    if value is None:
        flash("Dự đoán phải là số nguyên từ 0 đến 1.000.000.000.", "error")
        return False
    attempt = service.attempt_for(attempt_id, current_user.id)
    if attempt.prediction == value:
        return True
    try:
        service.save_prediction(attempt_id, current_user.id, value)
    except service.PredictionRefused as error:
        flash(error.message, "error")
    return True


@bp.get("/attempts/<int:attempt_id>/submit")
@login_required
def confirm_submit(attempt_id: int):
    attempt = service.attempt_for(attempt_id, current_user.id, service.WITH_CONTEST)
    db.session.commit()
    if attempt.status != "open":
        return redirect(url_for(".result", attempt_id=attempt.id))
    answered = sum(1 for item in attempt.items if item.chosen)
    return _no_store(_render("attempts/submit.html", attempt=attempt, round=attempt.round,
                             contest=attempt.round.contest, answered=answered))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
@submit_per_account
def submit(attempt_id: int):
    # The confirmation page shows the prediction for a last look and sends it with the submit.
    try:
        valid = _save_prediction_field(attempt_id)
    except service.AttemptClosed:
        valid = True  # time is up or already submitted: the submit below says which
    if not valid:
        return redirect(url_for(".confirm_submit", attempt_id=attempt_id))
    attempt = service.submit(attempt_id, current_user.id)
    db.session.commit()
    flash("Hết giờ làm bài; bài đã được nộp tự động." if attempt.expired else "Đã nộp bài.", "success")
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = service.attempt_for(attempt_id, current_user.id, service.WITH_PLACE)
    if attempt.status == "open":
        db.session.commit()
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    now = clock.now()
    review = service.review_allowed(attempt, now)
    if review:
        # The questions with the key, as far as no other round can still draw them (attempt_json).
        data = attempt_json(attempt)
        answered = sum(1 for question in data["questions"] if question["selected"])
    else:
        # No review yet (the usual case until the round closes): the page shows counts only.
        data, answered = None, service.answered_count(attempt.id)
    round_ = attempt.round
    # The taker's attempts in the round: how many are used, and which one the lock ranked.
    in_round = service.my_attempts(current_user.id, round_.id)
    used, open_ids = _my_rounds(in_round)
    db.session.commit()
    return _no_store(_render(
        "attempts/result.html", attempt=attempt, round=round_, contest=round_.contest, data=data,
        score=service.score_allowed(attempt, now), review=review, used=used, open_ids=open_ids, answered=answered,
        attempts=in_round,
    ))


# --- the person's own results --------------------------------------------------------------


@mine.get("/me/results")
@login_required
def results():
    found = my_results(current_user.id, clock.now())
    db.session.commit()
    return _no_store(_render("attempts/my_results.html", results=found, certificate_url=certificate_url))
