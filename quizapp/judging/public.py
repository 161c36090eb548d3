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
public, so what it computes from the round (participation, the winners, the drawn questions)
is kept per worker for a few minutes (``published``); whether a key may be shown is decided
on every view, so rule 2 holds to the minute.

The page is the judges' output, so it lives here, though its URL sits with the contest's other
public pages under ``/contests`` (its own blueprint, ``results``). The pieces are also the round
summary's (``summary.py``), which staff print for their department's report, locked or not yet.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import defer

from quizapp import clock
from quizapp.banks.models import QuestionVersion
from quizapp.contests.keys import held_keys, key_notice
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round
from quizapp.extensions import db
from quizapp.formatting import duration_text
from quizapp.judging.awards import ATTEMPT_COLUMN, AWARD_COLUMN
from quizapp.judging.collective import unit_standings
from quizapp.judging.items import corrections_of
from quizapp.judging.models import AwardOverride, RoundResult
from quizapp.judging.ranking import Rules, prediction_truth
from quizapp.phone import mask_phone

bp = Blueprint("results", __name__, url_prefix="/contests")

DEFAULT_WINNERS = 10
TOP_UNITS = 10
# How long a worker keeps what it computed for a round's public page, and for how many rounds.
PUBLISHED_SECONDS = 300
PUBLISHED_ROUNDS = 16


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
    # The snapshot itself (tens of megabytes for a national round) is read only to compute the page.
    result = db.session.scalar(select(RoundResult).options(defer(RoundResult.canonical_csv))
                               .where(RoundResult.round_id == round_.id)) if round_ is not None else None
    if result is None:
        abort(404)
    page = render_template("judging/public_results.html", contest=contest, round=round_, result=result,
                           published=published(round_, result), key_notice=key_notice, local_time=clock.local_time,
                           duration_text=duration_text)
    # The phone may keep it a minute (a locked round's results change only by erasure); shared
    # caches may not: the header names whoever is signed in.
    return page, {"Cache-Control": f"private, max-age={PUBLISHED_SECONDS // 5}"}


def published(round_: Round, result: RoundResult) -> Published:
    """The page's figures, kept by this worker for ``PUBLISHED_SECONDS`` per round and version
    of the snapshot (erasure rewrites it: its size changes, and the page follows at once). The
    answer key's gate (contests.keys) is asked on every call."""
    cache: dict = current_app.extensions.setdefault("quizapp.published", {})
    version = (round_.id, result.id, db.session.scalar(
        select(func.length(RoundResult.canonical_csv)).where(RoundResult.id == result.id)))
    kept = cache.get(version)
    if kept is None or time.monotonic() - kept[0] > PUBLISHED_SECONDS:
        if len(cache) >= PUBLISHED_ROUNDS:
            cache.clear()
        kept = (time.monotonic(), _computed(round_, result))
        cache[version] = kept
    figures = kept[1]
    return replace(figures, answer_key=gated(figures.answer_key))


def _computed(round_: Round, result: RoundResult) -> Published:
    figures = participation(round_.id)
    return Published(**vars(figures), all_correct=all_correct(round_),
                     winners=winners(round_, result.snapshot_rows()), answer_key=drawn_key(round_.id))


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
        {"place": row[0], "name": row[1], "phone": mask_phone(row[2]), "unit": row[3], "correct": row[4],
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
