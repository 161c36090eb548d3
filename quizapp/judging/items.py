"""Item analysis of a round, and judges' corrections of a wrong key (issue 15 item 5, DESIGN §7).

**What is counted.** Every submitted attempt of the round that is not erased, each one once
(Moodle's quiz statistics with "all attempts"): a wrong key shows in any of them, and counting
each person's counting attempt only would hide the attempts that decide nothing yet. Attempts
a judge disqualified stay in: they were answered against the same key. A question left
unanswered counts as wrong, as the score counts it.

**The figures**, per question drawn:

- *facility* (``Tỉ lệ đúng``): the share of the attempts that drew the question and got it
  exactly right (all of the key's options and nothing else);
- *discrimination* (``Độ phân biệt``): the correlation (Pearson's, point-biserial for a right
  or wrong item) between getting this question right and the score on the *rest* of the
  attempt (its correct count less this question), as Moodle's "discrimination index" is
  defined. From -1 to 1: near 0 the question does not tell strong takers from weak ones; below
  0 the weaker ones get it right more often, which is how a mistyped key usually shows;
- how often each option was chosen (the options are stored per attempt item in the order that
  taker saw them: mapped back to the bank's option ids).

A question is marked "Có thể sai đáp án" when, with at least ``WARN_AFTER`` attempts, its
discrimination is negative or a wrong option is chosen more often than every option of the key.

**Cost.** One grouped statement: attempt items joined to their attempt, grouped by question,
the order the options were shown in, the key and the choice, with the count, the sum and the
sum of squares of the attempts' correct counts. Everything above is computed from those
groups (a handful of orders × choices per question), never from one row per attempt item. A
national round (450,000 attempts × 20 questions) is a single scan; bench/item_analysis.py
measures it.

**Key corrections.** ``correct_key`` changes the key of one question in one round that has
finished taking attempts (past its close and the grace, ``round_finished``) and is not locked:
the round's attempt items get the corrected key in the order each taker saw the options, and
every submitted attempt that drew the question gets its correct count again. The bank, its
revisions and other rounds keep theirs (DESIGN §3 rule 9); the organisers correct the bank
itself for the rounds to come. A round still open refuses it (``RoundStillOpen``): an attempt
started after the correction would draw the bank's key, and the round would be ranked on two
keys; the judges fix the bank for the attempts still to come and correct the round once it
closes. Concurrency on PostgreSQL, in this order: the round's row is locked (``FOR NO KEY
UPDATE``, which judging.locking's lock also takes, so a correction and a lock run one after the
other and a locked round refuses it); the round's attempts still open that drew the question
(past their deadline, not yet closed: attempts are closed lazily) are locked ``FOR SHARE``, so
a submit or an expiry that closes one during the correction (``FOR NO KEY UPDATE``) scores it
after the correction commits, with the corrected key; then the scores of the submitted
attempts, each moved by what that one item gains or loses (read before the items change: only
the attempts whose score changes are written); then the items. No answer can be saved any
more, so nothing in the taking window waits on the correction. SQLite runs one writer at a
time.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from math import sqrt

from flask import Flask, current_app
from sqlalchemy import Text, and_, case, cast, func, select, tuple_, update

from quizapp import audit, clock
from quizapp.attempts.services import round_finished
from quizapp.attempts.tokens import canonical, parse_indexes
from quizapp.banks.models import QuestionVersion
from quizapp.contests.dashboard import QuestionNote, lend_questions_to_review
from quizapp.contests.models import Attempt, AttemptItem, Round
from quizapp.errors import NotFound, ValidationFailed
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.jobs.services import chunks
from quizapp.judging import provisional
from quizapp.judging.models import KeyCorrection, RoundLocked, RoundStillOpen, locked_summary
from quizapp.text import clean_text

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Fewer attempts than this tell nothing reliable about a question: no warning or note yet.
WARN_AFTER = 10
WRONG_KEY = "Có thể sai đáp án"
TOO_EASY, TOO_HARD = "Quá dễ", "Quá khó"
# Facilities past which a question separates nobody: everyone right, or about guessing.
EASY_FACILITY, HARD_FACILITY = 0.95, 0.20
MAX_REASON = 500

HEADER = ["Câu hỏi", "Số lượt trả lời", "Tỉ lệ đúng", "Độ phân biệt", "Cảnh báo",
          "Mã câu hỏi", "Số lượt được hỏi", "Số lượt đúng", "Đáp án", "Ghi chú"]


@dataclass
class OptionCount:
    option_id: int
    letter: str  # its place in the bank's question (A for the first), as organisers know it
    text: str
    chosen: int
    key: bool  # correct in this round's key now


@dataclass
class ItemStats:
    question_id: int
    text: str
    multiple: bool
    drawn: int = 0  # attempts that drew the question
    answered: int = 0  # of them, those with an answer
    correct: int = 0
    options: list[OptionCount] = field(default_factory=list)
    discrimination: float | None = None
    wrong_key_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    correction: KeyCorrection | None = None

    @property
    def facility(self) -> float | None:
        return self.correct / self.drawn if self.drawn else None

    @property
    def warning(self) -> str:
        return WRONG_KEY if self.wrong_key_reasons else ""

    @property
    def key_letters(self) -> str:
        return ", ".join(option.letter for option in self.options if option.key)


class _Sums:
    """The sums a point-biserial correlation needs, over the attempts that drew one question:
    x is 1 when the question was right, r the rest of the attempt's score."""

    def __init__(self) -> None:
        self.n = self.x = self.r = self.rr = self.xr = 0

    def add(self, count: int, right: bool, scores: int, squares: int) -> None:
        x = int(right)
        self.n += count
        self.x += x * count
        # r = score - x for each attempt of the group: its sums follow from the score's.
        self.r += scores - x * count
        self.rr += squares - 2 * x * scores + x * count
        self.xr += x * (scores - count)

    def correlation(self) -> float | None:
        if self.n < 2:
            return None
        n = self.n
        covariance = self.xr * n - self.x * self.r
        spread = (self.x * n - self.x * self.x) * (self.rr * n - self.r * self.r)
        # Everyone right (or wrong), or every rest-score equal: nothing to correlate.
        return covariance / sqrt(spread) if spread > 0 else None


