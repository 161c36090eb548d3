"""The attempt lifecycle: start or resume, save answers, predict, submit, expire.

The rules of DESIGN §3 live here. Time comes from the server (``clock.now``); limits come
from database constraints (a start that loses a race inserts nothing); saving an answer is one
conditional UPDATE, submitting another. Never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Boolean, Row, bindparam, func, insert, literal, select, text, tuple_, union_all, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from quizapp import clock
from quizapp.attempts.admission import admit_start
from quizapp.attempts.tokens import canonical, option_tokens, parse_indexes, shown_indexes
from quizapp.auth import terms
from quizapp.auth.models import User, UserSession
from quizapp.banks.formats.common import MAX_OPTIONS
from quizapp.banks.models import Bank, Question, QuestionVersion, Topic
from quizapp.clock import UTCDateTime, grace
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round
from quizapp.dedicated import DedicatedConnections, driver_sql
from quizapp.errors import DomainError, NotFound
from quizapp.extensions import db
from quizapp.flags.services import raise_new_flags
from quizapp.sessions import Identity

_random = secrets.SystemRandom()


class RoundNotOpen(DomainError):
    status, code = 409, "round_not_open"
    message = "Vòng thi chưa mở hoặc đã kết thúc."


class AttemptLimitReached(DomainError):
    status, code = 409, "attempt_limit_reached"
    message = "Bạn đã dùng hết số lượt thi của vòng này."


class AttemptClosed(DomainError):
    status, code = 409, "attempt_closed"
    message = "Lượt thi đã kết thúc; câu trả lời này không được ghi nhận."


class InvalidOption(DomainError):
    status, code = 422, "invalid_option"
    message = "Phương án không thuộc câu hỏi này."


class DrawUnavailable(DomainError):
    status, code = 409, "draw_unavailable"
    message = "Ngân hàng câu hỏi của vòng thi hiện không đủ câu; vui lòng báo Ban tổ chức."


class RegistrationIncomplete(DomainError):
    status, code = 422, "registration_incomplete"
    message = "Vui lòng bổ sung thông tin cá nhân theo yêu cầu của cuộc thi trước khi làm bài."

    def __init__(self, missing: list[str]) -> None:
        super().__init__()
        self.missing = missing
        # Reported like form errors, so a phone can point at what to fill in.
        self.fields = {name: ["Cuộc thi yêu cầu thông tin này; vui lòng bổ sung trong hồ sơ cá nhân."]
                       for name in missing}


class PhoneUnverified(DomainError):
    status, code = 403, "phone_unverified"
    message = ("Cuộc thi này yêu cầu xác minh số điện thoại trước khi thi: vào “Xác minh số điện thoại”, "
               "bấm “Gửi mã” và nhập mã gồm 6 chữ số nhận qua SMS.")


class ContestPasswordRequired(DomainError):
    status, code = 403, "contest_password_required"
    message = "Cuộc thi này cần mật khẩu do Ban tổ chức cung cấp."


class PredictionRefused(DomainError):
    status, code = 409, "prediction_locked"
    message = "Dự đoán của bạn đã được ghi nhận ở lượt thi đầu tiên và không thay đổi được."


def time_is_up(attempt: Attempt, now: datetime) -> bool:
    """Past deadline + grace: no save or submit of this attempt is accepted any more."""
    return attempt.deadline is not None and now > attempt.deadline + grace()


def takes_answers(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == "open" and not time_is_up(attempt, now)


# --- expiry --------------------------------------------------------------------------------


def finalise_expired(*, round_id: int | None = None, user_id: int | None = None) -> int:
    """Close every open attempt past deadline + grace as submitted at its deadline, with the
    answers saved so far. Called lazily before anything reads attempts, and before rankings.

    Nearly always there is none: one SELECT finds that out. When there are, they are closed by
    id with the rounds they belong to declared (``attempt_rounds``), so the kept rankings of
    those rounds are forgotten without a second look at the attempts (judging/materialised.py).
    """
    cutoff = clock.now() - grace()
    conditions = [Attempt.status == "open", Attempt.deadline.is_not(None), Attempt.deadline < cutoff]
    if round_id is not None:
        conditions.append(Attempt.round_id == round_id)
    if user_id is not None:
        conditions.append(Attempt.user_id == user_id)
    due = db.session.execute(select(Attempt.id, Attempt.round_id).where(*conditions)).all()
    if not due:
        return 0
    return _close_expired([attempt_id for attempt_id, _ in due], {round_ for _, round_ in due})


# Ids per statement when closing expired attempts: well under SQLite's bound on variables.
CLOSE_BATCH = 5000


def _close_expired(attempt_ids: list[int], round_ids: set[int]) -> int:
    closed = 0
    for first in range(0, len(attempt_ids), CLOSE_BATCH):
        # status = 'open' again: a request racing this one closes each attempt once, and scores it once.
        expired = db.session.execute(
            update(Attempt).where(Attempt.id.in_(attempt_ids[first:first + CLOSE_BATCH]), Attempt.status == "open")
            .values(status="submitted", submitted_at=Attempt.deadline, expired=True)
            .returning(Attempt.id, Attempt.started_at, Attempt.deadline)
            .execution_options(attempt_rounds=round_ids)
        ).all()
        _score([(attempt_id, started_at, deadline) for attempt_id, started_at, deadline in expired], round_ids)
        closed += len(expired)
    return closed


def _score(attempts: list[tuple[int, datetime, datetime]], round_ids: set[int]) -> None:
    """Store the correct count and duration of attempts just closed, ``(id, started_at,
    submitted_at)`` each: one statement sent once per attempt in one batch (executemany), so a
    national round's thousands of expired attempts are scored in seconds, not one round trip each."""
    if not attempts:
        return
    table = Attempt.__table__
    db.session.execute(
        update(table).where(table.c.id == bindparam("attempt"))
        .values(correct_count=_correct_answers(bindparam("attempt")), duration_ms=bindparam("duration"))
        .execution_options(attempt_rounds=round_ids),
        [{"attempt": attempt_id, "duration": _duration_ms(started_at, submitted_at)}
         for attempt_id, started_at, submitted_at in attempts],
    )


