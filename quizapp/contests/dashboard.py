"""The organisers' dashboard of one contest: how many take part, on which days, from which
units, with what scores, for all its rounds or one.

Every figure is counted by the database in two grouped passes over the attempts in scope;
only the counted rows come back (a few hundred), never the attempts. Read-only: nothing is
written or committed, so the page can be served from a replica and reloaded at will.

The definitions the page states:

- registered accounts: active accounts with the role ``taker`` on the whole installation
  (people register on the platform, not per contest);
- participants: distinct people with at least one attempt in the rounds shown;
- open now: attempts still taking answers by the rule of ``attempts.time_is_up`` (status open,
  and no deadline, or now not past deadline + grace); an open attempt past that is counted
  apart, as waiting to be closed (``attempts.finalise_expired`` does it on the next ranking);
- days are the contest's local days: the local date of a UTC moment is the date of the moment
  plus the zone's UTC offset. The offsets in force between the first and the last start come
  from zoneinfo, so a zone with summer time gets one CASE branch per offset, and the SQL
  (literals only) gives the same days on SQLite and PostgreSQL;
- a participant is new on the local day of their first attempt in the rounds shown;
- units are the taker's own (``User.unit_id``); a "district" is the unit's ancestor at the top
  of the directory, or just below it when the directory has one root (the province).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import BigInteger, Integer, case, func, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from quizapp import clock
from quizapp.auth.models import User
from quizapp.clock import grace
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.units.tree import Directory

NO_UNIT = "Chưa chọn đơn vị"
SECONDS_PER_DAY = 86_400
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class DayCount:
    day: date
    attempts: int
    new_participants: int


@dataclass(frozen=True)
class UnitCount:
    """People and attempts of one unit (or district); ``code`` None for people with no unit."""

    code: str | None
    name: str
    participants: int
    attempts: int
    headcount: int | None

    @property
    def rate(self) -> float | None:
        """Participants over headcount; None when the headcount is unknown or zero."""
        return self.participants / self.headcount if self.headcount else None


@dataclass(frozen=True)
class Dashboard:
    contest: Contest
    round: Round | None  # the one round shown, or None for all of them
    as_of: datetime
    registered: int
    participants: int
    attempts: int
    open_now: int
    past_deadline: int  # open, but past deadline + grace: to be closed at the deadline
    submitted: int
    average_duration_ms: float | None
    days: list[DayCount]
    units: list[UnitCount]
    districts: list[UnitCount]
    # The single root whose children are the districts, or None when the roots are.
    district_parent: str | None
    # (correct answers, submitted attempts) for 0 .. the most questions a round asks.
    scores: list[tuple[int, int]]


def dashboard(contest: Contest, round_: Round | None = None) -> Dashboard:
    """The dashboard of ``contest``, restricted to ``round_`` when one is given.

    Two passes over the attempts in scope, each grouped in SQL to a few hundred rows:
    attempts by (local day, score) and people by (unit, local day of their first attempt).
    Every figure is a sum of those rows.
    """
    rounds = [round_] if round_ is not None else list(contest.rounds)
    round_ids = [r.id for r in rounds]
    scope = Attempt.round_id.in_(round_ids)
    now = clock.now()
    span = _span(round_ids)
    segments = offset_segments(ZoneInfo(contest.timezone), *span) if span else None
    figures = _attempt_figures(scope, segments, now) if segments else _AttemptFigures()
    new_on, per_unit = _people_figures(scope, segments) if segments else ({}, {})
    days = range(min(figures.per_day), max(figures.per_day) + 1) if figures.per_day else []
    units, districts, district_parent = _units(per_unit)
    top_score = max([*(r.question_count for r in rounds), *figures.scores], default=0)
    return Dashboard(
        contest=contest, round=round_, as_of=now, registered=_registered(),
        participants=sum(new_on.values()), attempts=figures.attempts, open_now=figures.open_now,
        past_deadline=figures.past_deadline, submitted=figures.submitted,
        average_duration_ms=figures.duration_sum / figures.durations if figures.durations else None,
        days=[DayCount(EPOCH + timedelta(days=n), figures.per_day.get(n, 0), new_on.get(n, 0)) for n in days],
        units=units, districts=districts, district_parent=district_parent,
        scores=[(score, figures.scores.get(score, 0)) for score in range(top_score + 1)],
    )


def _registered() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "taker", User.is_active))


def _span(round_ids: list[int]) -> tuple[datetime, datetime] | None:
    """The first and the last start of an attempt in scope: two index probes a round."""
    if not round_ids:
        return None
    per_round = union_all(*(
        select(func.min(Attempt.started_at).label("first"), func.max(Attempt.started_at).label("last"))
        .where(Attempt.round_id == round_id) for round_id in round_ids
    )).subquery()
    first, last = db.session.execute(select(func.min(per_round.c.first), func.max(per_round.c.last))).one()
    return (first, last) if first is not None else None


@dataclass
class _AttemptFigures:
    attempts: int = 0
    open_now: int = 0
    past_deadline: int = 0
    submitted: int = 0
    duration_sum: int = 0
    durations: int = 0
    per_day: dict[int, int] = field(default_factory=dict)  # attempts started on each day number
    scores: dict[int, int] = field(default_factory=dict)  # submitted attempts by correct answers


def _attempt_figures(scope, segments: list[tuple[int | None, int]], now: datetime) -> _AttemptFigures:
    """Attempts counted by local day and score, with the headline counts of each group."""
    is_open = Attempt.status == "open"
    submitted = Attempt.status == "submitted"
    # The rule of attempts.time_is_up, in SQL: past the deadline once now > deadline + grace.
    cutoff = now - grace()
    day = local_day(Attempt.started_at, segments)
    rows = db.session.execute(select(
        day, Attempt.correct_count, func.count(),
        func.count().filter(is_open, Attempt.deadline.is_(None) | (Attempt.deadline >= cutoff)),
        func.count().filter(is_open, Attempt.deadline < cutoff),
        func.count().filter(submitted),
        func.sum(Attempt.duration_ms).filter(submitted),
        func.count(Attempt.duration_ms).filter(submitted),
    ).where(scope).group_by(day, Attempt.correct_count))
    figures = _AttemptFigures()
    for number, score, attempts, open_now, past_deadline, submitted_count, duration_sum, durations in rows:
        figures.attempts += attempts
        figures.open_now += open_now
        figures.past_deadline += past_deadline
        figures.submitted += submitted_count
        figures.duration_sum += int(duration_sum or 0)
        figures.durations += durations
        figures.per_day[number] = figures.per_day.get(number, 0) + attempts
        if score is not None and submitted_count:
            figures.scores[score] = figures.scores.get(score, 0) + submitted_count
    return figures


def _people_figures(scope, segments: list[tuple[int | None, int]],
                    ) -> tuple[dict[int, int], dict[int | None, tuple[int, int]]]:
    """People new on each day number, and (people, attempts) of each unit id (None: no unit)."""
    per_person = (select(Attempt.user_id, func.count().label("attempts"), func.min(Attempt.started_at).label("first"))
                  .where(scope).group_by(Attempt.user_id).subquery())
    first_day = local_day(per_person.c.first, segments)
    rows = db.session.execute(
        select(User.unit_id, first_day, func.count(), func.sum(per_person.c.attempts))
        .join_from(per_person, User, User.id == per_person.c.user_id).group_by(User.unit_id, first_day)
    )
    new_on: dict[int, int] = {}
    per_unit: dict[int | None, tuple[int, int]] = {}
    for unit_id, number, people, attempts in rows:
        new_on[number] = new_on.get(number, 0) + people
        before = per_unit.get(unit_id, (0, 0))
        per_unit[unit_id] = (before[0] + people, before[1] + int(attempts))
    return new_on, per_unit


# --- local days ------------------------------------------------------------------------------


class epoch_seconds(FunctionElement):  # lower case, like the SQL functions it stands for
    """Whole seconds since 1970-01-01 UTC of a ``UTCDateTime`` column, rounded down."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_seconds(element, compiler, **kw) -> str:
    # timestamptz: EXTRACT gives absolute seconds whatever the session's TimeZone.
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw) -> str:
    # UTCDateTime stores naive UTC text on SQLite, which strftime reads as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


