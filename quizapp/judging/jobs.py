"""Judges' downloads as background jobs (quizapp/jobs): the ranking as xlsx and CSV, the award
list, the attempts log and a contest's overall standings. On a national round each reads hundreds
of thousands of rows, longer than a web worker may take, so the page starts a job and shows its
progress, and the same download URL returns the file once it is made.

A locked round's files are made once and kept (their key carries the snapshot's checksum);
an unlocked round's are made afresh on each click, since a decision a second earlier changes
them. Overall standings are kept once every round they count is locked.

Keeping a big finished round's ranking (judging/materialised.py: 450,000 attempts take 8-23 s)
is a job too (``judging.keep``, no file), started by the first judge's view of its ranking or
standings; each download keeps the rankings it reads first, in the worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import BinaryIO

from flask import Flask
from sqlalchemy import func, select

from quizapp import clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.jobs import services as jobs
from quizapp.jobs.models import Job
from quizapp.jobs.services import Progress
from quizapp.judging import items, materialised, provisional
from quizapp.judging import standings as overall
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN, OVERRIDE_HEADER, override_marks
from quizapp.judging.certificates import services as certificates
from quizapp.judging.exports import ATTEMPTS_HEADER, attempts_log_rows, export_ranking
from quizapp.judging.locking import current_rows
from quizapp.judging.models import RoundResult, locked_summary
from quizapp.judging.ranking import ranked_people
from quizapp.judging.rows import HEADER, write_table_csv

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip": "application/zip"}
# What the progress page calls each file.
LABELS = {"judging.ranking": "bảng xếp hạng", "judging.awards": "danh sách giải",
          "judging.attempts": "nhật ký mọi lượt thi", "judging.standings": "xếp hạng chung",
          "judging.keep": "bảng xếp hạng", "judging.provisional": "xếp hạng chung tạm tính",
          "judging.certificates": "giấy chứng nhận", "judging.items": "phân tích câu hỏi"}


class QueueUnavailable(DomainError):
    status, code = 503, "jobs_unavailable"
    message = "Hàng đợi việc nền đang không phản hồi; chưa tạo được tệp. Vui lòng thử lại sau ít phút."
    retry_after = 30


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


def contest_scope(contest_id: int) -> str:
    return f"contest:{contest_id}"


def _round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise DomainError("Vòng thi không còn tồn tại.")
    return round_


def _round_total(round_: Round, progress: Progress) -> None:
    result = locked_summary(round_.id)
    progress.set_total(result.rows if result is not None else ranked_people(round_.id))


def _kept_first(round_: Round) -> None:
    """Before a file reads the round, in the worker: its attempts past deadline closed and a
    finished round's ranking kept (quick once kept; nothing to do once locked)."""
    if locked_summary(round_.id) is None:
        finalise_expired(round_id=round_.id)
        materialised.keep(round_)
        db.session.commit()


def ranking_file(stream: BinaryIO, progress: Progress, *, round_id: int, kind: str,
                 eligibility: bool = False) -> None:
    round_ = _round(round_id)
    _kept_first(round_)
    _round_total(round_, progress)
    export_ranking(round_, stream, kind, progress.counted, eligibility=eligibility)


def awards_file(stream: BinaryIO, progress: Progress, *, round_id: int) -> None:
    """The award winners' rows, each with the judges' decision on it, if any, after the
    standard columns (DESIGN §7 "Export columns")."""
    round_ = _round(round_id)
    _kept_first(round_)
    _round_total(round_, progress)
    marks = override_marks(round_id)
    awarded = ([*row, marks.get(int(row[ATTEMPT_COLUMN]), "")]
               for row in progress.counted(current_rows(round_)) if row[AWARD_COLUMN])
    write_table_csv([*HEADER, OVERRIDE_HEADER], awarded, stream)