def _correct_answers(attempt_id):
    """How many of the attempt's items were answered exactly right, as a subquery of the
    UPDATE that scores it (``attempt_id``: a column or a parameter)."""
    items = AttemptItem.__table__
    return (select(func.count()).select_from(items)
            .where(items.c.attempt_id == attempt_id, items.c.chosen == items.c.correct_key).scalar_subquery())


def _duration_ms(started_at: datetime, submitted_at: datetime) -> int:
    return int((submitted_at - started_at).total_seconds() * 1000)


# --- start or resume -----------------------------------------------------------------------


@dataclass
class Started:
    attempt: Attempt
    created: bool


def round_with_contest(round_id: int) -> Round | None:
    """The round with its contest, in one statement: a start reads both."""
    return db.session.get(Round, round_id, options=[joinedload(Round.contest, innerjoin=True)])


def open_attempt(round_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(Attempt.round_id == round_id, Attempt.user_id == user_id, Attempt.status == "open")
    )


def attempts_used(round_id: int, user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.round_id == round_id, Attempt.user_id == user_id)
    )


def missing_registration(contest: Contest, user: User) -> list[str]:
    """The profile fields ``contest`` requires that ``user`` has not filled in."""
    return [name for name in contest.registration_fields if not _has_field(user, name)]


def check_entry(contest: Contest, user: User, password_ok: bool) -> None:
    # The consented version is a column of the account the session loaded: no query.
    if terms.consent_needed(user):
        raise terms.ConsentRequired()
    missing = missing_registration(contest, user)
    if missing:
        raise RegistrationIncomplete(missing)
    # A column of the account the session loaded already: no query on the start's hot path.
    if contest.require_verified_phone and user.phone_verified_at is None:
        raise PhoneUnverified()
    if contest.password_hash and not password_ok:
        raise ContestPasswordRequired()


