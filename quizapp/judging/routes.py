"""``/judging``: the award committee's pages: flagged attempts with their evidence, decisions,
and the round's ranking without disqualified attempts. Only the judges of a round's contest
(contests.access) reach its pages; the summary (judging.summary) is for its organisers too.

- ``GET  /judging/``                                   the contests the judge is assigned
- ``GET  /judging/rounds/<id>``                        flags, decisions, the top of the ranking, locking
- ``GET  /judging/rounds/<id>/ranking``                the whole ranking, paged and searchable
- ``GET  /judging/rounds/<id>/export.csv|.xlsx``       the ranking as judges receive it (the xlsx with
                                                        ``?columns=eligibility``: birth date, group, unit
                                                        path, masked ID number where collected)
- ``GET  /judging/rounds/<id>/awards.csv``             the award list
- ``GET  /judging/rounds/<id>/attempts.csv``           every attempt, for audits
- ``GET  /judging/rounds/<id>/certificates.zip``       a locked round's certificates, a PDF each
- ``GET  /judging/rounds/<id>/jobs/<token>``           how far the making of one of those files is (JSON)
- ``POST /judging/rounds/<id>/awards/override``        a judge's award decision with a reason
- ``GET  /judging/rounds/<id>/collective``             collective prizes (``format=csv`` to download)
- ``GET  /judging/rounds/<id>/lock``                   what is still open, and the confirmation to lock
- ``POST /judging/rounds/<id>/lock``                   lock the round's results (confirmed; a reason
                                                        while flags are undecided)
- ``POST /judging/rounds/<id>/scan``                   raise the flags again
- ``POST /judging/attempts/<id>/decision``             clear or disqualify an attempt
- ``GET  /judging/contests/<slug>/standings[.csv]``    overall standings across the rounds
- ``POST /judging/contests/<slug>/standings/refresh``  compute the provisional standings again (a round open)
- ``GET  /judging/contests/<slug>/jobs/<token>``       how far the making of the standings file is (JSON)

The downloads are background jobs (judging.jobs): a click starts the job and answers with its
progress page at the same URL with ``?job=<token>``, which returns the file once it is made.
- ``GET  /judging/rounds/<id>/summary``                the printable round report (judging.summary)
- ``GET  /judging/rounds/<id>/questions[.csv]``        item analysis, organisers too (judging.item_routes)
- ``POST /judging/rounds/<id>/questions/<qid>/key``    a judge corrects a key for this round (judging.item_routes)

A locked round's public results page, ``/contests/<slug>/rounds/<n>/results``, is judging's output
too: judging.public, on a blueprint of its own.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import closing
from itertools import islice
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.auth.models import User
from quizapp.auth.search import PersonQuery
from quizapp.contests import access
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.flags.evidence import evidence_text
from quizapp.flags.models import INFORMATIONAL, KIND_LABELS, Flag
from quizapp.flags.services import flag_round, flagged_attempts
from quizapp.formatting import masked_id_number, number, zone_label
from quizapp.inputs import page_number
from quizapp.jobs import services as jobs
from quizapp.jobs.models import Job
from quizapp.judging import materialised, provisional, services
from quizapp.judging import standings as overall
from quizapp.judging.awards import ATTEMPT_COLUMN, override_award
from quizapp.judging.certificates import services as certificates
from quizapp.judging.collective import HEADER as COLLECTIVE_HEADER
from quizapp.judging.collective import table_rows, unit_standings
from quizapp.judging.jobs import (
    LABELS,
    contest_scope,
    round_scope,
    start_certificates,
    start_keeping,
    start_provisional,
    start_round_file,
    start_standings_file,
)
from quizapp.judging.locking import current_rows, lock_check, lock_round
from quizapp.judging.models import ProvisionalBuild, locked_result, locked_summary
from quizapp.judging.ranking import ranked_people
from quizapp.judging.rows import page_of_ranking, search_kept, write_table_csv
from quizapp.phone import normalise_phone
from quizapp.roles import role_required

bp = Blueprint("judging", __name__, url_prefix="/judging")
T = TypeVar("T")


def _round_or_abort(round_id: int) -> Round:
    """The round, if the signed-in user judges its contest (contests.access): else 404 or 403."""
    return access.round_or_abort(round_id, "judge")


def _wait_for_ranking(round_: Round, back: str):
    """None once the round's page may read it: its attempts past deadline closed and committed,
    so the page shows every submitted attempt (DESIGN §3 rule 1), and a finished round's ranking
    kept. Else the redirect to the progress of the job keeping a big round's ranking, which
    comes back to the page ``back`` (a key of ``BACK``) when it is done."""
    if locked_result(round_.id) is None and (job := _keeping_job([round_])) is not None:
        return redirect(url_for(".ranking_page", round_id=round_.id, job=job.id, back=back), code=303)
    return None


@bp.after_request
def never_stored(response):
    # Judges' pages show full phone numbers, and the round summary the answer key: no shared
    # proxy or browser cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


# A judge is assigned per contest; an organiser's account may be assigned as a judge too.
judge_required = role_required("judge", "organiser")


@bp.get("/")
@judge_required
def index():
    undecided = dict(db.session.execute(
        select(Flag.round_id, func.count()).where(Flag.decision.is_(None), Flag.kind.not_in(INFORMATIONAL))
        .group_by(Flag.round_id)
    ).all())
    contests = db.session.scalars(
        select(Contest).where(access.contest_filter(current_user, "judge")).options(selectinload(Contest.rounds))
        .order_by(Contest.id.desc())
    )
    return render_template("judging/index.html", contests=contests, undecided=undecided)


@bp.get("/rounds/<int:round_id>")
@judge_required
def round_review(round_id: int):
    round_ = _round_or_abort(round_id)
    if (waiting := _wait_for_ranking(round_, "review")) is not None:
        return waiting
    result = locked_result(round_id)
    audit.personal_data_viewed("judging.round", "round", round_id)
    db.session.commit()
    return render_template(
        "judging/round.html", round=round_, flagged=flagged_attempts(round_id),
        ranking=None if result else services.ranking(round_id), result=result,
        snapshot=list(islice(result.snapshot_rows(), 100)) if result else None, labels=KIND_LABELS,
        informational=INFORMATIONAL, finished=round_finished(round_, clock.now()), evidence_text=evidence_text,
    )


RANKING_PAGE = 50
KINDS = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/rounds/<int:round_id>/ranking")
@judge_required
def ranking_page(round_id: int):
    """The whole ranking (or its locked snapshot), a page at a time, searchable by name or phone.

    A finished round's ranking is computed once and kept (judging.materialised): a page is then
    read by place, however deep. A big round's is kept by a background job: the first view
    answers with the job's progress page (``?job=<token>``), then the ranking."""
    round_ = _round_or_abort(round_id)
    token = request.args.get("job")
    if token is not None:
        return _keeping_answer(jobs.find(token, round_scope(round_id)), round_)
    result = locked_result(round_id)
    build = None
    if result is None:
        job = _keeping_job([round_])
        if job is not None:
            return redirect(url_for(".ranking_page", round_id=round_id, job=job.id, **_listing_args()), code=303)
        build = materialised.kept(round_)
    query = PersonQuery.parse(request.args.get("q"))
    page = page_number()
    start = (page - 1) * RANKING_PAGE
    if build is not None:
        if query is not None:
            shown, total = search_kept(round_, query, start, RANKING_PAGE)
        else:
            shown, total = page_of_ranking(round_, start, RANKING_PAGE), build.rows
    else:
        shown, total = _streamed_page(round_, result, query, start)
    # The search too: looking a person up is looking at them.
    audit.personal_data_viewed("judging.ranking", "round", round_id, page=page,
                               **({"search": request.args["q"][:64]} if query is not None else {}))
    db.session.commit()
    return render_template("judging/ranking.html", round=round_, rows=shown, total=total, page=page,
                           page_size=RANKING_PAGE, query=request.args.get("q", ""), result=result,
                           id_numbers=_id_numbers_shown(round_, shown))