def _counted(round_id: int):
    return and_(Attempt.round_id == round_id, Attempt.status == "submitted", Attempt.erased.is_(False))


def counted_attempts(round_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(_counted(round_id)))


def _order():
    # The shown order as stored: equal orders give equal text on both databases.
    return cast(AttemptItem.option_ids, Text)


def analyse(round_id: int) -> list[ItemStats]:
    """The round's questions with their figures: those that may have a wrong key first, then
    by discrimination from the lowest (the least telling), then by question id."""
    order = _order()
    groups = db.session.execute(
        select(AttemptItem.question_id, AttemptItem.question_revision, order, AttemptItem.correct_key,
               AttemptItem.chosen, func.count(), func.sum(Attempt.correct_count),
               func.sum(Attempt.correct_count * Attempt.correct_count))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(_counted(round_id))
        .group_by(AttemptItem.question_id, AttemptItem.question_revision, order, AttemptItem.correct_key,
                  AttemptItem.chosen)
    ).all()
    orders: dict[str, list[int]] = {}
    sums: dict[int, _Sums] = defaultdict(_Sums)
    chosen: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    keys: dict[int, set[int]] = defaultdict(set)
    tallies: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # answered, correct
    revisions: dict[int, set[int]] = defaultdict(set)
    for question_id, revision, shown, key, choice, count, scores, squares in groups:
        option_ids = orders.get(shown) or orders.setdefault(shown, json.loads(shown))
        right = choice is not None and choice == key
        sums[question_id].add(count, right, int(scores or 0), int(squares or 0))
        keys[question_id].update(option_ids[index] for index in parse_indexes(key))
        for index in parse_indexes(choice):
            chosen[question_id][option_ids[index]] += count
        tallies[question_id][0] += count if choice else 0
        tallies[question_id][1] += count if right else 0
        revisions[question_id].add(revision)
    versions = _versions(revisions)
    corrections = corrections_of(round_id)
    stats = []
    for question_id, total in sums.items():
        version = versions[question_id, max(revisions[question_id])]
        item = ItemStats(question_id, version.text, version.multiple, drawn=total.n,
                         answered=tallies[question_id][0], correct=tallies[question_id][1],
                         discrimination=total.correlation(), correction=corrections.get(question_id))
        item.options = [OptionCount(option_id, letter, text, chosen[question_id].get(option_id, 0),
                                    option_id in keys[question_id])
                        for option_id, letter, text in _options(versions, question_id, revisions[question_id])]
        _judge(item)
        stats.append(item)
    stats.sort(key=lambda item: (not item.warning, item.discrimination is None,
                                 item.discrimination or 0.0, item.question_id))
    return stats


