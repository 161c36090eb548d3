"""A review never shows a key that a competitive round can still ask (DESIGN §3 rule 2, issue 11):
not a practice round's review while a timed round of this or another contest draws the same
questions, not the taker's own after_submit round while it is open; and it says when the key
will appear, in the JSON of ``GET /api/v1/attempts/<id>`` and on the result page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quizapp.contests.services import validate_contest
from quizapp.demo import demo_contest_definition, load_demo_contest, load_sample_banks
from quizapp.extensions import db
from tests.attempt_support import (
    CLOSES,
    answer_key,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.attempts.test_attempts import key_fields_in
from tests.conftest import GENEROUS_LIMITS

QUESTIONS = simple_questions("chung", 4)
EXPLANATIONS = [question.explanation for question in QUESTIONS]
HELD = "Đáp án sẽ được công bố sau 09:00 ngày 13/05/2030"  # CLOSES in Hà Nội


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


@pytest.fixture
def clock(app):
    return install_clock(app)


def after_everything(app) -> timedelta:
    return timedelta(seconds=int(app.config["ATTEMPT_GRACE_SECONDS"]) + 1)


def practice() -> dict:
    return round_definition(2, bank="bank-chung", count=4, time_limit=None, max_attempts=None,
                            review="after_submit", practice=True, closes=CLOSES + timedelta(days=60))


def timed() -> dict:
    return round_definition(1, bank="bank-chung", count=4, review="after_close")


def submitted_attempt(app, round_id: int):
    """A taker's submitted attempt with the first answer right; returns (taker, attempt, key)."""
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    first = attempt["questions"][0]
    assert taker.save(attempt["id"], first["id"], sorted(key[first["id"]])).status_code == 200
    assert taker.submit(attempt["id"]).status_code == 200
    return taker, attempt, key


def assert_held(body: dict) -> None:
    assert body["review_available"] is True
    assert key_fields_in(body) == set()
    assert all("source" not in question for question in body["questions"])
    assert body["key_held_until"] == CLOSES.isoformat()
    assert all(question["key_held_until"] == CLOSES.isoformat() for question in body["questions"])


def assert_shown(body: dict, key: dict) -> None:
    assert body["key_held_until"] is None
    assert {question["id"]: set(question["correct"]) for question in body["questions"]} == key
    assert all("key_held_until" not in question for question in body["questions"])


def test_a_practice_review_hides_the_key_a_timed_round_of_the_same_contest_still_draws(app, tmp_path, clock):
    import_bank(app, tmp_path, "bank-chung", QUESTIONS)
    _timed_id, practice_id = load_contest(app, tmp_path, "tuan-va-thu", [timed(), practice()])
    taker, attempt, key = submitted_attempt(app, practice_id)

    assert_held(taker.attempt(attempt["id"]).get_json())

    clock.set(CLOSES + after_everything(app))
    assert_shown(taker.attempt(attempt["id"]).get_json(), key)


def test_a_practice_review_hides_the_key_another_organisations_timed_round_draws(app, tmp_path, clock):
    import_bank(app, tmp_path, "bank-chung", QUESTIONS)
    (practice_id,) = load_contest(app, tmp_path, "luyen-thi", [practice()])
    load_contest(app, tmp_path, "tinh-khac", [timed()])
    taker, attempt, key = submitted_attempt(app, practice_id)

    assert_held(taker.attempt(attempt["id"]).get_json())

    clock.set(CLOSES + after_everything(app))
    assert_shown(taker.attempt(attempt["id"]).get_json(), key)


def test_the_takers_own_after_submit_round_keeps_the_key_for_their_next_attempt(app, tmp_path, clock):
    import_bank(app, tmp_path, "bank-chung", QUESTIONS)
    (round_id,) = load_contest(app, tmp_path, "ba-luot", [
        round_definition(1, bank="bank-chung", count=4, review="after_submit", max_attempts=3)])
    taker, attempt, key = submitted_attempt(app, round_id)

    body = taker.attempt(attempt["id"]).get_json()
    assert body["result"]["correct_count"] == 1  # the policy still shows the score at once
    assert_held(body)

    clock.set(CLOSES + after_everything(app))
    assert_shown(taker.attempt(attempt["id"]).get_json(), key)


def test_the_result_page_says_when_the_held_key_appears_and_marks_nothing(app, tmp_path, clock):
    import_bank(app, tmp_path, "bank-chung", QUESTIONS)
    _timed_id, practice_id = load_contest(app, tmp_path, "trang-ket-qua", [timed(), practice()])
    taker, attempt, _key = submitted_attempt(app, practice_id)
    url = f"/contests/attempts/{attempt['id']}/result"

    html = taker.client.get(url).get_data(as_text=True)
    assert f"{HELD}." in html
    assert html.count(HELD) == 1 + len(QUESTIONS)  # once for the page, once per question
    assert "Đáp án đúng" not in html and "Trả lời đúng" not in html and "Trả lời sai" not in html
    assert "correct" not in html.lower()
    assert not any(explanation in html for explanation in EXPLANATIONS)

    clock.set(CLOSES + after_everything(app))
    html = taker.client.get(url).get_data(as_text=True)
    assert HELD not in html and html.count("Đáp án đúng") == len(QUESTIONS)
    assert all(explanation in html for explanation in EXPLANATIONS)


def test_the_demo_contest_shows_no_key_while_its_timed_round_is_open(app, clock):
    """Issue 11: the demo shipped round 1 as after_submit with 3 attempts counted best, so the
    first attempt's review answered the other two."""
    with app.app_context():
        load_sample_banks()
        assert validate_contest(demo_contest_definition(clock()))["warnings"] == []
        contest = load_demo_contest()
        db.session.commit()
        timed, closes = contest.rounds[0].id, contest.rounds[0].closes_at
        practice_id = contest.rounds[1].id
    taker = sign_up(app)
    # Its practice round draws other banks: its review keeps teaching at once.
    tried = taker.started(practice_id)
    assert taker.submit(tried["id"]).status_code == 200
    assert key_fields_in(taker.attempt(tried["id"]).get_json()) >= {"correct", "explanation"}

    first = taker.started(timed)
    assert taker.submit(first["id"]).status_code == 200

    assert key_fields_in(taker.attempt(first["id"]).get_json()) == set()

    clock.set(closes + after_everything(app))
    assert key_fields_in(taker.attempt(first["id"]).get_json()) >= {"correct", "explanation"}
