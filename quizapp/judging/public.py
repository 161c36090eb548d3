"""What a locked round publishes, for everyone, without signing in: the winners with masked
phone numbers, the answer key, and participation by unit (DESIGN §3 rule 7: no full phone
number, no birth date, no ID number).

- ``GET /contests/<slug>/rounds/<number>/results``  the published results (404 before the lock)

The page is the judges' output, so it lives here, though its URL sits with the contest's other
public pages under ``/contests`` (its own blueprint, ``results``). The pieces are also the round
summary's (``summary.py``), which staff print for their department's report, locked or not yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from flask import Blueprint, abort, render_template
from sqlalchemy import and_, distinct, func, select

from quizapp.auth.models import User
from quizapp.banks.models import QuestionVersion
from quizapp.contests.keys import held_keys, key_notice
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round
from quizapp.extensions import db
from quizapp.judging.items import corrections_of
from quizapp.judging.models import AwardOverride, RoundResult, locked_result
from quizapp.phone import mask_phone
from quizapp.units.models import Unit

bp = Blueprint("results", __name__, url_prefix="/contests")

DEFAULT_WINNERS = 10
TOP_UNITS = 10


@dataclass
class Participation:
    """Counted over the valid attempts: submitted and not disqualified."""

    people: int
    attempts: int
    units_by_people: list[tuple[str, int]]
    units_by_attempts: list[tuple[str, int]]


@dataclass(frozen=True)
class KeyLine:
    """One question of a published answer key: its correct options, or, while a competitive
    round can still draw it (contests.keys), none and when they will appear."""

    text: str
    correct: list[str]
    held_until: datetime | None = None


@dataclass
class Published(Participation):
    winners: list[dict]
    answer_key: list[KeyLine]


@bp.get("/<slug>/rounds/<int:number>/results")
def public_results(slug: str, number: int):
    """A locked round's published results, for everyone; nothing before the lock."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    round_ = next((item for item in contest.rounds if item.number == number), None) if contest else None
    result = locked_result(round_.id) if round_ is not None else None
    if result is None:
        abort(404)
    return render_template("judging/public_results.html", contest=contest, round=round_, result=result,
                           published=published(round_, result), key_notice=key_notice)


def published(round_: Round, result: RoundResult) -> Published:
    figures = participation(round_.id)
    return Published(**vars(figures), winners=winners(round_, result.snapshot_rows()),
                     answer_key=answer_key(round_.id))


def winners(round_: Round, rows: Iterable[list[object]]) -> list[dict]:
    """From ranking rows (a locked snapshot's or the live ones), best first: the award winners
    when the round has tiers (read until every award is found), else the top of the ranking.
    Phones come masked."""
    if round_.awards:
        # A judge may have given an award beyond a tier's count: those winners are listed too.
        awarded = sum(int(tier.get("count", 0)) for tier in round_.awards) + db.session.scalar(
            select(func.count()).select_from(AwardOverride)
            .where(AwardOverride.round_id == round_.id, AwardOverride.award.is_not(None)))
        chosen = list(islice((row for row in rows if row[9]), awarded))
    else:
        chosen = list(islice(rows, DEFAULT_WINNERS))
    return [
        {"place": row[0], "name": row[1], "phone": mask_phone(row[2]), "unit": row[3], "correct": row[4],
         "seconds": row[7], "submitted": row[8], "award": row[9]}
        for row in chosen
    ]


def participation(round_id: int) -> Participation:
    submitted = (Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.disqualified.is_(False))
    people = db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(*submitted))
    attempts = db.session.scalar(select(func.count()).select_from(Attempt).where(*submitted))
    by_unit = (select(Unit.name, func.count(distinct(Attempt.user_id)).label("people"),
                      func.count(Attempt.id).label("attempts"))
               .join(User, User.id == Attempt.user_id).join(Unit, Unit.id == User.unit_id)
               .where(*submitted).group_by(Unit.id, Unit.name))
    units = db.session.execute(by_unit).all()
    return Participation(
        people=people, attempts=attempts,
        units_by_people=[(name, count) for name, count, _ in sorted(units, key=lambda u: (-u[1], u[0]))][:TOP_UNITS],
        units_by_attempts=[(name, count) for name, _, count in sorted(units, key=lambda u: (-u[2], u[0]))][:TOP_UNITS],
    )


def answer_key(round_id: int) -> list[KeyLine]:
    """Every question drawn in the round, as the round drew it (the latest revision its attempts
    hold, not the bank as it is now: DESIGN §3 rule 9), with the texts of its correct options,
    except the keys a competitive round of any contest can still ask (DESIGN §3 rule 2): next
    week's round usually draws the same bank."""
    drawn = (
        select(AttemptItem.question_id, func.max(AttemptItem.question_revision).label("revision"))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.round_id == round_id)
        .group_by(AttemptItem.question_id).subquery()
    )
    versions = db.session.scalars(
        select(QuestionVersion).join(drawn, and_(QuestionVersion.question_id == drawn.c.question_id,
                                                 QuestionVersion.revision == drawn.c.revision))
        .order_by(QuestionVersion.question_id)
    ).all()
    held = held_keys([version.question_id for version in versions])
    # A judge's correction of a key (judging/items.py) is the round's key, not the bank's.
    corrected = {question_id: set(correction.option_ids)
                 for question_id, correction in corrections_of(round_id).items()}
    return [
        KeyLine(version.text,
                [] if version.question_id in held else [
                    option["text"] for option in version.options
                    if (option["id"] in corrected[version.question_id] if version.question_id in corrected
                        else option["correct"])],
                held.get(version.question_id))
        for version in versions
    ]
