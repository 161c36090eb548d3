"""The SQL ranking (quizapp/judging/ranking.py) against a plain Python oracle
(tests/ranking_oracle.py), row for row, on a generated round with ties on every key."""

from __future__ import annotations

import itertools
import random

import pytest

from quizapp.judging.ranking import Rules, rank
from tests.ranking_oracle import Row, oracle_rank
from tests.ranking_support import generate_round

KEYS = ("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc", "attempts_used_asc")


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
    round_id, rows = generate_round(app, tmp_path)
    assert len(rows) >= 2000
    return round_id, rows


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


def test_every_order_of_the_five_keys_matches_the_oracle(app, generated):
    """All 120 orders of the tie-break keys, for each counting rule (with the truth that depends
    on the counting attempt, and a locked prediction)."""
    round_id, rows = generated
    with app.app_context():
        for order in itertools.permutations(KEYS):
            for counting in ("best", "first", "last"):
                rules = Rules(order, counting, "participants_all_correct", True)
                ranked = [(row.place, row.attempt_id) for row in rank(round_id, rules)]
                assert ranked == oracle_rank(rows, list(order), counting, "participants_all_correct", True), rules
