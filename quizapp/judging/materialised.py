"""Rankings of finished rounds, computed once and kept, so a judge's page reads one page of them.

Ranking a national round in SQL (judging/ranking.py: 450,000 attempts keyed, sorted within
each person and then overall) takes seconds, and every page of the judges' ranking, every
download and the contest's standings used to do it again. Once a round is finished (past its
close and grace, ``round_finished``) its attempts change only when a judge decides a flag or an
expired attempt is closed, so its ranking is kept (``keep``): one row per place in
``ranked_attempts``, read by primary key, whatever the page's depth.

A kept ranking is never stale:

- any change to an attempt of the round deletes it in the same transaction (``forget``, hooked
  on every ORM flush and every ORM UPDATE or DELETE of attempts: a judge's decision, closing an
  expired attempt, a re-score);
- it holds the rules it was ranked by, and a round whose rules have changed since is ranked
  again;
- on PostgreSQL, building and forgetting hold the same transaction lock on the round, so a
  decision committed while a ranking is being built deletes that build rather than missing it
  (on SQLite, writers take turns anyway).

Awards are not kept: profiles and judges' overrides change them, and they are handed out from
the top of the kept ranking as pages are read (judging/rows.py). Locked rounds show their
snapshot (judging/locking.py), as before.

A contest's standings (judging/standings.py) add up each person's counting attempts over its
rounds. The rounds with a kept ranking are added up once too (``keep_totals``): one row per
person in ``standing_totals``, at their place among them, so standings whose rounds are all
finished are read by place, and standings with a round still open add up that round's ranking
and one row per person, not every round's. They are forgotten with any of those rankings, and
name the rankings they added up (``rounds``: id and build time), so they are used only while
exactly those rankings are the ones kept.
"""

from __future__ import annotations

import json
import weakref
from datetime import datetime

from flask import current_app
from sqlalchemy import String, case, cast, delete, event, func, insert, literal, null, select, text
from sqlalchemy.orm import ORMExecuteState, Session

from quizapp import clock
from quizapp.attempts.services import finalise_expired, round_finished
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.judging.models import RankedAttempt, RankingBuild, RoundResult, StandingBuild, StandingTotal
from quizapp.judging.ranking import Rules, prediction_truth, ranking_query

# The first key of PostgreSQL's two-key advisory locks that guard building and forgetting.
LOCK_SPACE = 1313

COLUMNS = ("place", "attempt_id", "user_id", "correct_count", "prediction", "error", "duration_ms", "submitted_at",
           "attempts_used", "number")


def rules_text(rules: Rules) -> str:
    return json.dumps([list(rules.tie_breakers), rules.counting, rules.truth, rules.locked])


def kept(round_: Round) -> RankingBuild | None:
    """The round's kept ranking, if it has one by its current rules."""
    build = db.session.scalar(select(RankingBuild).where(RankingBuild.round_id == round_.id)
                              .execution_options(populate_existing=True))
    return build if build is not None and build.rules == rules_text(Rules.of(round_)) else None


def keep(round_: Round) -> RankingBuild | None:
    """The round's kept ranking, built now if the round is finished and has none; None while
    attempts can still come in. Never commits: the caller's request does."""
    build = kept(round_)
    if build is not None or not round_finished(round_, clock.now()):
        return build
    _lock(round_.id)
    build = kept(round_)  # another request may have built it while this one waited
    if build is not None:
        return build
    finalise_expired(round_id=round_.id)
    _delete_builds([round_.id])
    db.session.info.pop("materialised_quiet", None)  # the round has a ranking now: changes must forget it
    rules = Rules.of(round_)
    ranked = ranking_query(round_.id, rules, prediction_truth(round_.id, rules)).order_by(None).subquery()
    build = RankingBuild(round_id=round_.id, rules=rules_text(rules), rows=0)
    db.session.add(build)
    db.session.flush()
    db.session.execute(insert(RankedAttempt).from_select(
        ["round_id", *COLUMNS], select(literal(round_.id), *(ranked.c[name] for name in COLUMNS))))
    build.rows = db.session.scalar(select(func.count()).where(RankedAttempt.round_id == round_.id))
    db.session.flush()
    return build