def _has_field(user: User, name: str) -> bool:
    if name == "id_number":
        # Whether one was given, without loading and decrypting the number itself.
        return user.has_id_number
    return (user.unit_id if name == "unit_code" else getattr(user, name, None)) is not None


@dataclass(frozen=True)
class Origin:
    """Where a start came from: the device cookie and the client's IP (for flags)."""

    device_id: str | None = None
    ip: str | None = None


def start_attempt(round_: Round, user: User, *, password_ok: bool = False, origin: Origin | None = None) -> Started:
    """The caller's open attempt in the round (resume), or a new one.

    Concurrent starts by one person race on the database's unique indexes: the loser inserts
    nothing and gets the winner's attempt, so twenty taps on Start make one attempt.
    """
    now = clock.now()
    write_first()
    # The caller's attempts in the round, in one statement (those past their time closed): the
    # open one to resume, how many are used.
    mine = my_attempts(user.id, round_.id)
    existing = next((row.id for row in mine if row.status == "open"), None)
    if existing is not None:
        return Started(db.session.get(Attempt, existing, populate_existing=True), created=False)
    # before the draw: a refused double tap costs no more statements
    used = check_new_attempt(round_, user, password_ok, now, used=len(mine))
    admit_start()  # may refuse with 503 before anything is written
    questions = draw_questions(round_)
    for retry in range(3):
        if retry:  # another start of this person's won the race: count again
            used = attempts_used(round_.id, user.id)
        if round_.max_attempts is not None and used >= round_.max_attempts:
            raise AttemptLimitReached()
        attempt = _insert_attempt(round_, user, used + 1, now, questions, origin or Origin())
        if attempt is not None:
            return Started(attempt, created=True)
        existing = open_attempt(round_.id, user.id)
        if existing is not None:
            return Started(existing, created=False)
    raise AttemptLimitReached()


def check_new_attempt(round_: Round, user: User, password_ok: bool, now: datetime, used: int | None = None) -> int:
    """Raise what would refuse a new attempt in the round now; else the attempts used so far
    (``used``, when the caller has counted them already).

    Writes nothing: the start confirmation page asks it before the taker commits to the clock.
    """
    if round_.status(now) != "open":
        raise RoundNotOpen()
    check_entry(round_.contest, user, password_ok)
    if used is None:
        used = attempts_used(round_.id, user.id)
    if round_.max_attempts is not None and used >= round_.max_attempts:
        raise AttemptLimitReached()
    return used