def quick_to_analyse(round_id: int) -> bool:
    """Whether the analysis fits in a web request: at most ``ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS``
    counted attempts (counted no further than that)."""
    limit = int(current_app.config["ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS"])
    sample = select(Attempt.id).where(_counted(round_id)).limit(limit + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(sample)) <= limit


def stamp(round_id: int) -> tuple[str, str]:
    """What a big round's kept analysis was computed from: the round's key corrections, then
    its counted attempts. An analysis with the same corrections may be shown for a while
    whatever came in since; one from before a correction never is."""
    corrections = db.session.execute(select(func.count(KeyCorrection.id), func.max(KeyCorrection.corrected_at))
                                     .where(KeyCorrection.round_id == round_id)).one()
    latest = corrections[1].timestamp() if corrections[1] is not None else 0
    return f"c{corrections[0]}-{latest:.0f}", f"n{counted_attempts(round_id)}"


def job_key(round_id: int, corrections: str, attempts: str = "") -> str:
    """The key of a background job's analysis of the round; without ``attempts``, the prefix
    every analysis with those corrections shares."""
    return f"judging:items:round:{round_id}:{corrections}:{attempts}"


@dataclass
class Analysis:
    """A round's analysis as a page shows it: the questions, how many attempts they were
    counted over, and when a background job computed it (None: for this request)."""

    stats: list[ItemStats]
    attempts: int
    computed_at: datetime | None = None


def analysis_now(round_id: int) -> Analysis:
    return Analysis(analyse(round_id), counted_attempts(round_id))


# A small round's analysis, as this worker last computed it, per app: (round id) → (stamp, when,
# analysis). The dashboard is opened often and each analysis is a grouped scan of the round
# (about 1 s near the inline limit); the stamp (its corrections and counted attempts) tells a
# stale one, and the age bounds what the stamp cannot see (an erasure and a submission between
# two looks, or two corrections in one second on another worker).
CACHE_SECONDS = 60
CACHED_ROUNDS = 64
_cache_lock = threading.Lock()


def _recent() -> dict[int, tuple[tuple[str, str], datetime, Analysis]]:
    return current_app.extensions.setdefault("quizapp.item_analyses", {})


def analysis_cached(round_id: int, *, fresh: bool = False) -> Analysis:
    """A small round's analysis, reused from this worker's last one while the round's ``stamp``
    is the same and it is under ``CACHE_SECONDS`` old (``fresh``: computed again). Shown with the
    time it was computed."""
    now = clock.now()
    current = stamp(round_id)
    recent = _recent()
    kept = recent.get(round_id)
    if not fresh and kept is not None and kept[0] == current and (now - kept[1]).total_seconds() < CACHE_SECONDS:
        return kept[2]
    analysis = Analysis(analyse(round_id), counted_attempts(round_id), now)
    with _cache_lock:
        if round_id not in recent and len(recent) >= CACHED_ROUNDS:
            del recent[min(recent, key=lambda held: recent[held][1])]  # the oldest one only
        recent[round_id] = (current, now, analysis)
    return analysis


