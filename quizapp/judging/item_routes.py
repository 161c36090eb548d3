"""Item analysis pages on the judging blueprint (judging/items.py has the figures and the rules):

- ``GET  /judging/rounds/<id>/questions``                     each question's figures, for the
  contest's judges and organisers, before the lock (a wrong key is caught before the prizes) and after
- ``GET  /judging/rounds/<id>/questions.csv``                 the same as a download

A big round's analysis is a background job's (judging.jobs): the page shows its progress
(``?job=<token>``), then the analysis, which is kept until an attempt is submitted or a key
corrected.
- ``GET  /judging/rounds/<id>/questions/jobs/<token>``       that job's progress (JSON), for the same people
- ``POST /judging/rounds/<id>/questions/<question id>/key``   a judge corrects the key for this round once it
  has finished taking attempts, before the lock
"""

from __future__ import annotations

import io
import re

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests import access
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.jobs import services as jobs
from quizapp.jobs.models import Job
from quizapp.judging import items
from quizapp.judging.jobs import round_scope, start_item_analysis
from quizapp.judging.models import locked_summary
from quizapp.judging.routes import _carry_out as carry_out
from quizapp.judging.routes import bp
from quizapp.judging.rows import write_table_csv
from quizapp.roles import role_required

staff_required = role_required("organiser", "judge")
KIND = "judging.items"


def _items_job(round_id: int, token: str) -> Job:
    """The round's analysis job ``token``; another kind of job of the round (an export, the
    certificates) is not found here, as its file is not an analysis."""
    job = jobs.find(token, round_scope(round_id))
    if job is None or job.kind != KIND:
        abort(404)
    return job


def _running(round_id: int) -> Job | None:
    """An analysis of the round with its current key corrections, queued or under way, whatever
    attempts it counts: a new one is not started beside it (a click on "Tính lại" or
    ``?refresh=1`` repeated would otherwise start a full scan each time a submission came in).
    One from before a correction is not joined: it may have read the old key."""
    corrections, _attempts = items.stamp(round_id)
    for job in db.session.scalars(
            select(Job).where(Job.kind == KIND, Job.status.in_(jobs.IN_FLIGHT),
                              Job.key.startswith(items.job_key(round_id, corrections), autoescape=True))
            .order_by(Job.created_at.desc())):
        if jobs.settle(job).status in jobs.IN_FLIGHT:
            return job
    return None


def _analysis(round_: Round, endpoint: str) -> items.Analysis | ResponseReturnValue:
    """The round's analysis, or the answer to give while a background job computes it.

    A small round's is computed here (or reused for a minute while nothing it counted changed:
    ``items.analysis_cached``). A big round's (``quick_to_analyse``) is a job's, kept
    while nothing it counted changed; while the round still takes attempts a recent one is
    shown rather than waited for (``?refresh=1`` asks for a new one). ``?job=<token>``: the
    job's progress, then its analysis."""
    token = request.args.get("job")
    if token is not None:
        job = _items_job(round_.id, token)
        if job.status != "finished":
            return render_template("judging/items_job.html", job=job, round=round_,
                                   status_url=url_for(".item_analysis_status", round_id=round_.id, token=job.id),
                                   retry_url=url_for(endpoint, round_id=round_.id, refresh=1))
        return items.from_job(job, round_.id)
    finalise_expired(round_id=round_.id)
    db.session.commit()
    if items.quick_to_analyse(round_.id):
        return items.analysis_cached(round_.id, fresh=bool(request.args.get("refresh")))
    if not request.args.get("refresh") and not round_finished(round_, clock.now()):
        recent = items.recent_analysis(round_.id, int(current_app.config["ITEM_ANALYSIS_REUSE_SECONDS"]))
        if recent is not None:
            return recent
    job = _running(round_.id) or start_item_analysis(round_, current_user.id)
    if job.status == "finished":  # kept, or run here without Redis
        return items.from_job(job, round_.id)
    return redirect(url_for(endpoint, round_id=round_.id, job=job.id), code=303)


@bp.get("/rounds/<int:round_id>/questions")
@staff_required
def item_analysis(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    analysis = _analysis(round_, ".item_analysis")
    if not isinstance(analysis, items.Analysis):
        return analysis
    locked = locked_summary(round_id)
    judge = access.may(current_user, round_.contest, "judge")
    finished = round_finished(round_, clock.now())
    return render_template(
        "judging/questions.html", round=round_, stats=analysis.stats, computed_at=analysis.computed_at,
        locked=locked, attempts=analysis.attempts, finished=finished, judge=judge,
        may_correct=judge and locked is None and finished, warn_after=items.WARN_AFTER,
        local_time=clock.local_time)


@bp.get("/rounds/<int:round_id>/questions.csv")
@staff_required
def item_analysis_csv(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    analysis = _analysis(round_, ".item_analysis_csv")
    if not isinstance(analysis, items.Analysis):
        return analysis
    audit.record("items.exported", "round", round_id)
    db.session.commit()
    buffer = io.BytesIO()
    write_table_csv(items.csv_header(analysis.stats), items.csv_rows(analysis.stats), buffer)
    return Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="phan-tich-cau-hoi-vong-{round_.number}.csv"'})


@bp.get("/rounds/<int:round_id>/questions/jobs/<token>")
@staff_required
def item_analysis_status(round_id: int, token: str):
    """The analysis job's progress for its page's polling: organisers who are not judges of the
    contest open the analysis too, and judging's own status URL is for judges only."""
    access.round_or_abort(round_id, "organiser", "judge")
    job = _items_job(round_id, token)
    return jsonify(status=job.status, done=job.done, total=job.total, message=job.message)


@bp.post("/rounds/<int:round_id>/questions/<int:question_id>/key")
@role_required("judge", "organiser")
def correct_key(round_id: int, question_id: int):
    """A judge of the contest corrects one question's key for this round once it has finished
    taking attempts (items.correct_key says why); organisers who are not its judges see the
    analysis only."""
    round_ = access.round_or_abort(round_id, "judge")
    if not items.drawn_in(round_id, question_id):
        abort(404)
    chosen = []
    for value in request.form.getlist("option"):
        # ASCII digits only: "²".isdigit() holds, but int() refuses it.
        if not re.fullmatch(r"[0-9]{1,18}", value):
            abort(400)
        chosen.append(int(value))
    carry_out(lambda: items.correct_key(round_, question_id, chosen, request.form.get("reason"), current_user),
              lambda done: f"Đã sửa đáp án câu hỏi #{question_id} cho vòng thi này và chấm lại {done.rescored} bài "
                           f"đã nộp có câu này: {done.changed} bài thay đổi số câu đúng.")
    return redirect(url_for(".item_analysis", round_id=round_id, _anchor=f"q{question_id}"), code=303)