def write_first() -> None:
    """SQLite: take the write lock before this transaction reads.

    A start reads (the caller's attempts, the draw) and then writes. In WAL mode a transaction
    that has read and then tries to write, after another connection committed meanwhile, fails
    at once with "database is locked" rather than waiting its busy timeout; beginning with
    BEGIN IMMEDIATE makes it wait its turn instead. PostgreSQL needs nothing of the kind.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Drawn:
    """A question revision as the draw needs it. Revisions are never changed once written
    (banks/models.py), so each worker keeps those it has read (``cached_revisions``)."""

    question_id: int
    revision: int
    multiple: bool
    fixed_order: bool
    options: tuple[tuple[int, bool], ...]  # (option id, correct), in the bank's order


# Bounded: a national bank has a few thousand revisions; past this a cache starts again.
REVISION_CACHE_SIZE = 20_000


def cached_revisions(name: str, keys: set[tuple[int, int]], load) -> dict:
    """Question revisions ``(question_id, revision)`` from this worker's cache ``name``; those it
    has not seen yet come from ``load(missing keys)`` (a mapping, one statement). Only for what
    never changes once written (revisions and their pictures). The cache belongs to the app, so
    an app made on another database (a test, a restore drill) starts with its own."""
    cache: dict = current_app.extensions.setdefault(name, {})
    missing = [key for key in keys if key not in cache]
    if missing:
        if len(cache) + len(missing) > REVISION_CACHE_SIZE:
            cache.clear()
        cache.update(load(missing))
    return {key: cache[key] for key in keys}


def draw_questions(round_: Round) -> list[Drawn]:
    """Questions per the round's blueprint, each entry drawn at random without repeats, as the
    current revision of each (what the taker will be shown and scored on, whatever edits come).

    Entries naming a topic are drawn before whole-bank entries, so a whole-bank draw never
    takes the questions a topic entry needs: a blueprint whose totals fit always draws.
    """
    entries = sorted(round_.draw, key=lambda entry: not entry.get("topic"))
    pools, revisions = _pools(entries)
    chosen: list[int] = []
    for index, entry in enumerate(entries):
        pool = [question_id for question_id in pools[index] if question_id not in chosen]
        if len(pool) < int(entry["count"]):
            current_app.logger.error("Round %s cannot draw %s from %s", round_.id, entry["count"], entry)
            raise DrawUnavailable()
        chosen.extend(_random.sample(pool, int(entry["count"])))
    _random.shuffle(chosen)
    # The revisions came with the pools, in one statement, so an edit committed meanwhile
    # gives either the old revision or the new one, never half of each.
    drawn = drawn_revisions({(question_id, revisions[question_id]) for question_id in chosen})
    return [drawn[question_id, revisions[question_id]] for question_id in chosen]


def _pools(entries: list[dict]) -> tuple[list[list[int]], dict[int, int]]:
    """The active question ids each blueprint entry may draw from, and each one's current
    revision, in one statement (a start is the opening minute's costliest request; one round
    trip per entry added up)."""
    selects = []
    for index, entry in enumerate(entries):
        statement = select(literal(index).label("entry"), Question.id, Question.revision).join(
            Bank, Question.bank_id == Bank.id).where(Bank.slug == entry["bank"], Question.is_active)
        if entry.get("topic"):
            statement = statement.join(Topic, Question.topic_id == Topic.id).where(Topic.name == entry["topic"])
        selects.append(statement)
    pools: list[list[int]] = [[] for _ in entries]
    revisions: dict[int, int] = {}
    if selects:
        # Fetched at once: row by row, a national bank's pools cost a driver call per question.
        for index, question_id, revision in db.session.execute(union_all(*selects)).all():
            pools[index].append(question_id)
            revisions[question_id] = revision
    return pools, revisions


def drawn_revisions(keys: set[tuple[int, int]]) -> dict[tuple[int, int], Drawn]:
    return cached_revisions("quizapp.drawn_revisions", keys, _load_drawn)


def _load_drawn(keys: list[tuple[int, int]]) -> dict[tuple[int, int], Drawn]:
    rows = db.session.execute(
        select(QuestionVersion.question_id, QuestionVersion.revision, QuestionVersion.multiple,
               QuestionVersion.fixed_order, QuestionVersion.options)
        .where(tuple_(QuestionVersion.question_id, QuestionVersion.revision).in_(keys)))
    return {(question_id, revision): Drawn(question_id, revision, multiple, fixed_order,
                                           tuple((option["id"], bool(option["correct"])) for option in options))
            for question_id, revision, multiple, fixed_order, options in rows}


def _insert_attempt(round_: Round, user: User, number: int, now: datetime, questions: list[Drawn],
                    origin: Origin) -> Attempt | None:
    """Insert attempt ``number`` and its items; None, having written nothing, when another start
    of this person's has the number or an open attempt already (the unique indexes refuse it:
    ON CONFLICT DO NOTHING, so the transaction goes on without a savepoint)."""
    # An untimed practice attempt still ends with its round.
    deadline = round_.closes_at
    if round_.time_limit_seconds is not None:
        deadline = min(now + timedelta(seconds=round_.time_limit_seconds), round_.closes_at)
    attempt = db.session.scalar(
        _insert_unless_taken(Attempt).values(
            round_id=round_.id, user_id=user.id, number=number, max_attempts=round_.max_attempts,
            status="open", started_at=now, deadline=deadline, question_count=len(questions),
            prediction=_locked_prediction(round_, user), device_id=origin.device_id, start_ip=origin.ip)
        .returning(Attempt).execution_options(attempt_rounds={round_.id}))
    if attempt is None:
        return None
    rows = []
    for position, version in enumerate(questions):
        shown = list(version.options)
        # Options that name others ("Tất cả các ý trên") keep the bank's order (DESIGN §3 rule 2).
        if not version.fixed_order:
            _random.shuffle(shown)
        rows.append({
            "attempt_id": attempt.id, "position": position, "question_id": version.question_id,
            "question_revision": version.revision, "multiple": version.multiple, "option_count": len(shown),
            "option_ids": [option_id for option_id, _correct in shown],
            "correct_key": canonical(index for index, (_option_id, correct) in enumerate(shown) if correct),
        })
    # One bulk INSERT: the draw runs at the opening-minute spike.
    db.session.execute(insert(AttemptItem.__table__), rows)
    return attempt


def _insert_unless_taken(model):
    """An INSERT that a unique index's conflict turns into no row at all (``ON CONFLICT DO
    NOTHING``, the same words on PostgreSQL and SQLite), compiled once and cached. SQLAlchemy's
    own ``postgresql.insert(...).on_conflict_do_nothing()`` is compiled again on every execution
    (its Insert is not cacheable), which cost a start more Python than the savepoint it saves;
    the clause goes where that one puts its own, after the VALUES and before RETURNING."""
    statement = insert(model)
    statement._post_values_clause = text("ON CONFLICT DO NOTHING")
    return statement


def _locked_prediction(round_: Round, user: User, before: int | None = None) -> int | None:
    """The prediction a person made in their earliest attempt of a locked round that has one.

    ``before``: only attempts numbered below it count, so within the attempt that makes it
    the first prediction can still be corrected until that attempt ends.
    """
    if not (round_.prediction_prompt and round_.prediction_locked):
        return None
    statement = select(Attempt.prediction).where(
        Attempt.round_id == round_.id, Attempt.user_id == user.id, Attempt.prediction.is_not(None)
    )
    if before is not None:
        statement = statement.where(Attempt.number < before)
    return db.session.scalar(statement.order_by(Attempt.number).limit(1))


# --- reading -------------------------------------------------------------------------------


# What a page that shows an attempt loads with it, in the same statement (``attempt_for``).
WITH_ROUND = (joinedload(Attempt.round),)
WITH_CONTEST = (joinedload(Attempt.round).joinedload(Round.contest),)


def attempt_for(attempt_id: int, user_id: int, load: tuple = ()) -> Attempt:
    """The caller's own attempt; anyone else's is a 404, as if it did not exist. ``load``: what
    comes with it in the same statement (``WITH_ROUND``, ``WITH_CONTEST``), read fresh like it."""
    attempt = db.session.get(Attempt, attempt_id, options=load)
    if attempt is None or attempt.user_id != user_id:
        raise NotFound("Không tìm thấy lượt thi.")
    if attempt.status == "open" and time_is_up(attempt, clock.now()):
        finalise_expired(round_id=attempt.round_id, user_id=user_id)
        db.session.refresh(attempt)
    return attempt


# Built once: the contest and result pages of every taker ask it.
_MY_ATTEMPTS = select(Attempt.id, Attempt.round_id, Attempt.number, Attempt.status, Attempt.deadline,
                      Attempt.submitted_at).where(Attempt.user_id == bindparam("user"))
_MY_ATTEMPTS_IN_ROUND = _MY_ATTEMPTS.where(Attempt.round_id == bindparam("round"))


def my_attempts(user_id: int, round_id: int | None = None) -> list[Row]:
    """The caller's attempts, every round's or one round's, as rows (``id, round_id, number,
    status, deadline, submitted_at``), those past deadline + grace closed first, as
    ``finalise_expired`` closes them: one statement when there are none (nearly always)."""
    statement, values = _MY_ATTEMPTS, {"user": user_id}
    if round_id is not None:
        statement, values = _MY_ATTEMPTS_IN_ROUND, {"user": user_id, "round": round_id}
    rows = db.session.execute(statement, values).all()
    cutoff = clock.now() - grace()
    overdue = [row for row in rows if row.status == "open" and row.deadline is not None and row.deadline < cutoff]
    if not overdue:
        return rows
    _close_expired([row.id for row in overdue], {row.round_id for row in overdue})
    return db.session.execute(statement, values).all()


_ANSWERED = select(func.count()).select_from(AttemptItem).where(
    AttemptItem.attempt_id == bindparam("attempt"), AttemptItem.chosen.is_not(None))


def answered_count(attempt_id: int) -> int:
    """How many of the attempt's questions have an answer saved."""
    return db.session.scalar(_ANSWERED, {"attempt": attempt_id})


