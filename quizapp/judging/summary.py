"""``/judging/rounds/<id>/summary``: a round's results report (BÁO CÁO kết quả), laid out as
a Vietnamese administrative document to be signed and stamped (contests/documents.py): the
organising body and the national heading, the place and date, the facts of the round, the
participation figures, the winners, the judges' award decisions with their reasons, the lock's
checksum, the signature blocks of the contest's signers, and the answer key as an annex.

It is printed and circulated, so it shows what the public results page shows (masked phones,
no birth date, no ID number; DESIGN §3 rule 7), for staff of the contest, before the lock too:
then with the live ranking's awards and a warning that they may still change. While the round
is still taking answers it lists no winners and no answer key, and once it is over it still
holds back the keys a competitive round can draw (contests.keys), as the public page does.
Times are in the contest's zone to the second, durations in words ("17 phút 53 giây").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import render_template
from flask_login import current_user
from sqlalchemy import case, func, select

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.auth.models import User
from quizapp.contests import access
from quizapp.contests.documents import Letterhead, letterhead
from quizapp.contests.keys import key_notice
from quizapp.contests.models import ROUND_STATES, Attempt, Round
from quizapp.extensions import db
from quizapp.formatting import duration_text
from quizapp.judging.awards import ATTEMPT_COLUMN, override_marks
from quizapp.judging.locking import current_rows
from quizapp.judging.models import AwardOverride, RoundResult, locked_result
from quizapp.judging.public import KeyLine, Participation, answer_key, participation, winners
from quizapp.judging.ranking import Rules, prediction_truth
from quizapp.judging.routes import bp
from quizapp.judging.rows import local_moment
from quizapp.phone import mask_phone
from quizapp.roles import role_required
from quizapp.units.models import Unit


@dataclass
class RoundSummary:
    now: datetime
    result: RoundResult | None
    figures: Participation
    started: int
    submitted: int  # disqualified ones included
    all_correct: int
    answer_key: list[KeyLine] | None  # None while the round takes answers
    winners: list[dict] | None  # None while the round takes answers
    decisions: list[Decision] | None  # None while the round takes answers
    letterhead: Letterhead
    dated: str  # "Nam Định, ngày 07 tháng 12 năm 2026": the day it is printed, in the contest's zone


@dataclass(frozen=True)
class Decision:
    """A judge's award decision as the report lists it: who, what, why (the phone masked)."""

    name: str
    phone: str
    unit: str | None
    award: str | None  # None: the award was withdrawn
    reason: str


@bp.get("/rounds/<int:round_id>/summary")
@role_required("organiser", "judge")
def round_summary(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    finalise_expired(round_id=round_id)
    audit.personal_data_viewed("judging.summary", "round", round_id)
    db.session.commit()
    return render_template("judging/summary.html", summary=summarise(round_), round=round_, contest=round_.contest,
                           local_time=clock.local_time, states=ROUND_STATES, key_notice=key_notice,
                           may_edit_contest=access.may(current_user, round_.contest, "organiser"))


def summarise(round_: Round) -> RoundSummary:
    """The figures of the round's report; expired attempts must be finalised first."""
    now = clock.now()
    finished = round_finished(round_, now)
    started, submitted = db.session.execute(
        select(func.count(), func.count(case((Attempt.status == "submitted", 1))))
        .where(Attempt.round_id == round_.id)
    ).one()
    all_correct = prediction_truth(round_.id, Rules((), round_.counting_attempt, "participants_all_correct"))
    listed = decisions = None
    if finished:
        # The live ranking streams from the database: close it once the winners are read.
        attempts: dict[str, int] = {}
        with closing(current_rows(round_)) as rows:
            listed = in_award_order(round_, winners(round_, _noting_attempts(rows, attempts)))
        decided = override_marks(round_.id)
        listed = [for_people(winner, attempts.get(str(winner["place"])) in decided) for winner in listed]
        decisions = award_decisions(round_)
    heading = letterhead(round_.contest)
    return RoundSummary(
        now=now, result=locked_result(round_.id),
        figures=participation(round_.id), started=started, submitted=submitted, all_correct=all_correct,
        answer_key=answer_key(round_.id) if finished else None, winners=listed, decisions=decisions,
        letterhead=heading, dated=heading.place_and_date(now.astimezone(ZoneInfo(round_.contest.timezone)).date()),
    )


def _noting_attempts(rows: Iterator[list[object]], attempts: dict[str, int]) -> Iterator[list[object]]:
    """The rows, each one's attempt id noted by its place as it goes by (the winners' list
    keeps the place, not the attempt)."""
    for row in rows:
        attempts[str(row[0])] = int(row[ATTEMPT_COLUMN])
        yield row


def for_people(winner: dict, decided: bool = False) -> dict:
    """A winner's row with its duration in words and its time to the second, as printed, and
    whether a judge's decision gave the award (``decided``)."""
    seconds = float(winner["seconds"]) if winner["seconds"] not in (None, "") else None
    moment = local_moment(str(winner["submitted"]))
    return {**winner, "decided": decided,
            "duration": duration_text(round(seconds * 1000)) if seconds is not None else "",
            "submitted": f"{moment:%H:%M:%S %d/%m/%Y}" if isinstance(moment, datetime) else moment}


def award_decisions(round_: Round) -> list[Decision]:
    """The judges' award decisions on the round, in the order they were made."""
    found = db.session.execute(
        select(User.full_name, User.phone, Unit.name, AwardOverride.award, AwardOverride.reason)
        .join(User, User.id == AwardOverride.user_id).outerjoin(Unit, Unit.id == User.unit_id)
        .where(AwardOverride.round_id == round_.id).order_by(AwardOverride.id)
    ).all()
    return [Decision(name, mask_phone(phone) if phone else "", unit, award, reason)
            for name, phone, unit, award, reason in found]


def in_award_order(round_: Round, listed: list[dict]) -> list[dict]:
    """Winners by tier as the round lists them, each tier in ranking order (a judge may have
    given a higher award further down the ranking)."""
    tiers = {tier["name"]: index for index, tier in enumerate(round_.awards)}
    return sorted(listed, key=lambda winner: (tiers.get(winner["award"], len(tiers)), int(winner["place"])))
