"""``/judging``: the award committee's pages: flagged attempts with their evidence, decisions,
and the round's ranking without disqualified attempts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quizapp import clock
from quizapp.auth.decorators import role_required
from quizapp.contests.attempts import finalise_expired, round_finished
from quizapp.contests.models import Contest, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.judging import services
from quizapp.judging.locking import lock_round, locked_result, snapshot_rows
from quizapp.judging.models import INFORMATIONAL, Flag

bp = Blueprint("judging", __name__, url_prefix="/judging")

KIND_LABELS = {
    "too_fast": "Làm bài quá nhanh",
    "duplicate_person": "Trùng người (họ tên, ngày sinh, đơn vị) ở nhiều tài khoản",
    "shared_device": "Nhiều tài khoản trên một thiết bị",
    "burst_ip": "Nhiều tài khoản bắt đầu cùng lúc từ một địa chỉ IP (chỉ để tham khảo)",
}


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/")
@role_required("judge")
def index():
    undecided = dict(db.session.execute(
        select(Flag.round_id, func.count()).where(Flag.decision.is_(None), Flag.kind.not_in(INFORMATIONAL))
        .group_by(Flag.round_id)
    ).all())
    contests = db.session.scalars(select(Contest).options(selectinload(Contest.rounds)).order_by(Contest.id.desc()))
    return render_template("judging/index.html", contests=contests, undecided=undecided)


@bp.get("/rounds/<int:round_id>")
@role_required("judge")
def round_review(round_id: int):
    round_ = _round_or_404(round_id)
    finalise_expired(round_id=round_id)
    db.session.commit()
    result = locked_result(round_id)
    return render_template(
        "judging/round.html", round=round_, flagged=services.flagged_attempts(round_id),
        ranking=None if result else services.ranking(round_id), result=result,
        snapshot=snapshot_rows(result)[:100] if result else None, labels=KIND_LABELS,
        informational=INFORMATIONAL, finished=round_finished(round_, clock.now()),
    )


@bp.post("/rounds/<int:round_id>/lock")
@role_required("judge")
def lock(round_id: int):
    round_ = _round_or_404(round_id)
    try:
        result = lock_round(round_, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Đã khóa kết quả: {result.rows} dòng, mã kiểm tra SHA-256 {result.checksum}.", "success")
    return redirect(url_for(".round_review", round_id=round_id))


@bp.post("/rounds/<int:round_id>/scan")
@role_required("judge")
def scan(round_id: int):
    _round_or_404(round_id)
    finalise_expired(round_id=round_id)
    count = services.flag_round(round_id)
    db.session.commit()
    flash(f"Đã rà soát lại; vòng thi có {count} dấu hiệu cần xem xét.", "success")
    return redirect(url_for(".round_review", round_id=round_id))


@bp.post("/attempts/<int:attempt_id>/decision")
@role_required("judge")
def decision(attempt_id: int):
    try:
        attempt = services.decide(attempt_id, request.form.get("decision", ""), request.form.get("reason", ""),
                                  current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        round_id = request.form.get("round_id", type=int)
        return redirect(url_for(".round_review", round_id=round_id) if round_id else url_for(".index"))
    db.session.commit()
    flash("Đã ghi quyết định.", "success")
    return redirect(url_for(".round_review", round_id=attempt.round_id))