def round_finished(round_: Round, now: datetime) -> bool:
    """Past the close and its grace: no attempt of the round can take another answer."""
    return now > round_.closes_at + grace()


def review_allowed(attempt: Attempt, now: datetime) -> bool:
    """May the taker see the answer key and explanations of this attempt now?"""
    if attempt.status != "submitted":
        return False
    policy = attempt.round.review
    return policy == "after_submit" or (policy == "after_close" and round_finished(attempt.round, now))


def score_allowed(attempt: Attempt, now: datetime) -> bool:
    if attempt.status != "submitted":
        return False
    return attempt.round.review in ("after_submit", "score_only") or round_finished(attempt.round, now)


# --- saving --------------------------------------------------------------------------------


@dataclass
class Saved:
    question_id: int
    indexes: list[int]
    saved_at: datetime
    # The question's option ids in this attempt, to answer with.
    tokens: list[str]


# Larger than any client sequence number: a save without one always wins.
NO_SEQ = 2**62


_SAVE_SQL = """
UPDATE attempt_items SET chosen = :chosen, seq = CAST(:seq AS BIGINT), answered_at = :now
WHERE attempt_id = (
    SELECT attempts.id FROM attempts
    WHERE attempts.id = :attempt AND attempts.user_id = :user AND attempts.status = 'open'
      AND (attempts.deadline IS NULL OR attempts.deadline >= :cutoff)
      AND EXISTS (SELECT 1 FROM users JOIN user_sessions ON user_sessions.user_id = users.id
                  WHERE users.id = :user AND users.session_version = :version AND users.is_active
                    AND user_sessions.id = :session AND user_sessions.ended_at IS NULL)
    {lock}
)
AND question_id = :question
AND option_count > :max_index
AND (multiple OR :at_most_one)
AND (seq IS NULL OR seq < CAST(:seq_cmp AS BIGINT))
"""


