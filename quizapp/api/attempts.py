"""JSON API for takers: contests, starting or resuming an attempt, answers, prediction, submit,
and the caller's own results."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quizapp import clock
from quizapp.api.routes import bp, json_body
from quizapp.attempts import results as taker_results
from quizapp.attempts import services as service
from quizapp.attempts.display import attempt_json, iso
from quizapp.attempts.passwords import contest_unlocked, unlock_contest
from quizapp.attempts.results import result_json
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.devices import device_id
from quizapp.errors import HTTP_ERRORS, NotFound, ValidationFailed, json_error
from quizapp.extensions import db
from quizapp.limits import save_per_account, start_per_account, submit_per_account
from quizapp.sessions import session_identity


def round_json(round_: Round, now: datetime, used: int) -> dict[str, object]:
    return {
        "id": round_.id,
        "number": round_.number,
        "title": round_.title,
        "opens_at": iso(round_.opens_at),
        "closes_at": iso(round_.closes_at),
        "status": round_.status(now),
        "time_limit_seconds": round_.time_limit_seconds,
        "max_attempts": round_.max_attempts,
        "attempts_used": used,
        "question_count": round_.question_count,
        "practice": round_.practice,
    }


@bp.get("/contests")
def contests():
    now = clock.now()
    used: dict[int, int] = {}
    if current_user.is_authenticated:
        service.finalise_expired(user_id=current_user.id)
        used = dict(db.session.execute(
            select(Attempt.round_id, func.count()).where(Attempt.user_id == current_user.id).group_by(Attempt.round_id)
        ).all())
    rows = db.session.scalars(select(Contest).options(selectinload(Contest.rounds)).order_by(Contest.id.desc()))
    db.session.commit()
    return jsonify([
        {
            "slug": contest.slug,
            "title": contest.title,
            "password_required": contest.password_hash is not None,
            "registration_fields": contest.registration_fields,
            "require_verified_phone": contest.require_verified_phone,
            "rounds": [round_json(round_, now, used.get(round_.id, 0)) for round_ in contest.rounds],
        }
        for contest in rows
    ])


@bp.post("/rounds/<int:round_id>/attempts")
@login_required
@start_per_account
def start(round_id: int):
    # The body is optional (no body: no password), but one that is sent must be a JSON object.
    body = json_body() if request.get_data(cache=True) else {}
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        raise ValidationFailed({"password": ["Mật khẩu cuộc thi phải là một chuỗi ký tự."]})
    round_ = service.round_with_contest(round_id)
    if round_ is None:
        raise NotFound("Không tìm thấy vòng thi.")
    contest = round_.contest
    if isinstance(password, str) and contest.password_hash:
        unlock_contest(contest, current_user.id, password)
    started = service.start_attempt(round_, current_user, password_ok=contest_unlocked(contest),
                                        origin=service.Origin(device_id(request), request.remote_addr))
    db.session.commit()
    return jsonify(attempt_json(started.attempt)), 201 if started.created else 200


@bp.get("/attempts/<int:attempt_id>")
@login_required
def get_attempt(attempt_id: int):
    attempt = service.attempt_for(attempt_id, current_user.id)
    db.session.commit()
    return jsonify(attempt_json(attempt))


@bp.put("/attempts/<int:attempt_id>/answers/<int:question_id>")
@save_per_account
def save_answer(attempt_id: int, question_id: int):
    # The hot path: no user or attempt is loaded; the one UPDATE checks everything. Most
    # saves never get here: the answer-save lane (answer_lane.py) stores them first, and
    # hands this view only what it did not store, to explain why.
    identity = session_identity()
    if identity is None:
        code, _title, message = HTTP_ERRORS[401]
        return json_error(401, code, message)
    tokens, seq = save_request(json_body())
    # Committed by the service's own autocommit statement; nothing else to commit.
    if request.environ.get(REFUSED_BY_LANE):
        saved = service.explain_unsaved(attempt_id, identity, question_id, tokens, seq)
    else:
        saved = service.save_answer(attempt_id, identity, question_id, tokens, seq)
    return jsonify(save_response(saved))


# Set on a request the answer-save lane ran the UPDATE for and saw refused.
REFUSED_BY_LANE = "quizapp.answer_refused"


def save_request(body: dict[str, object]) -> tuple[list, int | None]:
    """The option ids and sequence number of an answer-save body, or ValidationFailed."""
    tokens, seq = body.get("option_ids"), body.get("seq")
    if not isinstance(tokens, list) or len(tokens) > 8:
        raise ValidationFailed({"option_ids": ["Cần danh sách mã phương án đã chọn."]})
    if seq is not None:
        seq = whole_number(seq)
        if seq is None or not 0 <= seq < service.NO_SEQ:
            raise ValidationFailed({"seq": ["seq phải là số nguyên không âm."]})
    return tokens, seq


def whole_number(value: object) -> int | None:
    """``value`` as an int if it is a whole JSON number, else None.

    JSON Schema, and so the OpenAPI document, counts 5.0 as an integer, and some JSON encoders
    write every number as a float; 5.5, booleans and strings are not whole numbers.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def save_response(saved: service.Saved) -> dict[str, object]:
    return {
        "question_id": saved.question_id,
        "option_ids": [saved.tokens[index] for index in saved.indexes],
        "saved_at": iso(saved.saved_at),
    }


@bp.put("/attempts/<int:attempt_id>/prediction")
@login_required
@save_per_account
def save_prediction(attempt_id: int):
    value = whole_number(json_body().get("value"))
    if value is None or not 0 <= value <= 10**9:
        raise ValidationFailed({"value": ["Dự đoán phải là số nguyên từ 0 đến 1.000.000.000."]})
    attempt = service.save_prediction(attempt_id, current_user.id, value)
    db.session.commit()
    return jsonify(attempt_id=attempt.id, prediction=attempt.prediction)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
@submit_per_account
def submit(attempt_id: int):
    attempt = service.submit(attempt_id, current_user.id)
    db.session.commit()
    return jsonify(
        status=attempt.status,
        submitted_at=iso(attempt.submitted_at),
        duration_ms=attempt.duration_ms,
        correct_count=attempt.correct_count if service.score_allowed(attempt, clock.now()) else None,
        question_count=attempt.question_count,
    )


@bp.get("/me/results")
@login_required
def my_results():
    """The caller's result in every round they took part in (attempts/results.py)."""
    results = [result_json(result) for result in taker_results.my_results(current_user.id, clock.now())]
    db.session.commit()
    return jsonify(results)