def quick_to_rank(*rounds: Round) -> bool:
    """Whether ranking these rounds is quick enough for a web request (keeping a round's ranking,
    computing provisional standings): at most ``RANKING_INLINE_MAX_ATTEMPTS`` attempts in them
    (counted no further than that)."""
    limit = int(current_app.config["RANKING_INLINE_MAX_ATTEMPTS"])
    sample = (select(Attempt.id).where(Attempt.round_id.in_([round_.id for round_ in rounds])).limit(limit + 1)
              .subquery())
    return db.session.scalar(select(func.count()).select_from(sample)) <= limit


def unkept_finished_rounds() -> list[Round]:
    """The rounds that have finished (past their close and grace), are not locked and have no
    kept ranking by their current rules, the first to close first."""
    finished_before = clock.now() - clock.grace()
    candidates = db.session.scalars(
        select(Round).outerjoin(RoundResult, RoundResult.round_id == Round.id)
        .where(Round.closes_at < finished_before, RoundResult.round_id.is_(None)).order_by(Round.closes_at)).all()
    return [round_ for round_ in candidates if kept(round_) is None]


def keep_finished_rounds() -> list[int]:
    """Keep the ranking of every round that has finished (past its close and grace), is not
    locked and has no kept ranking by its current rules; commit after each. Return their ids.

    For a periodic task (the background jobs of quizapp/jobs/ may run it every few minutes, or
    cron ``flask rankings keep``): the first judge to open a national round's ranking then
    reads pages, not a ranking computed while they wait. Rounds the judges open first are kept
    by that view anyway (judging/routes.py ``ranking_page``), by an export and by the lock.
    """
    done = []
    for round_ in unkept_finished_rounds():
        if keep(round_) is not None:
            done.append(round_.id)
        db.session.commit()
    # And the standings of the contests of those rounds, added up once more.
    for contest_id in sorted({db.session.get(Round, round_id).contest_id for round_id in done}):
        keep_totals(db.session.get(Contest, contest_id))
        db.session.commit()
    return done


# --- the standings' totals over the kept rankings ---------------------------------------------


def counted_rounds(contest: Contest) -> list[Round]:
    """The rounds the standings add up: every timed round (practice rounds never count)."""
    return [round_ for round_ in contest.rounds if not round_.practice]


def _kept_rankings(contest: Contest) -> list[tuple[Round, RankingBuild]]:
    return [(round_, build) for round_ in counted_rounds(contest) if (build := kept(round_)) is not None]


def _signature(pairs: list[tuple[Round, RankingBuild]]) -> str:
    return ",".join(f"{round_.id}@{build.built_at.isoformat()}" for round_, build in pairs)


def totals_rounds(build: StandingBuild) -> list[int]:
    """The ids of the rounds a kept build of totals adds up, in the order of its ``per_round``."""
    return [int(part.split("@", 1)[0]) for part in build.rounds.split(",")]


def kept_totals(contest: Contest) -> StandingBuild | None:
    """The contest's kept totals, if they add up exactly the rankings kept now (one or more)."""
    pairs = _kept_rankings(contest)
    if not pairs:
        return None
    build = db.session.scalar(select(StandingBuild).where(StandingBuild.contest_id == contest.id)
                              .execution_options(populate_existing=True))
    return build if build is not None and build.rounds == _signature(pairs) else None


def keep_totals(contest: Contest) -> StandingBuild | None:
    """Add up the contest's kept rankings per person, if they are not already (one
    ``INSERT … SELECT``); None when no round of it has a kept ranking. Never commits."""
    pairs = _kept_rankings(contest)
    if not pairs:
        return None
    signature = _signature(pairs)
    build = db.session.scalar(select(StandingBuild).where(StandingBuild.contest_id == contest.id)
                              .execution_options(populate_existing=True))
    if build is not None and build.rounds == signature:
        return build
    _delete_totals([contest.id])
    ranked = RankedAttempt.__table__
    per_round = None
    for round_, _build in pairs:
        value = func.coalesce(cast(func.max(case((ranked.c.round_id == round_.id, ranked.c.correct_count))), String),
                              "")
        per_round = value if per_round is None else per_round + "," + value
    totals = (
        select(ranked.c.user_id, func.coalesce(func.sum(ranked.c.correct_count), 0).label("correct"),
               func.sum(ranked.c.duration_ms).label("duration"), func.count().label("taken"),
               per_round.label("per_round"))
        .where(ranked.c.round_id.in_([round_.id for round_, _build in pairs]))
        .group_by(ranked.c.user_id)
        .subquery()
    )
    place = func.row_number().over(order_by=standings_order(totals.c))
    build = StandingBuild(contest_id=contest.id, rounds=signature, rows=0)
    db.session.add(build)
    db.session.flush()
    db.session.execute(insert(StandingTotal).from_select(
        ["contest_id", "place", "user_id", "correct", "duration_ms", "taken", "per_round"],
        select(literal(contest.id), place, totals.c.user_id, totals.c.correct, totals.c.duration, totals.c.taken,
               totals.c.per_round)))
    build.rows = db.session.scalar(select(func.count()).where(StandingTotal.contest_id == contest.id))
    db.session.flush()
    return build