class _SaveStatement:
    """The answer-save UPDATE as the database driver takes it, on connections of its own.

    It is the hot path of the whole platform, so it skips SQLAlchemy's pool and execution
    machinery (quizapp/dedicated.py) and converts its typed values with the processors
    SQLAlchemy itself would use. The subquery checks the attempt is the caller's, open and
    in time, and the session valid (two primary-key probes: the account's version and the
    session record not ended, so a signed-out cookie saves nothing); on PostgreSQL ``FOR SHARE`` holds off a concurrent
    submit until this answer is committed, so it is counted (SQLite runs one writer at a
    time).
    """

    def __init__(self, engine) -> None:
        dialect = engine.dialect
        recycle = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("pool_recycle", 1800)
        self.connections = DedicatedConnections(engine, recycle=recycle)
        lock = "FOR SHARE" if dialect.name == "postgresql" else ""
        self.sql = driver_sql(_SAVE_SQL.format(lock=lock), dialect)
        self.time = _processor(UTCDateTime(), dialect)
        self.boolean = _processor(Boolean(), dialect)

    def run(self, **values) -> int:
        values["now"], values["cutoff"] = self.time(values["now"]), self.time(values["cutoff"])
        values["at_most_one"] = self.boolean(values["at_most_one"])
        return self.connections.execute(self.sql, values)