def _id_numbers_shown(round_: Round, rows: list[list[object]]) -> dict[int, str]:
    """The ID numbers of the people on a page of the ranking, by attempt id: in full when the
    contest requires them (``Contest.needs_id_number``), else masked. Read for the page's rows
    only, never kept in a ranking or snapshot: exports carry none in full (the xlsx with its
    eligibility columns shows them masked where the contest collects them, judging/workbook.py)."""
    attempt_ids = [int(row[ATTEMPT_COLUMN]) for row in rows]
    if not attempt_ids:
        return {}
    found = db.session.execute(select(Attempt.id, User.id_number).join(User, User.id == Attempt.user_id)
                               .where(Attempt.id.in_(attempt_ids), User.has_id_number)).all()
    full = round_.contest.needs_id_number
    return {attempt_id: number if full else masked_id_number(number) for attempt_id, number in found}


def _keeping_job(rounds: list[Round], contest: Contest | None = None) -> Job | None:
    """Make ready the rankings of ``rounds`` (a round's, or a contest's for its standings) as a
    judge's page reads them; None when they are, else the job keeping them, under way.

    Rounds still taking answers are ranked live, their expired attempts closed first. A finished
    round with no kept ranking is kept now when that is quick (``quick_to_rank``), else by a
    background job: never 8-23 s inside a web request (without Redis the job runs here)."""
    now = clock.now()
    pending = []
    for each in rounds:
        if materialised.kept(each) is not None:
            continue
        if not round_finished(each, now):
            finalise_expired(round_id=each.id)
        elif materialised.quick_to_rank(each):
            materialised.keep(each)
        else:
            pending.append(each)
    db.session.commit()
    if pending:
        job = start_keeping(pending, current_user.id, contest)
        if job.status != "finished":
            return job
    return None