def attempts_file(stream: BinaryIO, progress: Progress, *, round_id: int) -> None:
    round_ = _round(round_id)
    _kept_first(round_)
    progress.set_total(db.session.scalar(select(func.count()).where(Attempt.round_id == round_id)))
    write_table_csv(ATTEMPTS_HEADER, progress.counted(attempts_log_rows(round_)), stream)


def standings_file(stream: BinaryIO, progress: Progress, *, contest_id: int) -> None:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise DomainError("Cuộc thi không còn tồn tại.")
    rounds = overall.counted_rounds(contest)
    for round_ in rounds:
        _kept_first(round_)
    if materialised.keep_totals(contest) is not None:
        db.session.commit()
    # No total: counting the standings costs as much as making them.
    header = overall.header(rounds)
    write_table_csv(header, progress.counted(overall.rows(contest)), stream)


def certificates_file(stream: BinaryIO, progress: Progress, *, round_id: int, base_url: str) -> None:
    """A locked round's award certificates as a ZIP (judging/certificates), issuing those not
    issued yet, committed a chunk at a time: their codes stand before anyone prints them."""
    round_ = _round(round_id)
    if locked_summary(round_.id) is None:
        raise certificates.NotLocked()
    progress.set_total(certificates.awards_to_zip(round_))
    certificates.write_zip(round_, stream, base_url, progress.counted, settle=db.session.commit)


def keep_rankings(_stream: BinaryIO, progress: Progress, *, round_ids: list[int],
                  contest_id: int | None = None) -> None:
    """Keep the rankings of these finished rounds (closing their expired attempts first), each
    committed as it is done, then the contest's totals for its standings. Writes no file."""
    progress.set_total(len(round_ids))
    for round_id in progress.counted(round_ids):
        _kept_first(_round(round_id))
    contest = db.session.get(Contest, contest_id if contest_id is not None else _round(round_ids[0]).contest_id)
    if contest is not None and materialised.keep_totals(contest) is not None:
        db.session.commit()


def provisional_standings(_stream: BinaryIO, _progress: Progress, *, contest_id: int) -> None:
    """Compute a contest's provisional standings while a round of it is open, unless they were
    computed less than ``PROVISIONAL_STANDINGS_SECONDS`` ago (judging/provisional.py). Writes no file."""
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise DomainError("Cuộc thi không còn tồn tại.")
    provisional.refresh(contest)
    db.session.commit()


def item_analysis(stream: BinaryIO, _progress: Progress, *, round_id: int) -> None:
    """A big round's item analysis (judging/items.py), kept as JSON for its page and its CSV."""
    _round(round_id)
    finalise_expired(round_id=round_id)
    db.session.commit()
    stream.write(items.to_json(items.analysis_now(round_id)))


FUNCTIONS: dict[str, Callable[..., None]] = {
    "judging.ranking": ranking_file, "judging.awards": awards_file, "judging.attempts": attempts_file,
    "judging.standings": standings_file, "judging.keep": keep_rankings, "judging.provisional": provisional_standings,
    "judging.certificates": certificates_file,
    "judging.items": item_analysis,
}


def init_app(app: Flask) -> None:
    for kind, function in FUNCTIONS.items():
        jobs.register(app, kind, function)


def _start(job_kind: str, scope: str, key: str, keep: bool, filename: str, mimetype: str, user_id: int | None,
           args: dict[str, object]) -> Job:
    try:
        return jobs.start(job_kind, args=args, scope=scope, key=key, keep=keep, filename=filename, mimetype=mimetype,
                          user_id=user_id)
    except jobs.Unavailable:
        raise QueueUnavailable() from None


def start_round_file(kind: str, round_: Round, filename: str, user_id: int | None, fmt: str = "csv", *,
                     eligibility: bool = False) -> Job:
    """The job for one of a round's files (``kind``: ranking, awards, attempts; ``fmt``: csv, or
    xlsx for the ranking, with the ``eligibility`` columns on request), kept once the round is locked."""
    result = locked_summary(round_.id)
    key = f"judging:round:{round_.id}:{kind}{'+eligibility' if eligibility else ''}.{fmt}"
    # The eligibility columns read people's profiles as they are now: never kept.
    keep = result is not None and not eligibility
    if keep:
        key += f":locked:{result.checksum}"
    args: dict[str, object] = {"round_id": round_.id}
    if kind == "ranking":
        args["kind"] = fmt
    if eligibility:
        args["eligibility"] = True
    return _start(f"judging.{kind}", round_scope(round_.id), key, keep, filename, MIMETYPES[fmt], user_id, args)