def forget_cached(round_id: int) -> None:
    with _cache_lock:
        _recent().pop(round_id, None)


def to_json(analysis: Analysis) -> bytes:
    """The analysis as a background job keeps it (no corrections: those are read when shown)."""
    return json.dumps({"attempts": analysis.attempts, "questions": [{
        "question_id": item.question_id, "text": item.text, "multiple": item.multiple, "drawn": item.drawn,
        "answered": item.answered, "correct": item.correct, "discrimination": item.discrimination,
        "wrong_key_reasons": item.wrong_key_reasons, "notes": item.notes,
        "options": [[option.option_id, option.letter, option.text, option.chosen, option.key]
                    for option in item.options],
    } for item in analysis.stats]}, ensure_ascii=False).encode("utf-8")


def from_job(job: Job, round_id: int) -> Analysis:
    """The analysis a finished ``judging.items`` job kept."""
    data = json.loads(b"".join(chunks(job)))
    corrections = corrections_of(round_id)
    stats = []
    for entry in data["questions"]:
        options = [OptionCount(*option) for option in entry.pop("options")]
        stats.append(ItemStats(**entry, options=options, correction=corrections.get(entry["question_id"])))
    return Analysis(stats, data["attempts"], job.finished_at)


def recent_analysis(round_id: int, max_age_seconds: int | None = None) -> Analysis | None:
    """The latest analysis a background job made of the round with its current key corrections
    (judging.jobs ``start_item_analysis``), if any and, with ``max_age_seconds``, that young."""
    corrections, _attempts = stamp(round_id)
    job = db.session.scalar(
        select(Job).where(Job.key.startswith(job_key(round_id, corrections), autoescape=True),
                          Job.status == "finished").order_by(Job.finished_at.desc()).limit(1))
    if job is None or (max_age_seconds is not None
                       and (clock.now() - job.finished_at).total_seconds() > max_age_seconds):
        return None
    return from_job(job, round_id)


def questions_to_review(round_: Round, limit: int) -> list[QuestionNote] | None:
    """The organisers' dashboard's short list (contests.dashboard): the first questions of the
    analysis, a possibly wrong key first. A big round's only once a judge's view or download
    has had it made: the dashboard is opened often and must stay quick."""
    if quick_to_analyse(round_.id):
        stats = analysis_cached(round_.id).stats
    else:
        recent = recent_analysis(round_.id)
        if recent is None:
            return None
        stats = recent.stats
    return [QuestionNote(item.question_id, item.text, item.facility, item.discrimination, item.warning)
            for item in stats[:limit]]


def init_app(app: Flask) -> None:
    lend_questions_to_review(app, questions_to_review)


def _judge(item: ItemStats) -> None:
    """The warning and notes a question's figures earn, once there are enough attempts."""
    if item.drawn < WARN_AFTER:
        return
    if item.discrimination is not None and item.discrimination < 0:
        item.wrong_key_reasons.append("Độ phân biệt âm: người có điểm thấp lại làm đúng câu này nhiều hơn")
    most_chosen_key = max((option.chosen for option in item.options if option.key), default=0)
    for option in item.options:
        if not option.key and option.chosen > most_chosen_key:
            item.wrong_key_reasons.append(f"Phương án {option.letter} (không phải đáp án) được chọn nhiều hơn đáp án")
    facility = item.facility
    if facility >= EASY_FACILITY:
        item.notes.append(TOO_EASY)
    elif facility <= HARD_FACILITY:
        item.notes.append(TOO_HARD)


def _versions(revisions: dict[int, set[int]]) -> dict[tuple[int, int], QuestionVersion]:
    wanted = [(question_id, revision) for question_id, held in revisions.items() for revision in held]
    if not wanted:
        return {}
    found = db.session.scalars(select(QuestionVersion).where(
        tuple_(QuestionVersion.question_id, QuestionVersion.revision).in_(wanted)))
    return {(version.question_id, version.revision): version for version in found}