def _listing_args() -> dict[str, str]:
    """The page and search of a listing, and the page to come back to, carried through its
    keeping job's page."""
    return {name: request.args[name] for name in ("page", "q", "back") if request.args.get(name)}


# The round's pages a keeping job's progress page may go back to (``?back=``); else its ranking.
BACK = {"review": ".round_review", "lock": ".lock_confirm"}


def _round_listing(round_: Round) -> str:
    back = BACK.get(request.args.get("back", ""))
    if back is not None:
        return url_for(back, round_id=round_.id)
    return url_for(".ranking_page", round_id=round_.id,
                   **{name: value for name, value in _listing_args().items() if name != "back"})


def _keeping_answer(job: Job | None, round_: Round | None = None, contest: Contest | None = None):
    """The progress page of a job keeping rankings, or, once it is done, the listing again."""
    if job is None:
        abort(404)
    if contest is not None:
        listing = url_for(".standings_page", slug=contest.slug, **_listing_args())
        status_url = url_for(".contest_job_status", slug=contest.slug, token=job.id)
    else:
        listing = _round_listing(round_)
        status_url = url_for(".round_job_status", round_id=round_.id, token=job.id)
    if job.status == "finished":
        return redirect(listing, code=303)
    return render_template("judging/keeping.html", job=job, round=round_, contest=contest, status_url=status_url,
                           retry_url=listing)


def _streamed_page(round_: Round, result, query: PersonQuery | None, start: int) -> tuple[list, int]:
    """A page of a locked snapshot, or of a round still running, read from the top."""
    # Rows stream from the snapshot or the database and only one page is kept: the first pages
    # of a national round read a few rows, not the hundred thousand below them.
    with closing(current_rows(round_)) as rows:
        if query is not None:
            matching = (row for row in rows if query.matches(str(row[1]), str(row[2])))
            shown, total = [], 0
            for total, row in enumerate(matching, start=1):
                if start < total <= start + RANKING_PAGE:
                    shown.append(row)
        else:
            shown = list(islice(rows, start, start + RANKING_PAGE))
            total = result.rows if result is not None else ranked_people(round_.id)
    return shown, total


