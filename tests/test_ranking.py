"""The SQL ranking (quizapp/judging/ranking.py) against a plain Python oracle
(tests/ranking_oracle.py), row for row, on a generated round with ties on every key."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.judging.ranking import Rules, rank
from tests.attempt_support import DURING, install_clock, one_round, simple_questions
from tests.ranking_oracle import Row, oracle_rank

KEYS = ("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc", "attempts_used_asc")
PEOPLE = 900
QUESTIONS = 5


@pytest.fixture(scope="module")
def orders() -> list[tuple[str, ...]]:
    """Every order of the five keys would be 120; these put each key first, last and in the
    middle, and include the design's usual order."""
    rng = random.Random(6)
    chosen = {("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc"), KEYS, KEYS[::-1]}
    for first in KEYS:
        rest = [key for key in KEYS if key != first]
        rng.shuffle(rest)
        chosen.add((first, *rest))
    return sorted(chosen)


@pytest.fixture
def generated(app, tmp_path) -> tuple[int, list[Row]]:
    """A round of PEOPLE people with 1-4 attempts each (over 2,000), ties on every key, some
    attempts open, some disqualified, some without a prediction."""
    install_clock(app)
    round_id = one_round(app, tmp_path, "xep-hang", questions=simple_questions("xh", QUESTIONS), max_attempts=None)
    rng = random.Random(2024)
    with app.app_context():
        db.session.execute(insert(User), [
            {"phone": f"0966{number:06d}", "password_hash": "x", "full_name": f"Người {number}"}
            for number in range(PEOPLE)])
        user_ids = list(db.session.scalars(select(User.id).where(User.phone.like("0966%")).order_by(User.id)))
        moments = [DURING + timedelta(minutes=minute) for minute in range(0, 40, 5)]
        rows = []
        for user_id in user_ids:
            count = rng.randint(1, 4)
            for number in range(1, count + 1):
                is_open = number == count and rng.random() < 0.05
                started = rng.choice(moments)
                rows.append({
                    "round_id": round_id, "user_id": user_id, "number": number, "max_attempts": None,
                    "status": "open" if is_open else "submitted", "started_at": started,
                    "deadline": started + timedelta(minutes=10), "question_count": QUESTIONS,
                    "submitted_at": None if is_open else started + timedelta(minutes=rng.choice([1, 2])),
                    "correct_count": None if is_open else rng.choice([3, 4, 5, 5]),
                    "duration_ms": None if is_open else rng.choice([60_000, 90_000, 120_000]),
                    "prediction": rng.choice([None, 560, 600, 640, 700, 1500, 2000]),
                    "expired": False, "disqualified": not is_open and rng.random() < 0.04,
                })
        db.session.execute(insert(Attempt), rows)
        db.session.commit()
        oracle_rows = [Row(a.id, a.user_id, a.number, a.status, a.disqualified, a.correct_count, a.question_count,
                           a.prediction, a.duration_ms, a.submitted_at)
                       for a in db.session.scalars(select(Attempt).where(Attempt.round_id == round_id))]
    assert len(oracle_rows) >= 2000
    return round_id, oracle_rows


def test_the_sql_ranking_matches_the_oracle_for_every_rule(app, generated, orders):
    round_id, rows = generated
    combinations = list(itertools.product(orders, ("best", "first", "last"),
                                          ("participants", "attempts", "participants_all_correct", None),
                                          (False, True)))
    with app.app_context():
        for order, counting, truth, locked in combinations:
            rules = Rules(order, counting, truth, locked)
            ranked = [(row.place, row.attempt_id) for row in rank(round_id, rules)]
            expected = oracle_rank(rows, list(order), counting, truth, locked)
            assert ranked == expected, (rules, _first_difference(ranked, expected))
    assert len(orders) >= 8 and len(combinations) == len(orders) * 24


def test_the_ranking_is_the_same_every_time(app, generated):
    round_id, _rows = generated
    rules = Rules(("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc"), "best",
                  "participants_all_correct", False)
    with app.app_context():
        first = rank(round_id, rules)
        again = rank(round_id, rules)
    assert first == again and len({row.user_id for row in first}) == len(first)


def _first_difference(got, expected):
    for index, (left, right) in enumerate(zip(got, expected, strict=False)):
        if left != right:
            return index, left, right
    return len(got), len(expected)
