"""A contest's standings while one of its rounds is still taking attempts: provisional.

Once every round has finished the standings are exact and read by place from the kept totals
(judging/standings.py, judging/materialised.py). While a round is open its part has to be
ranked by its own rules now and added to 200,000 people's totals: 1-2 s for a page of a
500,000-attempt contest on the 2-core machine (bench/README.md), too slow for a judge's page.
Keeping the open round's per-person results as attempts come in would not fix it: a round's
counting attempt can depend on the prediction truth, which every new submit moves, and the
sum and sort of 200,000 totals alone took 0.4-0.6 s a page at load 4-6. So these standings are computed by a
background job, kept as a snapshot read by place, and shown as what they are: provisional, as
of the time they were computed.

- The standings are provisional while a counted round is not finished (past its close and
  grace) and has attempts (``live_rounds``); otherwise they are exact and no snapshot is read.
  A snapshot can never be shown as final: the round's close ends provisional standings.
- A snapshot is computed like the exact standings (attempts past their deadline closed first,
  DESIGN §3 rule 1; finished rounds from their kept rankings, the open ones ranked by their own
  rules), and says when (``computed_at``).
- It is shown only while its ``basis`` is the current one: the same kept totals of the finished
  rounds, the same rounds ranked live under the same rules, the same rounds. A judge's decision
  in a finished round, a change of rules or a round that closes: the next view computes it again.
- It is computed at most once in ``PROVISIONAL_STANDINGS_SECONDS``: a view of an older one starts
  the job (joined if one is under way) and shows the older one meanwhile; a judge's refresh before
  that is refused with the time of the current one.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, literal, select, text, update

from quizapp import clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.judging.materialised import counted_rounds, keep, keep_totals, kept_totals, rules_text, totals_rounds
from quizapp.judging.models import ProvisionalBuild, ProvisionalTotal, StandingBuild
from quizapp.judging.ranking import Rules
from quizapp.judging.standings import Standing, placed_totals, read_places

# The first key of PostgreSQL's advisory lock that lets one computation of a contest's
# provisional standings run at a time (judging/materialised.py uses 1313 for rankings).
LOCK_SPACE = 1314


def live_rounds(rounds: list[Round]) -> list[Round]:
    """The rounds among ``rounds`` that still take attempts and have some: while there is one,
    the standings are provisional."""
    now = clock.now()
    waiting = [round_.id for round_ in rounds if not round_finished(round_, now)]
    if not waiting:
        return []
    taken = set(db.session.scalars(select(Round.id).where(
        Round.id.in_(waiting), exists().where(Attempt.round_id == Round.id))))
    return [round_ for round_ in rounds if round_.id in taken]


def basis(build: StandingBuild | None, rounds: list[Round], live: list[Round]) -> str:
    """What a snapshot adds up: the kept totals ``build`` (their rankings' builds), each live
    round with its rules, the contest's counted rounds, and the order of its ``per_round``
    (judging/standings.py ``placed_totals``: the kept totals' rounds, then the others)."""
    summed = totals_rounds(build) if build is not None else []
    return json.dumps({"kept": build.rounds if build is not None else None,
                       "live": [[round_.id, rules_text(Rules.of(round_))] for round_ in live],
                       "rounds": [round_.id for round_ in rounds],
                       "order": [*summed, *(round_.id for round_ in rounds if round_.id not in summed)]})


def current(contest: Contest, rounds: list[Round], live: list[Round]) -> ProvisionalBuild | None:
    """The contest's snapshot, if it adds up what the standings add up now."""
    build = db.session.scalar(select(ProvisionalBuild).where(ProvisionalBuild.contest_id == contest.id)
                              .execution_options(populate_existing=True))
    if build is None or build.basis != basis(kept_totals(contest), rounds, live):
        return None
    return build


def due(build: ProvisionalBuild | None) -> bool:
    """Whether a snapshot may be computed again: none yet, or this one is at least
    ``PROVISIONAL_STANDINGS_SECONDS`` old."""
    return build is None or clock.now() - build.computed_at >= _interval()


def next_allowed(build: ProvisionalBuild) -> datetime:
    return build.computed_at + _interval()


def _interval() -> timedelta:
    return timedelta(seconds=float(current_app.config["PROVISIONAL_STANDINGS_SECONDS"]))


def refresh(contest: Contest) -> ProvisionalBuild | None:
    """Compute the contest's snapshot if it is due (none by the current basis, or an old one);
    the current one otherwise; None when the standings are not provisional. Finished rounds'
    rankings and totals are kept first (committed), as the exact standings read them. Never
    commits the snapshot: the caller (the job, or a judge's request) does."""
    rounds = counted_rounds(contest)
    for round_ in rounds:
        finalise_expired(round_id=round_.id)
        keep(round_)
    keep_totals(contest)
    db.session.commit()
    live = live_rounds(rounds)
    if not live:
        return None
    _lock(contest.id)
    build = current(contest, rounds, live)  # another job may have computed it while this one waited
    if not due(build):
        return build
    computed_at = clock.now()
    totals_build, totals = placed_totals(contest, rounds)
    forget([contest.id])
    build = ProvisionalBuild(contest_id=contest.id, basis=basis(totals_build, rounds, live), rows=0,
                             computed_at=computed_at)
    db.session.add(build)
    db.session.flush()
    snapshot = totals.subquery()
    db.session.execute(insert(ProvisionalTotal).from_select(
        ["contest_id", "place", "user_id", "correct", "duration_ms", "taken", "per_round"],
        select(literal(contest.id), snapshot.c.place, snapshot.c.user_id, snapshot.c.correct, snapshot.c.duration,
               snapshot.c.taken, snapshot.c.per_round)))
    build.rows = db.session.scalar(select(func.count()).where(ProvisionalTotal.contest_id == contest.id))
    db.session.flush()
    return build


def page(build: ProvisionalBuild, rounds: list[Round], limit: int, offset: int = 0) -> tuple[list[Standing], int]:
    """One page of a snapshot and how many people it lists."""
    order = json.loads(build.basis)["order"]
    return [standing for standing, _rows in read_places(ProvisionalTotal, build.contest_id, order, build.rows,
                                                        rounds, limit, offset)], build.rows


def forget(contest_ids: list[int]) -> None:
    """Delete the snapshots of these contests (a new one, or a person's data erased)."""
    for model in (ProvisionalTotal, ProvisionalBuild):
        db.session.execute(delete(model).where(model.contest_id.in_(contest_ids))
                           .execution_options(synchronize_session=False))
    for (cls, key, *_token), build in list(db.session.identity_map.items()):
        if cls is ProvisionalBuild and key[0] in contest_ids:
            db.session.expunge(build)


def _lock(contest_id: int) -> None:
    """One computation of a contest's snapshot at a time, until the transaction ends: PostgreSQL's
    advisory lock; on SQLite its one writer, taken now by a write that changes nothing, so the
    second computation waits and then finds the first's snapshot."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :contest)"),
                           {"space": LOCK_SPACE, "contest": contest_id})
    else:
        db.session.execute(update(ProvisionalBuild).where(ProvisionalBuild.contest_id == contest_id)
                           .values(rows=ProvisionalBuild.rows).execution_options(synchronize_session=False))