@bp.get("/rounds/<int:round_id>/export.<kind>")
@judge_required
def export(round_id: int, kind: str):
    """The ranking as judges receive it (the snapshot once locked), as a download. The xlsx
    takes ``?columns=eligibility`` for the columns that check a winner's eligibility (birth
    date, group, unit path, the ID number masked where collected): personal data, so only when asked."""
    if kind not in KINDS:
        abort(404)
    eligibility = kind == "xlsx" and request.args.get("columns") == "eligibility"
    name = "xep-hang-vong-{number}-xet-dieu-kien" if eligibility else "xep-hang-vong-{number}"
    return _round_file(round_id, "ranking", f"{name}.{kind}", "ranking.exported", kind, eligibility=eligibility)


@bp.get("/rounds/<int:round_id>/awards.csv")
@judge_required
def awards_export(round_id: int):
    return _round_file(round_id, "awards", "danh-sach-giai-vong-{number}.csv", "awards.exported")


@bp.get("/rounds/<int:round_id>/attempts.csv")
@judge_required
def attempts_export(round_id: int):
    """Every attempt of the round, for an audit of the contest."""
    return _round_file(round_id, "attempts", "nhat-ky-luot-thi-vong-{number}.csv", "attempts.exported")


@bp.get("/rounds/<int:round_id>/certificates.zip")
@judge_required
def certificates_export(round_id: int):
    """Every certificate of a locked round, one PDF each (judging.certificates), as a ZIP."""
    round_ = _round_or_abort(round_id)
    if locked_summary(round_.id) is None:
        abort(404)
    if (token := request.args.get("job")) is not None:
        return _job_answer(jobs.find(token, round_scope(round_.id)))
    # The worker has no request: the address printed on the certificates is decided here.
    base = certificates.verification_base()
    _exported(round_id, "certificates.exported")
    return _job_answer(start_certificates(round_, f"giay-chung-nhan-vong-{round_.number}.zip", current_user.id, base),
                       started=True)


@bp.get("/rounds/<int:round_id>/jobs/<token>")
@judge_required
def round_job_status(round_id: int, token: str):
    _round_or_abort(round_id)
    return _job_status(token, round_scope(round_id))


def _round_file(round_id: int, kind: str, filename: str, action: str, fmt: str = "csv", *,
                eligibility: bool = False):
    """A round's file: a click starts its job (audit-logged); ``?job=`` shows its progress, then the file."""
    token = request.args.get("job")
    if token is not None:
        return _job_answer(jobs.find(token, round_scope(_round_or_abort(round_id).id)))
    after = None
    if kind == "ranking":
        after = {"kind": fmt, "columns": "eligibility"} if eligibility else {"kind": fmt}
    round_ = _exported(round_id, action, after)
    return _job_answer(start_round_file(kind, round_, filename.format(number=round_.number), current_user.id, fmt,
                                        eligibility=eligibility), started=True)


@bp.post("/rounds/<int:round_id>/awards/override")
@judge_required
def award_override(round_id: int):
    """A judge gives one person a tier, or withdraws their award, with a reason."""
    round_ = _round_or_abort(round_id)
    phone = normalise_phone(request.form.get("phone", "")) or ""
    user = db.session.scalar(select(User).where(User.phone == phone))

    def give():
        if user is None:
            raise DomainError("Không tìm thấy người dự thi có số điện thoại này.")
        award = request.form.get("award", "").strip() or None
        override_award(round_, user.id, award, request.form.get("reason", ""), current_user)

    _carry_out(give, lambda _done: f"Đã ghi quyết định về giải của {user.full_name}.")
    return redirect(url_for(".ranking_page", round_id=round_id))