def standings_order(columns) -> list:
    """The standings' order: most correct answers, least time, most rounds taken, then the
    person's id, so that the order is the same every time."""
    return [columns.correct.desc(), columns.duration.asc(), columns.taken.desc(), columns.user_id.asc()]


def ranking_source(round_: Round):
    """The round's ranked rows as a subquery with ``COLUMNS``: the kept ranking when there is
    one, else the ranking computed from the attempts now."""
    if kept(round_) is not None:
        table = RankedAttempt.__table__
        return select(*(table.c[name] for name in COLUMNS)).where(table.c.round_id == round_.id).subquery()
    rules = Rules.of(round_)
    return ranking_query(round_.id, rules, prediction_truth(round_.id, rules)).order_by(None).subquery()


# What ``round_states`` read for the flush under way: the lock check (judging/locking.py) and
# ``forget`` both run before the same flush and ask about the same rounds.
_STATES = "materialised_round_states"


def round_states(session: Session, round_ids: set[int] | None,
                 flush=None) -> dict[int, tuple[datetime, bool, bool | None]]:
    """Each round's ``(closes_at, has a kept ranking, is locked)`` (``None``: every round), in
    one statement. Before a flush (``flush``: its context, as before_flush listeners get it) a
    round already read for it is not read again; outside one (an ORM UPDATE or DELETE, which
    the lock check does not see), whether it is locked is not asked (None)."""
    cached, known = session.info.get(_STATES, (None, {}))
    if flush is None or cached is None or cached() is not flush:
        known = {}
        if flush is not None:
            # A weak reference: the flush's context is let go once the flush is over.
            session.info[_STATES] = (weakref.ref(flush), known)
    wanted = None if round_ids is None else round_ids - known.keys()
    if wanted is None or wanted:
        locked = RoundResult.id if flush is not None else null()
        statement = select(Round.id, Round.closes_at, RankingBuild.round_id, locked).outerjoin(
            RankingBuild, RankingBuild.round_id == Round.id)
        if flush is not None:
            statement = statement.outerjoin(RoundResult, RoundResult.round_id == Round.id)
        if wanted is not None:
            statement = statement.where(Round.id.in_(wanted))
        with session.no_autoflush:
            for round_id, closes_at, built, locked in session.execute(
                    statement.execution_options(materialised_probe=True)):
                known[round_id] = (closes_at, built is not None, None if flush is None else locked is not None)
    return dict(known) if round_ids is None else {round_id: known[round_id] for round_id in round_ids
                                                  if round_id in known}


def forget(session: Session, round_ids: set[int] | None, flush=None) -> None:
    """Delete the kept rankings of these rounds (``None``: every round), when they have one or
    are finished (one may be being built). ``flush``: the context of the flush this runs before."""
    # Rounds this transaction already found unfinished and without a kept ranking (a submit
    # updates its attempt twice): a ranking is only ever built for a finished round.
    transaction, quiet = session.info.get("materialised_quiet", (None, set()))
    if transaction is not session.get_transaction():
        transaction, quiet = session.get_transaction(), set()
        session.info["materialised_quiet"] = (transaction, quiet)
    if round_ids is not None:
        round_ids = round_ids - quiet
        if not round_ids:
            return
    now = clock.now()
    targets = []
    any_built = False
    for round_id, (closes_at, built, _locked) in round_states(session, round_ids, flush).items():
        any_built = any_built or built
        if built or _finished(closes_at, now):
            targets.append(round_id)
        else:
            quiet.add(round_id)
    targets.sort()
    with session.no_autoflush:
        for round_id in targets:
            _lock(round_id, session)
        # Totals add up kept rankings only: a round without one is in none (closing its expired
        # attempts, one UPDATE each, costs no more statements).
        _delete_builds(targets, session, totals=any_built)