class day_number(FunctionElement):
    """Days from 1970-01-01 to the date of a ``UTCDateTime`` column moved by a fixed offset
    (a literal number of seconds): the local date where that offset is in force."""

    type = Integer()
    inherit_cache = True


@compiles(day_number)
def _day_number(element, compiler, **kw) -> str:
    moment, offset = (compiler.process(clause, **kw) for clause in element.clauses)
    # Date arithmetic: a third cheaper than the same from epoch seconds.
    return f"(CAST(({moment} AT TIME ZONE 'UTC') + INTERVAL '{offset} seconds' AS DATE) - DATE '1970-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw) -> str:
    moment, offset = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((CAST(strftime('%s', {moment}) AS INTEGER) + {offset}) / {SECONDS_PER_DAY})"


def _utc_offset(zone: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(zone).utcoffset().total_seconds())


def offset_segments(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[int | None, int]]:
    """The UTC offsets ``zone`` uses from ``first`` to ``last``, as (until, offset seconds)
    pairs: each offset holds up to the epoch second ``until`` (None for the last one).

    Hour by hour (no zone changes its offset twice within an hour), then to the exact second.
    Vietnam has used UTC+7 since 1975, so there it is one pair.
    """
    segments: list[tuple[int | None, int]] = []
    at = int(first.timestamp())
    end = int(last.timestamp())
    offset = _utc_offset(zone, first)
    while at < end:
        step = min(at + 3600, end)
        if _utc_offset(zone, datetime.fromtimestamp(step, UTC)) == offset:
            at = step
            continue
        low, high = at, step  # low has the old offset, high the new one
        while high - low > 1:
            middle = (low + high) // 2
            if _utc_offset(zone, datetime.fromtimestamp(middle, UTC)) == offset:
                low = middle
            else:
                high = middle
        segments.append((high, offset))
        at, offset = high, _utc_offset(zone, datetime.fromtimestamp(high, UTC))
    segments.append((None, offset))
    return segments