@bp.get("/rounds/<int:round_id>/collective")
@judge_required
def collective(round_id: int):
    """Units ranked by participation: by people, attempts or rate against headcount."""
    round_ = _round_or_abort(round_id)
    by = request.args.get("by", "participants")
    level = request.args.get("level", "unit")
    raw_rate = request.args.get("min_rate", "").strip().replace(",", ".")
    try:
        min_rate = float(raw_rate) / 100 if raw_rate else None
        standings = unit_standings(round_id, by, min_rate, level)
    except (ValueError, DomainError):
        flash("Cấp đơn vị, cách xếp hạng hoặc tỷ lệ tối thiểu (0–100 %) không hợp lệ.", "error")
        by, level, raw_rate, standings = "participants", "unit", "", unit_standings(round_id)
    if request.args.get("format") == "csv":
        audit.record("collective.exported", "round", round_id, after={"by": by, "min_rate": raw_rate, "level": level})
        db.session.commit()
        rows = table_rows(standings)
        return _download(lambda stream: write_table_csv(COLLECTIVE_HEADER, rows, stream),
                         f"giai-tap-the-{'cap-tren-' if level == 'district' else ''}vong-{round_.number}.csv",
                         KINDS["csv"])
    return render_template("judging/collective.html", round=round_, standings=standings, by=by, min_rate=raw_rate,
                           level=level)


def _carry_out(action: Callable[[], T], done: Callable[[T], str]) -> None:
    """Run a judge's action: commit it and say ``done``, or roll back and say why it was refused."""
    try:
        outcome = action()
    except DomainError as error:
        db.session.rollback()
        fields = getattr(error, "fields", None) or {}
        flash(" ".join([error.message, *(message for messages in fields.values() for message in messages)]), "error")
    else:
        db.session.commit()
        flash(done(outcome), "success")


def _exported(round_id: int, action: str, after: dict | None = None) -> Round:
    """The round a download is about, the download audit-logged. Its job closes the round's
    expired attempts and keeps a finished round's ranking first, in the worker."""
    round_ = _round_or_abort(round_id)
    audit.record(action, "round", round_id, after=after)
    db.session.commit()
    return round_


