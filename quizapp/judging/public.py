"""What a locked round publishes, for everyone, without signing in: what a Vietnamese results
announcement holds. The winners with their unit and masked phone number (an award a judge
decided by override carries a neutral mark, no reason), how many took part and how many
answered every question correctly, the units with most participants and most attempts, and
the answer key where DESIGN §3 rule 2 allows it (contests.keys). No full phone number, no birth
date, no ID number (rule 7).

- ``GET /contests/<slug>/rounds/<number>/results``  the published results (404 before the lock)

What a department publishes is the winners, not the whole ranking: a national round ranks
160,000 people, and a non-winner's place is their own business (each taker sees theirs on
"Kết quả của tôi", attempts/results.py); the judges publish the full list, if they choose, as
the ranking CSV with its checksum. So the page is bounded whatever the round's size. It is
public, and nobody may make the server work hard for free (DESIGN §3 rule 11): its figures
(participation, the all-correct count, the top units, the drawn questions, the winners) cannot
change after the lock, so they are computed once, at the lock (judging/locking.py), or on the
first view of a round locked before they were kept, and stored on the locked result
(``RoundResult.public_figures``): a view reads that one row. Erasure rewrites the winners it
names with the snapshot (``locking.redact_snapshot``). Whether a key may be shown is decided on
every view, so rule 2 holds to the minute.

The page is the judges' output, so it lives here, though its URL sits with the contest's other
public pages under ``/contests`` (its own blueprint, ``results``). The pieces are also the round
summary's (``summary.py``), which staff print for their department's report, locked or not yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice

from flask import Blueprint, abort, render_template
from sqlalchemy import and_, distinct, func, select

from quizapp import clock
from quizapp.banks.models import QuestionVersion
from quizapp.contests.keys import held_keys, key_notice
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round
from quizapp.extensions import db
from quizapp.formatting import duration_text
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN
from quizapp.judging.collective import unit_standings
from quizapp.judging.items import corrections_of
from quizapp.judging.models import AwardOverride, RoundResult, locked_summary
from quizapp.judging.ranking import Rules, prediction_truth
from quizapp.phone import mask_phone

bp = Blueprint("results", __name__, url_prefix="/contests")

DEFAULT_WINNERS = 10
TOP_UNITS = 10
# How long a phone may keep the page (a locked round's results change only by erasure).
PUBLISHED_SECONDS = 60


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
    question_id: int | None = None


@dataclass
class Published(Participation):
    all_correct: int  # people whose counting attempt is all correct
    winners: list[dict]
    answer_key: list[KeyLine]

    @property
    def overridden(self) -> bool:
        return any(winner.get("overridden") for winner in self.winners)


@bp.get("/<slug>/rounds/<int:number>/results")
def public_results(slug: str, number: int):
    """A locked round's published results, for everyone; nothing before the lock."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    round_ = next((item for item in contest.rounds if item.number == number), None) if contest else None
    # The snapshot (tens of megabytes for a national round) and its digests are not read: the
    # page's figures are kept with the result.
    result = locked_summary(round_.id) if round_ is not None else None
    if result is None:
        abort(404)
    if result.public_figures is None:
        result = keep_figures(round_, result)
        db.session.commit()
    page = render_template("judging/public_results.html", contest=contest, round=round_, result=result,
                           published=published(result), key_notice=key_notice, local_time=clock.local_time,
                           duration_text=duration_text)
    # The phone may keep it a minute; shared caches may not: the header names whoever is signed in.
    return page, {"Cache-Control": f"private, max-age={PUBLISHED_SECONDS}"}


def keep_figures(round_: Round, result: RoundResult) -> RoundResult:
    """Compute and store the figures of a round locked before they were kept at the lock, once:
    the result's row is locked first, so an erasure either finishes before (and the figures are
    computed from the redacted snapshot) or waits and then rewrites them. Returns the result as
    read under the lock; never commits."""
    result = db.session.scalar(select(RoundResult).where(RoundResult.id == result.id)
                               .with_for_update().execution_options(populate_existing=True))
    if result.public_figures is None:
        result.public_figures = figures(round_, result)
        db.session.flush()
    return result


def figures(round_: Round, result: RoundResult) -> dict:
    """What the public page shows of a locked round, as stored in ``RoundResult.public_figures``
    (JSON): the key lines before the gate of rule 2, which ``published`` applies per view."""
    counted = participation(round_.id)
    return {
        "people": counted.people, "attempts": counted.attempts,
        "units_by_people": [list(unit) for unit in counted.units_by_people],
        "units_by_attempts": [list(unit) for unit in counted.units_by_attempts],
        "all_correct": all_correct(round_),
        "winners": winners(round_, result.snapshot_rows()),
        "answer_key": [{"text": line.text, "correct": line.correct, "question_id": line.question_id}
                       for line in drawn_key(round_.id)],
    }