def start_certificates(round_: Round, filename: str, user_id: int | None, base_url: str) -> Job:
    """The job for a locked round's certificates as a ZIP, kept: its key carries the snapshot's
    checksum and everything else the certificates print (``certificates.edition``), so a new
    logo or a revoked certificate makes a new file rather than serving the kept one, and the
    files it supersedes go (each holds up to ``CERTIFICATES_ZIP_MAX`` PDFs of about 70 KB)."""
    result = locked_summary(round_.id)
    certificates.awards_to_zip(round_)
    prefix = f"judging:round:{round_.id}:certificates.zip:"
    key = f"{prefix}locked:{result.checksum}:{certificates.edition(round_, base_url)}"
    if jobs.discard_finished(prefix, but=key):
        db.session.commit()
    return _start("judging.certificates", round_scope(round_.id), key, True, filename, MIMETYPES["zip"], user_id,
                  {"round_id": round_.id, "base_url": base_url})


def start_standings_file(contest: Contest, filename: str, user_id: int | None) -> Job:
    """The job for a contest's overall standings, kept once every round they count is locked."""
    rounds = overall.counted_rounds(contest)
    checksums = dict(db.session.execute(select(RoundResult.round_id, RoundResult.checksum)
                                        .where(RoundResult.round_id.in_([r.id for r in rounds]))).tuples().all())
    keep = bool(rounds) and all(round_.id in checksums for round_ in rounds)
    key = f"judging:contest:{contest.id}:standings:csv"
    if keep:
        digest = hashlib.sha256(",".join(checksums[round_.id] for round_ in rounds).encode()).hexdigest()
        key += f":locked:{digest}"
    return _start("judging.standings", contest_scope(contest.id), key, keep, filename, MIMETYPES["csv"], user_id,
                  {"contest_id": contest.id})


def start_keeping(rounds: list[Round], user_id: int | None, contest: Contest | None = None) -> Job:
    """The job keeping these rounds' rankings: of one round (its ranking page, its lock), or of a
    contest's (its standings page, ``contest``). Joined while one is under way."""
    if contest is None:
        scope, key = round_scope(rounds[0].id), f"judging:keep:round:{rounds[0].id}"
    else:
        scope, key = contest_scope(contest.id), f"judging:keep:contest:{contest.id}"
    args: dict[str, object] = {"round_ids": [round_.id for round_ in rounds]}
    if contest is not None:
        args["contest_id"] = contest.id
    # No file: the job's output is the kept ranking itself.
    return _start("judging.keep", scope, key, False, "", "text/plain", user_id, args)


def start_provisional(contest: Contest, user_id: int | None) -> Job:
    """The job computing a contest's provisional standings; joined while one is under way."""
    return _start("judging.provisional", contest_scope(contest.id), f"judging:provisional:contest:{contest.id}", False,
                  "", "text/plain", user_id, {"contest_id": contest.id})


def start_item_analysis(round_: Round, user_id: int | None) -> Job:
    """The job analysing a big round's questions, named by its key corrections and counted
    attempts (``items.stamp``); joined while one is under way. A finished round's is kept while
    those stay as they are; an open round's goes after ``JOBS_KEEP_SECONDS`` like an unlocked
    round's files, so a week of judges' looks does not pile up analyses."""
    corrections, attempts = items.stamp(round_.id)
    key = items.job_key(round_.id, corrections, attempts)
    keep = round_finished(round_, clock.now())
    return _start("judging.items", round_scope(round_.id), key, keep, "", "application/json", user_id,
                  {"round_id": round_.id})