def _download(write, name: str, mimetype: str):
    """A small file made in the request (the collective prizes: one row per unit)."""
    buffer = io.BytesIO()
    write(buffer)
    # never_stored (above) marks it no-store, like every judging page.
    return Response(buffer.getvalue(), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _job_answer(job: Job | None, *, started: bool = False):
    """The file once its job has made it; before that, the progress page (after a click, a
    redirect to it, so that reloading it never starts the job again)."""
    if job is None:
        abort(404)
    if job.status == "finished":
        return Response(stream_with_context(jobs.chunks(job)), mimetype=job.mimetype, headers={
            "Content-Disposition": f'attachment; filename="{job.filename}"', "Content-Length": str(job.byte_size)})
    if started and job.status != "failed":
        return redirect(url_for(request.endpoint, **request.view_args, job=job.id), code=303)
    owner = {name: value for name, value in request.view_args.items() if name in ("round_id", "slug")}
    status_url = url_for(f".{'contest' if 'slug' in owner else 'round'}_job_status", token=job.id, **owner)
    # A failed job is an answer like any other (DESIGN §3 rule 8: no 500): its page says why.
    return render_template("judging/job.html", job=job, label=LABELS.get(job.kind, "tệp"), status_url=status_url,
                           retry_url=url_for(request.endpoint, **request.view_args))


def _job_status(token: str, scope: str):
    job = jobs.find(token, scope)
    if job is None:
        abort(404)
    return jsonify(status=job.status, done=job.done, total=job.total, message=job.message)


@bp.get("/rounds/<int:round_id>/lock")
@judge_required
def lock_confirm(round_id: int):
    """Before the irreversible lock: the flags nobody decided and the award overrides."""
    round_ = _round_or_abort(round_id)
    if (waiting := _wait_for_ranking(round_, "lock")) is not None:
        return waiting
    audit.personal_data_viewed("judging.lock", "round", round_id)
    db.session.commit()
    return render_template("judging/lock.html", round=round_, result=locked_result(round_id), check=lock_check(round_),
                           finished=round_finished(round_, clock.now()), labels=KIND_LABELS)


@bp.post("/rounds/<int:round_id>/lock")
@judge_required
def lock(round_id: int):
    round_ = _round_or_abort(round_id)
    if request.form.get("confirm") != "yes":
        flash("Cần đánh dấu xác nhận trước khi khóa kết quả: khóa rồi thì không thể hoàn tác.", "error")
        return redirect(url_for(".lock_confirm", round_id=round_id))
    if locked_result(round_id) is None and round_finished(round_, clock.now()):
        # The lock keeps the ranking first: a big round's is kept in the background instead.
        waiting = _wait_for_ranking(round_, "lock")
        if waiting is not None:
            flash("Bảng xếp hạng của vòng thi đang được tính; hãy khóa kết quả khi việc này xong.", "error")
            return waiting
    _carry_out(lambda: lock_round(round_, current_user, reason=request.form.get("reason")),
               lambda result: f"Đã khóa kết quả: {number(result.rows)} dòng, mã kiểm tra SHA-256 {result.checksum}.")
    if locked_result(round_id) is None:  # refused: back to what is still open
        return redirect(url_for(".lock_confirm", round_id=round_id))
    return redirect(url_for(".round_review", round_id=round_id))


@bp.post("/rounds/<int:round_id>/scan")
@judge_required
def scan(round_id: int):
    _round_or_abort(round_id)
    finalise_expired(round_id=round_id)
    count = flag_round(round_id)
    db.session.commit()
    flash(f"Đã rà soát lại; vòng thi có {number(count)} dấu hiệu cần xem xét.", "success")
    return redirect(url_for(".round_review", round_id=round_id))


@bp.post("/attempts/<int:attempt_id>/decision")
@judge_required
def decision(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    round_id = _round_or_abort(attempt.round_id).id
    _carry_out(lambda: services.decide(attempt_id, request.form.get("decision", ""), request.form.get("reason", ""),
                                       current_user),
               lambda _attempt: "Đã ghi quyết định.")
    return redirect(url_for(".round_review", round_id=round_id))


# --- overall standings of a contest ---------------------------------------------------------


@bp.get("/contests/<slug>/standings")
@judge_required
def standings_page(slug: str):
    """Every person's counting attempts of the contest's rounds added up, a page at a time.

    The finished rounds' rankings are kept first, and their totals (judging.materialised); a
    big round's by a background job, whose progress page (``?job=<token>``) comes first. While
    a round still takes attempts the standings are provisional: a snapshot computed at most
    once a minute (judging.provisional), shown with its time; once every round has finished
    they are exact."""
    contest = access.contest_or_abort(slug, "judge")
    token = request.args.get("job")
    if token is not None:
        return _keeping_answer(jobs.find(token, contest_scope(contest.id)), contest=contest)
    rounds = overall.counted_rounds(contest)
    if rounds:
        job = _keeping_job(rounds, contest)
        if job is not None:
            return redirect(url_for(".standings_page", slug=slug, job=job.id, **_listing_args()), code=303)
    if materialised.keep_totals(contest) is not None:
        db.session.commit()
    snapshot, job = None, None
    if live := provisional.live_rounds(rounds):
        snapshot, job = _provisional_snapshot(contest, rounds, live)
        if snapshot is None and job is not None:
            return redirect(url_for(".standings_page", slug=slug, job=job.id, **_listing_args()), code=303)
    page = page_number()
    if snapshot is not None:
        shown, total = provisional.page(snapshot, rounds, RANKING_PAGE, (page - 1) * RANKING_PAGE)
    else:
        # Every round finished (or still to come): the exact standings, read by place.
        shown, total = overall.page(contest, RANKING_PAGE, (page - 1) * RANKING_PAGE)
    audit.personal_data_viewed("judging.standings", "contest", contest.id, page=page)
    db.session.commit()
    return render_template("judging/standings.html", contest=contest, rounds=rounds, rows=shown, total=total,
                           page=page, page_size=RANKING_PAGE, snapshot=snapshot, live=live,
                           computed_at=snapshot and _moment(snapshot.computed_at, contest),
                           refreshing=job is not None and job.status in jobs.IN_FLIGHT)


def _provisional_snapshot(contest: Contest, rounds: list[Round],
                          live: list[Round]) -> tuple[ProvisionalBuild | None, Job | None]:
    """The provisional standings to show, and the job computing newer ones (None: none started).

    The current snapshot while it is younger than ``PROVISIONAL_STANDINGS_SECONDS``; else a new
    one, computed here when that is quick (a small contest), or by the job, the older snapshot
    shown meanwhile (None when there is none: the page waits for the job)."""
    snapshot = provisional.current(contest, rounds, live)
    if not provisional.due(snapshot):
        return snapshot, None
    if materialised.quick_to_rank(*rounds):
        snapshot = provisional.refresh(contest)
        db.session.commit()
        return snapshot, None
    job = start_provisional(contest, current_user.id)
    if job.status == "finished":  # without Redis the job ran here
        return provisional.current(contest, rounds, live), job
    return snapshot, job


def _moment(moment, contest: Contest) -> str:
    """A time as the contest's clocks show it, with its date when that is not today."""
    shown = clock.local_time(moment, contest.timezone, "%H:%M:%S")
    if clock.local_time(moment, contest.timezone, "%d/%m/%Y") != clock.local_time(clock.now(), contest.timezone,
                                                                                 "%d/%m/%Y"):
        shown += " ngày " + clock.local_time(moment, contest.timezone, "%d/%m/%Y")
    return shown


@bp.post("/contests/<slug>/standings/refresh")
@judge_required
def standings_refresh(slug: str):
    """A judge asks for the provisional standings to be computed again now: at most once in
    ``PROVISIONAL_STANDINGS_SECONDS``; the page shows the job's progress, then the standings."""
    contest = access.contest_or_abort(slug, "judge")
    listing = url_for(".standings_page", slug=slug)
    rounds = overall.counted_rounds(contest)
    live = provisional.live_rounds(rounds)
    if not live:
        flash("Mọi vòng thi đã kết thúc: bảng xếp hạng chung không còn là tạm tính.", "success")
        return redirect(listing, code=303)
    snapshot = provisional.current(contest, rounds, live)
    if not provisional.due(snapshot):
        flash(f"Bảng tạm tính vừa được tính lúc {_moment(snapshot.computed_at, contest)}; có thể tính lại từ "
              f"{_moment(provisional.next_allowed(snapshot), contest)} ({zone_label(contest.timezone)}).", "warning")
        return redirect(listing, code=303)
    _snapshot, job = _provisional_snapshot(contest, rounds, live)
    if job is not None and job.status in jobs.IN_FLIGHT:
        return redirect(url_for(".standings_page", slug=slug, job=job.id), code=303)
    return redirect(listing, code=303)


@bp.get("/contests/<slug>/standings.csv")
@judge_required
def standings_export(slug: str):
    token = request.args.get("job")
    if token is not None:
        return _job_answer(jobs.find(token, contest_scope(access.contest_or_abort(slug, "judge").id)))
    contest = access.contest_or_abort(slug, "judge")
    # The file's job closes expired attempts and keeps the rankings it reads, in the worker.
    audit.record("standings.exported", "contest", contest.id)
    db.session.commit()
    return _job_answer(start_standings_file(contest, f"xep-hang-chung-{contest.slug}.csv", current_user.id),
                       started=True)


@bp.get("/contests/<slug>/jobs/<token>")
@judge_required
def contest_job_status(slug: str, token: str):
    return _job_status(token, contest_scope(access.contest_or_abort(slug, "judge").id))