def _processor(type_, dialect):
    return type_.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _save_statement() -> _SaveStatement:
    statement = current_app.extensions.get("quizapp.save_statement")
    if statement is None:
        statement = current_app.extensions.setdefault("quizapp.save_statement", _SaveStatement(db.engine))
    return statement


def save_answer(
    attempt_id: int, identity: Identity, question_id: int, tokens: list[str], seq: int | None
) -> Saved:
    """Store the whole choice for one question, in one conditional UPDATE, or raise why not.

    The UPDATE itself checks everything (see ``try_save_answer``); only when it changes
    nothing do we look at why.
    """
    saved = try_save_answer(attempt_id, identity, question_id, tokens, seq)
    if saved is not None:
        return saved
    return explain_unsaved(attempt_id, identity, question_id, tokens, seq)


def explain_unsaved(
    attempt_id: int, identity: Identity, question_id: int, tokens: list[str], seq: int | None
) -> Saved:
    """After ``try_save_answer`` stored nothing: raise the error the save deserves, or, for a
    late retry of an older choice, return the newer choice that stays."""
    known = option_tokens(attempt_id, question_id, MAX_OPTIONS)
    indexes = shown_indexes(known, tokens)
    if indexes is None:
        _explain_refusal(attempt_id, identity, question_id)
        raise InvalidOption()
    return _stale_or_refused(attempt_id, identity, question_id, indexes, seq, known)


def try_save_answer(
    attempt_id: int, identity: Identity, question_id: int, tokens: list[str], seq: int | None
) -> Saved | None:
    """Store the choice if every rule allows it; None if it was not stored, for any reason.

    The one UPDATE checks that the attempt is the caller's, still open and within deadline +
    grace, the session is valid, the question is in it, the option ids are this question's,
    a single-select question gets at most one, and an older retry (lower ``seq``) never
    overwrites a newer choice. It reads nothing else, so the answer-save lane
    (quizapp/api/answer_lane.py) can call it outside Flask's request handling.
    """
    known = option_tokens(attempt_id, question_id, MAX_OPTIONS)
    indexes = shown_indexes(known, tokens)
    if indexes is None:
        return None
    now = clock.now()
    # One statement in autocommit: when it returns, the answer is committed.
    changed = _save_statement().run(
        attempt=attempt_id, user=identity.user_id, version=identity.version, session=identity.session_id,
        cutoff=now - grace(), question=question_id,
        max_index=max(indexes) if indexes else -1, at_most_one=len(indexes) <= 1,
        seq_cmp=NO_SEQ if seq is None else seq, chosen=canonical(indexes) or None, seq=seq, now=now,
    )
    return Saved(question_id, indexes, now, known) if changed == 1 else None


class SessionEnded(DomainError):
    status, code = 401, "login_required"
    message = "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại để tiếp tục lưu bài."


def _explain_refusal(attempt_id: int, identity: Identity, question_id: int) -> AttemptItem:
    """Raise the error a refused save deserves; return the item if nothing is wrong with it."""
    if not session_valid(identity):
        raise SessionEnded()
    attempt = attempt_for(attempt_id, identity.user_id)
    if not takes_answers(attempt, clock.now()):
        raise AttemptClosed()
    item = db.session.scalar(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.question_id == question_id)
    )
    if item is None:
        raise NotFound("Câu hỏi không thuộc lượt thi này.")
    return item