def _options(versions, question_id: int, held: set[int]) -> list[tuple[int, str, str]]:
    """The options of a question as the round's revisions hold them, the newest first:
    ``(option id, letter, text)`` in the bank's order."""
    seen: dict[int, tuple[int, str, str]] = {}
    for revision in sorted(held, reverse=True):
        for position, option in enumerate(versions[question_id, revision].options):
            seen.setdefault(option["id"], (option["id"], LETTERS[position], option["text"]))
    return sorted(seen.values(), key=lambda option: (option[1], option[0]))


def csv_rows(stats: list[ItemStats]):
    """The analysis as the CSV's rows (``HEADER``, then one count per option letter)."""
    width = max((len(item.options) for item in stats), default=0)
    for item in stats:
        counts = {option.letter: option.chosen for option in item.options}
        facility = item.facility
        yield [item.text, item.answered, None if facility is None else round(facility * 100, 1),
               None if item.discrimination is None else round(item.discrimination, 2),
               "; ".join([item.warning, *item.wrong_key_reasons]) if item.warning else "",
               item.question_id, item.drawn, item.correct, item.key_letters, ", ".join(item.notes),
               *(counts.get(letter, "") for letter in LETTERS[:width])]


def csv_header(stats: list[ItemStats]) -> list[str]:
    width = max((len(item.options) for item in stats), default=0)
    return [*HEADER, *(f"Chọn {letter}" for letter in LETTERS[:width])]


# --- key corrections ---------------------------------------------------------------------


def corrections_of(round_id: int) -> dict[int, KeyCorrection]:
    """The round's key corrections, by question id."""
    return {correction.question_id: correction for correction in db.session.scalars(
        select(KeyCorrection).where(KeyCorrection.round_id == round_id))}