def published(result: RoundResult) -> Published:
    """The page's figures as stored with the locked result, the answer key gated as of now
    (contests.keys)."""
    stored = result.public_figures
    return Published(
        people=stored["people"], attempts=stored["attempts"],
        units_by_people=[(name, count) for name, count in stored["units_by_people"]],
        units_by_attempts=[(name, count) for name, count in stored["units_by_attempts"]],
        all_correct=stored["all_correct"], winners=stored["winners"],
        answer_key=gated([KeyLine(line["text"], line["correct"], question_id=line["question_id"])
                          for line in stored["answer_key"]]))


def all_correct(round_: Round) -> int:
    """People whose counting attempt has every answer right, as the prediction truth
    ``participants_all_correct`` counts them."""
    return prediction_truth(round_.id, Rules((), round_.counting_attempt, "participants_all_correct"))


def winners(round_: Round, rows: Iterable[list[object]]) -> list[dict]:
    """From ranking rows (a locked snapshot's or the live ones), best first: the award winners
    when the round has tiers (read until every award is found), else the top of the ranking.
    Phones come masked; ``overridden`` marks an award a judge decided by override."""
    overrides = db.session.execute(
        select(AwardOverride.user_id, AwardOverride.award).where(AwardOverride.round_id == round_.id)).all()
    if round_.awards:
        # A judge may have given an award beyond a tier's count: those winners are listed too.
        awarded = sum(int(tier.get("count", 0)) for tier in round_.awards) + sum(
            1 for _user, award in overrides if award is not None)
        chosen = list(islice((row for row in rows if row[AWARD_COLUMN]), awarded))
    else:
        chosen = list(islice(rows, DEFAULT_WINNERS))
    given = {user_id for user_id, award in overrides if award is not None}
    attempt_ids = [int(row[ATTEMPT_COLUMN]) for row in chosen if str(row[ATTEMPT_COLUMN]).isdigit()]
    overridden = set(db.session.scalars(select(Attempt.id).where(
        Attempt.id.in_(attempt_ids), Attempt.user_id.in_(given)))) if given and attempt_ids else set()
    return [
        {"attempt": row[ATTEMPT_COLUMN], "place": row[0], "name": row[1], "phone": mask_phone(row[2]),
         "unit": row[3], "correct": row[4],
         "seconds": row[7], "submitted": row[8], "award": row[AWARD_COLUMN],
         "overridden": bool(row[AWARD_COLUMN]) and str(row[ATTEMPT_COLUMN]).isdigit()
         and int(row[ATTEMPT_COLUMN]) in overridden}
        for row in chosen
    ]


def participation(round_id: int) -> Participation:
    """People and valid attempts (submitted, not disqualified), and the units with most of
    each, ranked as the collective prizes rank them (judging/collective.py)."""
    submitted = (Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.disqualified.is_(False))
    people, attempts = db.session.execute(
        select(func.count(distinct(Attempt.user_id)), func.count()).where(*submitted)).one()
    return Participation(
        people=people, attempts=attempts,
        units_by_people=[(unit.name, unit.participants)
                         for unit in unit_standings(round_id, "participants")[:TOP_UNITS]],
        units_by_attempts=[(unit.name, unit.attempts) for unit in unit_standings(round_id, "attempts")[:TOP_UNITS]],
    )


def answer_key(round_id: int) -> list[KeyLine]:
    """Every question drawn in the round with the texts of its correct options, except the
    keys a competitive round of any contest can still ask (DESIGN §3 rule 2): next week's
    round usually draws the same bank."""
    return gated(drawn_key(round_id))


def drawn_key(round_id: int) -> list[KeyLine]:
    """Every question drawn in the round, as the round drew it (the latest revision its attempts
    hold, not the bank as it is now: DESIGN §3 rule 9), with the texts of its correct options,
    before the gate of rule 2 (``gated``): never shown as it is."""
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
    # A judge's correction of a key (judging/items.py) is the round's key, not the bank's.
    corrected = {question_id: set(correction.option_ids)
                 for question_id, correction in corrections_of(round_id).items()}
    return [KeyLine(version.text,
                    [option["text"] for option in version.options
                     if (option["id"] in corrected[version.question_id] if version.question_id in corrected
                         else option["correct"])],
                    question_id=version.question_id)
            for version in versions]


def gated(lines: list[KeyLine]) -> list[KeyLine]:
    """The key lines as they may be shown now: a question a competitive round can still draw
    loses its correct options and says when they will appear (contests.keys, asked here)."""
    held = held_keys([line.question_id for line in lines])
    return [replace(line, correct=[], held_until=held[line.question_id]) if line.question_id in held else line
            for line in lines]
