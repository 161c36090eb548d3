"""Item analysis pages on the judging blueprint (judging/items.py has the figures and the rules):

- ``GET  /judging/rounds/<id>/questions``                     each question's figures, for the
  contest's judges and organisers, before the lock (a wrong key is caught before the prizes) and after
- ``GET  /judging/rounds/<id>/questions.csv``                 the same as a download
- ``POST /judging/rounds/<id>/questions/<question id>/key``   a judge corrects the key for this round
"""

from __future__ import annotations

import io

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests import access
from quizapp.extensions import db
from quizapp.judging import items
from quizapp.judging.models import locked_result
from quizapp.judging.routes import _carry_out as carry_out
from quizapp.judging.routes import bp
from quizapp.judging.rows import write_table_csv
from quizapp.roles import role_required

staff_required = role_required("organiser", "judge")


@bp.get("/rounds/<int:round_id>/questions")
@staff_required
def item_analysis(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    # Attempts past their deadline are answered attempts too: close them before counting.
    finalise_expired(round_id=round_id)
    db.session.commit()
    stats = items.analyse(round_id)
    locked = locked_result(round_id)
    judge = access.may(current_user, round_.contest, "judge")
    return render_template(
        "judging/questions.html", round=round_, stats=stats, locked=locked,
        attempts=items.counted_attempts(round_id), finished=round_finished(round_, clock.now()),
        judge=judge, may_correct=judge and locked is None,
        warn_after=items.WARN_AFTER, local_time=clock.local_time)


@bp.get("/rounds/<int:round_id>/questions.csv")
@staff_required
def item_analysis_csv(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    finalise_expired(round_id=round_id)
    audit.record("items.exported", "round", round_id)
    db.session.commit()
    stats = items.analyse(round_id)
    buffer = io.BytesIO()
    write_table_csv(items.csv_header(stats), items.csv_rows(stats), buffer)
    return Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="phan-tich-cau-hoi-vong-{round_.number}.csv"'})


@bp.post("/rounds/<int:round_id>/questions/<int:question_id>/key")
@role_required("judge", "organiser")
def correct_key(round_id: int, question_id: int):
    """A judge of the contest corrects one question's key for this round; organisers who are
    not its judges see the analysis only."""
    round_ = access.round_or_abort(round_id, "judge")
    if not items.drawn_in(round_id, question_id):
        abort(404)
    chosen = []
    for value in request.form.getlist("option"):
        if not value.isdigit() or len(value) > 18:
            abort(400)
        chosen.append(int(value))
    carry_out(lambda: items.correct_key(round_, question_id, chosen, request.form.get("reason"), current_user),
              lambda done: f"Đã sửa đáp án câu hỏi #{question_id} cho vòng thi này và chấm lại {done.rescored} bài "
                           "đã nộp.")
    return redirect(url_for(".item_analysis", round_id=round_id, _anchor=f"q{question_id}"), code=303)