def _finished(closes_at, now) -> bool:
    # round_finished's rule, for a row rather than a Round.
    return now > closes_at + clock.grace()


def _lock(round_id: int, session: Session | None = None) -> None:
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :round)"), {"space": LOCK_SPACE, "round": round_id})


def _delete_builds(round_ids: list[int], session: Session | None = None, *, totals: bool = True) -> None:
    if not round_ids:
        return
    session = session or db.session
    options = {"materialised_probe": True, "synchronize_session": False}
    session.execute(delete(RankedAttempt).where(RankedAttempt.round_id.in_(round_ids)).execution_options(**options))
    session.execute(delete(RankingBuild).where(RankingBuild.round_id.in_(round_ids)).execution_options(**options))
    # The standings' totals that added up these rankings go with them (they name the builds
    # they added up, so ones a concurrent build missed are never read anyway).
    if totals:
        _delete_totals(select(Round.contest_id).where(Round.id.in_(round_ids)), session)
    # By identity key: reading an expired build's round_id would load the row just deleted.
    for (cls, key, *_token), build in list(session.identity_map.items()):
        if cls is RankingBuild and key[0] in round_ids:
            session.expunge(build)


def _delete_totals(contest_ids, session: Session | None = None) -> None:
    session = session or db.session
    options = {"materialised_probe": True, "synchronize_session": False}
    session.execute(delete(StandingTotal).where(StandingTotal.contest_id.in_(contest_ids)).execution_options(**options))
    session.execute(delete(StandingBuild).where(StandingBuild.contest_id.in_(contest_ids)).execution_options(**options))
    for (cls, _key, *_token), build in list(session.identity_map.items()):
        if cls is StandingBuild:
            session.expunge(build)


def _changed_attempts(session: Session, context, _instances) -> None:
    """Before a flush: the rounds whose attempts are added, changed or deleted forget their ranking."""
    rounds = {obj.round_id for obj in session.new if isinstance(obj, Attempt)}
    rounds |= {obj.round_id for obj in session.dirty if isinstance(obj, Attempt) and session.is_modified(obj)}
    rounds |= {obj.round_id for obj in session.deleted if isinstance(obj, Attempt)}
    rounds.discard(None)
    if rounds:
        forget(session, rounds, context)


def _bulk_change(state: ORMExecuteState) -> None:
    """Before an ORM UPDATE or DELETE of attempts (closing expired attempts, submitting,
    scoring), or an INSERT of them that declares its rounds (a start): the rounds of the rows
    it matches forget their ranking. A statement may declare those rounds with the execution
    option ``attempt_rounds`` (a set of round ids); it must name every round whose attempts it
    can change."""
    writes = state.is_update or state.is_delete or state.is_insert
    if not writes or state.execution_options.get("materialised_probe"):
        return
    if state.bind_mapper is None or state.bind_mapper.class_ is not Attempt:
        return
    declared = state.execution_options.get("attempt_rounds")
    if state.is_insert and declared is None:
        return  # a bulk load of made-up attempts (tests, benches) names no rounds, as before
    if declared is not None:
        # The statement names the rounds of the attempts it may change (attempts/services.py
        # knows them on its hot paths): no query to find them.
        forget(state.session, set(declared))
        return
    where = state.statement.whereclause
    matched = select(Attempt.round_id).distinct()
    if where is not None:
        matched = matched.where(where)
    with state.session.no_autoflush:
        rounds = set(state.session.scalars(matched.execution_options(materialised_probe=True)))
    forget(state.session, rounds)


def init_app(_app) -> None:
    if not event.contains(Session, "before_flush", _changed_attempts):
        event.listen(Session, "before_flush", _changed_attempts)
    if not event.contains(Session, "do_orm_execute", _bulk_change):
        event.listen(Session, "do_orm_execute", _bulk_change)
