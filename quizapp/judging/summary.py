"""``/judging/rounds/<id>/summary``: one printable page per round for the organisers' report
to their department: the answer key, participation figures and the winners.

It is printed and circulated, so it shows what the public results page shows (masked phones,
no birth date, no ID number; DESIGN §3 rule 7), for staff of the contest, before the lock too:
then with the live ranking's awards and a warning that they may still change. While the round
is still taking answers it lists no winners and no answer key, and once it is over it still
holds back the keys a competitive round can draw (contests.keys), as the public page does.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import case, func, select

from quizapp import audit, clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests import access
from quizapp.contests.keys import key_notice
from quizapp.contests.models import ROUND_STATES, Attempt, Round
from quizapp.extensions import db
from quizapp.judging.locking import current_rows
from quizapp.judging.models import RoundResult, locked_result
from quizapp.judging.public import KeyLine, Participation, answer_key, participation, winners
from quizapp.judging.ranking import Rules, prediction_truth
from quizapp.judging.routes import bp
from quizapp.roles import role_required


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


@bp.get("/rounds/<int:round_id>/summary")
@role_required("organiser", "judge")
def round_summary(round_id: int):
    round_ = access.round_or_abort(round_id, "organiser", "judge")
    finalise_expired(round_id=round_id)
    audit.personal_data_viewed("judging.summary", "round", round_id)
    db.session.commit()
    return render_template("judging/summary.html", summary=summarise(round_), round=round_, contest=round_.contest,
                           local_time=clock.local_time, states=ROUND_STATES, key_notice=key_notice)


def summarise(round_: Round) -> RoundSummary:
    """The figures of the round's report; expired attempts must be finalised first."""
    now = clock.now()
    finished = round_finished(round_, now)
    started, submitted = db.session.execute(
        select(func.count(), func.count(case((Attempt.status == "submitted", 1))))
        .where(Attempt.round_id == round_.id)
    ).one()
    all_correct = prediction_truth(round_.id, Rules((), round_.counting_attempt, "participants_all_correct"))
    listed = None
    if finished:
        # The live ranking streams from the database: close it once the winners are read.
        with closing(current_rows(round_)) as rows:
            listed = in_award_order(round_, winners(round_, rows))
    return RoundSummary(
        now=now, result=locked_result(round_.id),
        figures=participation(round_.id), started=started, submitted=submitted, all_correct=all_correct,
        answer_key=answer_key(round_.id) if finished else None, winners=listed,
    )


def in_award_order(round_: Round, listed: list[dict]) -> list[dict]:
    """Winners by tier as the round lists them, each tier in ranking order (a judge may have
    given a higher award further down the ranking)."""
    tiers = {tier["name"]: index for index, tier in enumerate(round_.awards)}
    return sorted(listed, key=lambda winner: (tiers.get(winner["award"], len(tiers)), int(winner["place"])))