def drawn_in(round_id: int, question_id: int) -> bool:
    """Whether any attempt of the round drew the question."""
    return db.session.scalar(select(AttemptItem.id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
                             .where(Attempt.round_id == round_id, AttemptItem.question_id == question_id)
                             .limit(1)) is not None


@dataclass(frozen=True)
class Corrected:
    question_id: int
    rescored: int  # submitted attempts that drew the question, scored again
    changed: int  # of them, those whose score changed


def correct_key(round_: Round, question_id: int, option_ids: list[int], reason: str | None, judge) -> Corrected:
    """Make ``option_ids`` (the bank's option ids) the key of ``question_id`` in this round only,
    and score again every submitted attempt that drew it. Audit-logged; never commits. Raises
    ``RoundStillOpen`` while the round can still take attempts, ``RoundLocked`` once it is
    locked, ``NotFound`` for a question the round never drew,
    ``ValidationFailed`` for a key or reason that cannot be."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed({"reason": ["Cần ghi lý do sửa đáp án."]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Lý do dài tối đa {MAX_REASON} ký tự."]})
    # The lock (judging.locking) takes the same row first: one of the two waits for the other.
    db.session.execute(select(Round.id).where(Round.id == round_.id).with_for_update(key_share=True))
    if locked_summary(round_.id) is not None:
        raise RoundLocked("Kết quả vòng thi đã khóa: không thể sửa đáp án của vòng này nữa.")
    if not round_finished(round_, clock.now()):
        raise RoundStillOpen()
    # The shown orders (a handful) with their keys, and how many submitted attempts drew each.
    drawn = db.session.execute(
        select(_order(), AttemptItem.correct_key, AttemptItem.multiple,
               func.count().filter(Attempt.status == "submitted"))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(AttemptItem.question_id == question_id, Attempt.round_id == round_.id)
        .group_by(_order(), AttemptItem.correct_key, AttemptItem.multiple)).all()
    if not drawn:
        raise NotFound("Vòng thi này không có câu hỏi này.")
    wanted = set(option_ids)
    previous: set[int] = set()
    new_keys: dict[str, str] = {}
    rescored = sum(submitted for *_shown, submitted in drawn)
    for shown, key, multiple, _submitted in drawn:
        order = json.loads(shown)
        previous.update(order[index] for index in parse_indexes(key))
        indexes = [index for index, option_id in enumerate(order) if option_id in wanted]
        if not indexes or (not multiple and len(indexes) != 1):
            raise ValidationFailed({"options": [
                "Câu hỏi nhiều lựa chọn cần ít nhất một phương án đúng." if multiple
                else "Câu hỏi một lựa chọn cần đúng một phương án đúng."]})
        new_keys[shown] = canonical(indexes)
    known = {option_id for shown in new_keys for option_id in json.loads(shown)}
    if not wanted <= known:
        raise ValidationFailed({"options": ["Phương án không thuộc câu hỏi này."]})
    if wanted == previous:
        raise ValidationFailed({"options": ["Đáp án chọn trùng với đáp án hiện tại của vòng thi."]})
    # Submits and expiries of the attempts not yet closed that drew the question wait for
    # this commit and then score with the new key.
    db.session.execute(
        select(Attempt.id).where(Attempt.round_id == round_.id, Attempt.status == "open",
                                 Attempt.id.in_(select(AttemptItem.attempt_id)
                                                .where(AttemptItem.question_id == question_id)))
        .order_by(Attempt.id).with_for_update(read=True)).all()
    items, attempts = AttemptItem.__table__, Attempt.__table__
    # In Core terms: the kept rankings' hook watches statements on the Attempt entity only.
    in_round = select(attempts.c.id).where(attempts.c.round_id == round_.id).correlate(None)
    of_question = and_(items.c.question_id == question_id, items.c.attempt_id.in_(in_round))
    new_key = case(new_keys, value=cast(items.c.option_ids, Text), else_=items.c.correct_key)
    # A submitted attempt's score moves by what this one item gains or loses, read before the
    # items change: only the attempts whose score changes are written (on a national round a
    # fraction of the 45,000 that drew a question), and no other item is read again.
    gain = case((items.c.chosen == new_key, 1), else_=0) - case((items.c.chosen == items.c.correct_key, 1), else_=0)
    moves = select(items.c.attempt_id, gain.label("gain")).where(of_question, gain != 0).subquery()
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == moves.c.attempt_id, Attempt.status == "submitted")
        .values(correct_count=Attempt.correct_count + moves.c.gain)
        # Names the round: its kept ranking and the standings over it are forgotten.
        .execution_options(attempt_rounds={round_.id}, synchronize_session=False)).rowcount
    db.session.execute(update(items).where(of_question).values(correct_key=new_key))
    provisional.forget([round_.contest_id])
    forget_cached(round_.id)
    _keep_record(round_.id, question_id, sorted(wanted), sorted(previous), reason, judge)
    audit.record("question.key_corrected", "round", round_.id,
                 before={"question_id": question_id, "option_ids": sorted(previous)},
                 after={"question_id": question_id, "option_ids": sorted(wanted), "reason": reason,
                        "rescored_attempts": rescored, "changed_scores": changed})
    db.session.flush()
    return Corrected(question_id, rescored, changed)


def _keep_record(round_id: int, question_id: int, option_ids: list[int], previous: list[int], reason: str,
                 judge) -> None:
    correction = db.session.scalar(select(KeyCorrection).where(KeyCorrection.round_id == round_id,
                                                               KeyCorrection.question_id == question_id))
    if correction is None:
        # The key before the first correction is the one the round drew; later ones keep it.
        correction = KeyCorrection(round_id=round_id, question_id=question_id, previous_option_ids=previous)
        db.session.add(correction)
    correction.option_ids = option_ids
    correction.reason = reason
    correction.corrected_by = judge.id if judge is not None else None
    correction.corrected_at = clock.now()