def local_day(moment, segments: list[tuple[int | None, int]]):
    """SQL for the local date of ``moment`` as a day number, one CASE branch per offset.

    Only literals, no bound parameters, so the expression in GROUP BY is the one in SELECT.
    """
    def day(offset: int):
        return day_number(moment, literal_column(str(int(offset)), Integer))

    *changes, (_, last_offset) = segments
    if not changes:
        return day(last_offset)
    seconds = epoch_seconds(moment)
    return case(*[(seconds < literal_column(str(int(until)), BigInteger), day(offset)) for until, offset in changes],
                else_=day(last_offset))


# --- units -----------------------------------------------------------------------------------


def _units(counted: dict[int | None, tuple[int, int]]) -> tuple[list[UnitCount], list[UnitCount], str | None]:
    """Every unit of the directory with its people's counts, then the same rolled up to districts."""
    directory = Directory.load()
    nodes = directory.nodes
    units = [UnitCount(node.code, node.name, *counted.get(node.id, (0, 0)), node.headcount) for node in nodes.values()]
    totals = directory.roll_up(counted)
    districts = [UnitCount(nodes[top].code, nodes[top].name, *totals.get(top, (0, 0)), directory.headcount(top))
                 for top in directory.districts]
    root = directory.root
    if root and root.id in totals:
        # People who chose the province itself; its headcount is the whole province's, not theirs.
        districts.append(UnitCount(root.code, f"{root.name} (không chọn đơn vị cấp dưới)", *totals[root.id], None))
    no_unit = UnitCount(None, NO_UNIT, *counted.get(None, (0, 0)), None)
    return _ordered(units) + [no_unit], _ordered(districts) + [no_unit], root.name if root else None


def _ordered(rows: list[UnitCount]) -> list[UnitCount]:
    return sorted(rows, key=lambda row: (-row.participants, -row.attempts, row.code or ""))


# --- questions that need a look (lent by judging) --------------------------------------------


@dataclass(frozen=True)
class QuestionNote:
    """One question of a round as the item analysis sees it, for the dashboard's short list."""

    question_id: int
    text: str
    facility: float | None
    discrimination: float | None
    warning: str


# Judging owns the item analysis and sits above contests: it lends the dashboard the few
# questions of a round most in need of a look (a possibly wrong key first), or None while a big
# round's analysis has not been made yet (the dashboard never starts that work itself).
QuestionsToReview = Callable[[Round, int], list[QuestionNote] | None]


def lend_questions_to_review(app: Flask, provider: QuestionsToReview) -> None:
    app.extensions["quizapp.questions_to_review"] = provider


def questions_to_review(round_: Round, limit: int) -> list[QuestionNote] | None:
    provider = current_app.extensions.get("quizapp.questions_to_review")
    return provider(round_, limit) if provider is not None else None