def session_valid(identity: Identity) -> bool:
    """The save's own test of a session, as ``auth.session.load_user`` makes it for pages."""
    return db.session.scalar(
        select(UserSession.id).join(User, User.id == UserSession.user_id).where(
            UserSession.id == identity.session_id, UserSession.user_id == identity.user_id,
            UserSession.ended_at.is_(None), User.session_version == identity.version, User.is_active,
        )
    ) is not None


def _stale_or_refused(attempt_id, identity, question_id, indexes, seq, known) -> Saved:
    item = _explain_refusal(attempt_id, identity, question_id)
    if indexes and max(indexes) >= item.option_count:
        raise InvalidOption()
    if len(indexes) > 1 and not item.multiple:
        raise InvalidOption("Câu hỏi này chỉ chọn một phương án.")
    if seq is not None and item.seq is not None and item.seq >= seq:
        # A late retry of an older choice: the newer one stays, and the client is told so.
        return Saved(question_id, parse_indexes(item.chosen), item.answered_at, known)
    raise AttemptClosed()


def save_prediction(attempt_id: int, user_id: int, value: int) -> Attempt:
    attempt = attempt_for(attempt_id, user_id, WITH_ROUND)
    if not takes_answers(attempt, clock.now()):
        raise AttemptClosed()
    round_ = attempt.round
    if not round_.prediction_prompt:
        raise DomainError("Vòng thi này không có câu hỏi dự đoán.", code="no_prediction")
    earlier = _locked_prediction(round_, attempt.user, before=attempt.number)
    if round_.prediction_locked and earlier not in (None, value):
        raise PredictionRefused()
    attempt.prediction = value
    return attempt


# --- submitting ----------------------------------------------------------------------------


def submit(attempt_id: int, user_id: int) -> Attempt:
    """Submit once; a second submit (a double tap, a retry) returns the same result.

    The attempt is read with its round and, on PostgreSQL, locked: a save under way (its
    ``FOR SHARE``) is committed first, and a later one waits and then finds the attempt
    submitted, so one UPDATE closes and scores it with every acknowledged answer counted.
    SQLite runs one writer at a time, so the UPDATE sees every committed answer there too.
    """
    now = clock.now()
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).options(joinedload(Attempt.round, innerjoin=True))
        .with_for_update(of=Attempt, key_share=True).execution_options(populate_existing=True))
    if attempt is None or attempt.user_id != user_id:
        raise NotFound("Không tìm thấy lượt thi.")
    if attempt.status == "submitted":
        return attempt
    rounds = {attempt.round_id}
    if time_is_up(attempt, now):
        _close_expired([attempt.id], rounds)
        db.session.refresh(attempt)
        return attempt
    submitted_at = min(now, attempt.deadline) if attempt.deadline is not None else now
    values = {"status": "submitted", "submitted_at": submitted_at,
              "duration_ms": _duration_ms(attempt.started_at, submitted_at)}
    values["correct_count"] = db.session.scalar(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(correct_count=_correct_answers(attempt.id), **values)
        .returning(Attempt.correct_count)
        .execution_options(attempt_rounds=rounds, synchronize_session=False))
    if values["correct_count"] is None:  # SQLite: another request submitted it since it was read
        db.session.refresh(attempt)
        return attempt
    # The row as the UPDATE left it, without reading it again.
    for name, value in values.items():
        set_committed_value(attempt, name, value)
    _raise_flags(attempt)
    return attempt


def _raise_flags(attempt: Attempt) -> None:
    """Suspicion flags at submit (quizapp/flags/). A fault in their rules never costs the taker
    the submit (a judge's scan computes them again); a database that fails their statement
    fails the whole request, which commits nothing, and the phone sends the submit again."""
    try:
        raise_new_flags(attempt)
    except DBAPIError:
        raise
    except Exception:
        current_app.logger.exception("Flags of attempt %s could not be computed at submit", attempt.id)
