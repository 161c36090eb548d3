"""Timed attempts through the JSON API: the rules of DESIGN §3 (1–4, 7) as a taker meets them.

Time is the server's: every test sets the app's clock and moves it instead of sleeping.
Races use real threads, one test client each on one signed-in session, released together
by a barrier, so the requests overlap on SQLite (WAL) and on PostgreSQL alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

import pytest
from sqlalchemy import insert

from quizapp import clock as server_clock
from quizapp.attempts import services as service
from quizapp.auth import services as accounts
from quizapp.auth.models import User, UserSession
from quizapp.auth.terms import on_paper
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from tests.attempt_support import (
    CLOSES,
    DURING,
    KEY_FIELDS,
    OPENS,
    Question,
    Taker,
    answer_key,
    attempt_rows,
    count_attempts,
    error_code,
    install_clock,
    one_round,
    parse_time,
    prediction,
    run_together,
    sign_up,
    simple_questions,
)
from tests.conftest import GENEROUS_LIMITS, PASSWORD


@pytest.fixture
def app(make_app):
    # These tests are about the database's rules, with many requests by one person at once;
    # the per-account rate limits (tests/test_rate_limits.py) would answer most with 429.
    return make_app(**GENEROUS_LIMITS)


@pytest.fixture
def clock(app):
    return install_clock(app)


def grace(app) -> timedelta:
    return timedelta(seconds=int(app.config["ATTEMPT_GRACE_SECONDS"]))


def wrong_option(question: dict, key: dict[int, set[str]]) -> str:
    return next(option["id"] for option in question["options"] if option["id"] not in key[question["id"]])


def selected(attempt: dict) -> dict[int, list[str]]:
    return {question["id"]: question["selected"] for question in attempt["questions"]}


def key_fields_in(value: object) -> set[str]:
    """Every field anywhere in a JSON value whose name would give the answer away."""
    if isinstance(value, dict):
        found = {name for name in value if name in KEY_FIELDS}
        for item in value.values():
            found |= key_fields_in(item)
        return found
    if isinstance(value, list):
        return set().union(*(key_fields_in(item) for item in value)) if value else set()
    return set()


# --- limits under races (rule 4) ----------------------------------------------------------


def test_twenty_concurrent_starts_make_one_open_attempt(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, max_attempts=3)
    taker = sign_up(app)
    phones = [taker.twin() for _ in range(20)]

    responses = run_together([partial(phone.start, round_id) for phone in phones])

    assert Counter(response.status_code for response in responses) == {201: 1, 200: 19}
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert [(number, status) for _id, number, status in attempt_rows(app, round_id, taker.user_id)] == [(1, "open")]


def test_concurrent_start_and_submit_cycles_stop_at_the_limit(app, tmp_path):
    install_clock(app, ticking=True)
    round_id = one_round(app, tmp_path, max_attempts=3)
    taker = sign_up(app)

    def cycle(phone: Taker) -> tuple[list[tuple[int, int]], str | None]:
        """Start (or resume) and submit until refused; return the starts and the refusal."""
        starts: list[tuple[int, int]] = []
        for _ in range(10):
            started = phone.start(round_id)
            if started.status_code == 409:
                return starts, error_code(started)
            assert started.status_code in (200, 201), started.get_json()
            attempt_id = started.get_json()["id"]
            submitted = phone.submit(attempt_id)
            assert submitted.status_code == 200, submitted.get_json()
            assert submitted.get_json()["status"] == "submitted"
            starts.append((started.status_code, attempt_id))
        return starts, None

    results = run_together([partial(cycle, taker.twin()) for _ in range(20)])

    assert {refusal for _starts, refusal in results} == {"attempt_limit_reached"}
    rows = attempt_rows(app, round_id, taker.user_id)
    assert [(number, status) for _id, number, status in rows] == [(1, "submitted"), (2, "submitted"), (3, "submitted")]
    created = sorted(attempt_id for starts, _refusal in results for status, attempt_id in starts if status == 201)
    assert created == sorted(attempt_id for attempt_id, _number, _status in rows)
    late = taker.start(round_id)
    assert (late.status_code, error_code(late)) == (409, "attempt_limit_reached")
    assert count_attempts(app, round_id=round_id) == 3


def test_two_concurrent_submits_give_one_submission(app, tmp_path):
    install_clock(app, ticking=True)
    round_id = one_round(app, tmp_path, questions=simple_questions("nop", 4), max_attempts=None,
                         review="after_submit")
    taker = sign_up(app)
    for _ in range(5):
        attempt = taker.started(round_id)
        key = answer_key(app, attempt)
        for question in attempt["questions"][:2]:
            assert taker.save(attempt["id"], question["id"], sorted(key[question["id"]])).status_code == 200

        first, second = run_together([partial(taker.twin().submit, attempt["id"]) for _ in range(2)])

        assert first.status_code == second.status_code == 200
        assert first.get_json() == second.get_json()
        assert first.get_json()["status"] == "submitted"
        assert first.get_json()["correct_count"] == 2
        result = taker.attempt(attempt["id"]).get_json()["result"]
        assert result["submitted_at"] == first.get_json()["submitted_at"]
        assert result["duration_ms"] == first.get_json()["duration_ms"]
    assert count_attempts(app, round_id=round_id, status="submitted") == 5


def test_an_answer_acknowledged_while_submitting_is_counted(app, tmp_path):
    """A save racing a submit either gets 200 and is in the score, or 409 and is not (rule 3)."""
    install_clock(app, ticking=True)
    round_id = one_round(app, tmp_path, questions=simple_questions("dua", 2), max_attempts=None,
                         review="after_submit")
    taker = sign_up(app)
    for _ in range(10):
        attempt = taker.started(round_id)
        question = attempt["questions"][0]
        right = sorted(answer_key(app, attempt)[question["id"]])

        saved, submitted = run_together([
            partial(taker.twin().save, attempt["id"], question["id"], right),
            partial(taker.twin().submit, attempt["id"]),
        ])

        assert submitted.status_code == 200
        assert saved.status_code in (200, 409), saved.get_json()
        stored = taker.attempt(attempt["id"]).get_json()
        acknowledged = saved.status_code == 200
        assert stored["result"]["correct_count"] == submitted.get_json()["correct_count"] == int(acknowledged)
        assert selected(stored)[question["id"]] == (right if acknowledged else [])


# --- the server owns time (rule 1) --------------------------------------------------------


@pytest.mark.parametrize(
    ("after_deadline", "accepted"),
    [
        (timedelta(0), True),
        (timedelta(seconds=4, milliseconds=999), True),
        ("grace", True),
        ("grace+1ms", False),
        (timedelta(minutes=10), False),
    ],
)
def test_saves_are_accepted_until_deadline_plus_grace(app, tmp_path, clock, after_deadline, accepted):
    round_id = one_round(app, tmp_path, time_limit=600, review="after_submit")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    deadline = parse_time(attempt["deadline"])
    assert deadline == parse_time(attempt["started_at"]) + timedelta(seconds=600) == DURING + timedelta(seconds=600)
    question = attempt["questions"][0]
    choice = [question["options"][1]["id"]]
    offsets = {"grace": grace(app), "grace+1ms": grace(app) + timedelta(milliseconds=1)}

    clock.set(deadline + offsets.get(after_deadline, after_deadline))
    response = taker.save(attempt["id"], question["id"], choice)

    if accepted:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["option_ids"] == choice
    else:
        assert (response.status_code, error_code(response)) == (409, "attempt_closed")
    stored = taker.attempt(attempt["id"]).get_json()
    assert selected(stored)[question["id"]] == (choice if accepted else [])


def test_an_expired_attempt_is_finalised_at_its_deadline_when_next_read(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, time_limit=600, max_attempts=2, review="after_submit")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    right, wrong = attempt["questions"][:2]
    clock.advance(minutes=3)
    assert taker.save(attempt["id"], right["id"], sorted(key[right["id"]])).status_code == 200
    assert taker.save(attempt["id"], wrong["id"], [wrong_option(wrong, key)]).status_code == 200
    deadline = parse_time(attempt["deadline"])

    clock.set(deadline + grace(app) + timedelta(seconds=1))
    assert attempt_rows(app, round_id, taker.user_id)[0][2] == "open"  # lazily: nothing ran at the deadline
    body = taker.attempt(attempt["id"]).get_json()

    assert body["status"] == "submitted"
    assert body["result"]["correct_count"] == 1
    assert body["result"]["expired"] is True
    assert body["result"]["duration_ms"] == 600_000
    assert parse_time(body["result"]["submitted_at"]) == deadline
    assert selected(body)[right["id"]] == sorted(key[right["id"]])
    assert selected(body)[wrong["id"]] == [wrong_option(wrong, key)]
    assert attempt_rows(app, round_id, taker.user_id)[0][2] == "submitted"
    again = taker.start(round_id)
    assert again.status_code == 201
    assert again.get_json()["id"] != attempt["id"] and again.get_json()["number"] == 2


def test_the_next_start_after_expiry_makes_a_new_attempt(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, time_limit=600, max_attempts=2, review="after_submit")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    assert taker.save(attempt["id"], question["id"], [question["options"][0]["id"]]).status_code == 200

    clock.set(parse_time(attempt["deadline"]) + grace(app) + timedelta(minutes=1))
    again = taker.start(round_id)

    assert again.status_code == 201 and again.get_json()["id"] != attempt["id"]
    old = taker.attempt(attempt["id"]).get_json()
    assert old["status"] == "submitted" and old["result"]["expired"] is True
    assert parse_time(old["result"]["submitted_at"]) == parse_time(attempt["deadline"])
    assert selected(old)[question["id"]] == [question["options"][0]["id"]]


def test_a_submit_within_the_grace_counts_as_at_the_deadline(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, time_limit=600, review="after_submit")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    clock.set(parse_time(attempt["deadline"]) + timedelta(seconds=3))

    body = taker.submit(attempt["id"]).get_json()

    assert parse_time(body["submitted_at"]) == parse_time(attempt["deadline"])
    assert body["duration_ms"] == 600_000


def test_the_deadline_never_passes_the_round_close(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, time_limit=600)
    taker = sign_up(app)
    clock.set(CLOSES - timedelta(minutes=4))

    attempt = taker.started(round_id)

    assert parse_time(attempt["deadline"]) == CLOSES
    assert parse_time(attempt["server_now"]) == CLOSES - timedelta(minutes=4)


def test_an_untimed_practice_attempt_ends_with_its_round(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, time_limit=None, max_attempts=None, practice=True)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    assert attempt["time_limit_seconds"] is None and parse_time(attempt["deadline"]) == CLOSES

    clock.set(CLOSES + grace(app) + timedelta(seconds=1))
    late = taker.save(attempt["id"], question["id"], [question["options"][0]["id"]])

    assert (late.status_code, error_code(late)) == (409, "attempt_closed")
    assert taker.attempt(attempt["id"]).get_json()["status"] == "submitted"


# --- starting and resuming ----------------------------------------------------------------


def test_a_resume_returns_the_same_attempt(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, questions=simple_questions("tiep", 6))
    taker = sign_up(app)
    first = taker.start(round_id)
    assert first.status_code == 201
    attempt = first.get_json()
    question = attempt["questions"][2]
    assert taker.save(attempt["id"], question["id"], [question["options"][3]["id"]]).status_code == 200
    clock.advance(minutes=4)

    for phone in (taker, taker.twin()):
        again = phone.start(round_id)
        assert again.status_code == 200
        body = again.get_json()
        assert (body["id"], body["number"], body["started_at"], body["deadline"]) == (
            attempt["id"], 1, attempt["started_at"], attempt["deadline"])
        assert [(q["id"], q["text"], q["options"]) for q in body["questions"]] == [
            (q["id"], q["text"], q["options"]) for q in attempt["questions"]]
        assert selected(body)[question["id"]] == [question["options"][3]["id"]]
    assert count_attempts(app, round_id=round_id) == 1


def test_a_start_that_finds_its_attempt_made_meanwhile_returns_that_one(app, tmp_path, clock, monkeypatch):
    """The loser of a race writes nothing (ON CONFLICT DO NOTHING, no savepoint to roll back to)
    and goes on in the same transaction to answer with the winner's attempt."""
    round_id = one_round(app, tmp_path, max_attempts=3)
    taker = sign_up(app)
    winner = {}

    def another_phone_wins() -> None:  # between the start's look at the attempts and its insert
        now = server_clock.now()
        winner["id"] = db.session.scalar(insert(Attempt).values(
            round_id=round_id, user_id=taker.user_id, number=1, max_attempts=3, status="open", started_at=now,
            deadline=now + timedelta(minutes=20), question_count=0).returning(Attempt.id))

    monkeypatch.setattr(service, "admit_start", another_phone_wins)
    response = taker.start(round_id)

    assert (response.status_code, response.get_json()["id"]) == (200, winner["id"])
    assert attempt_rows(app, round_id, taker.user_id) == [(winner["id"], 1, "open")]


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (OPENS - timedelta(seconds=1), 409),
        (OPENS, 201),
        (CLOSES - timedelta(seconds=1), 201),
        (CLOSES, 409),
        (CLOSES + timedelta(days=3), 409),
    ],
)
def test_attempts_start_only_while_the_round_is_open(app, tmp_path, clock, moment, status):
    round_id = one_round(app, tmp_path)
    taker = sign_up(app)
    clock.set(moment)

    response = taker.start(round_id)

    assert response.status_code == status
    if status == 409:
        assert error_code(response) == "round_not_open"
        assert count_attempts(app) == 0
    listed = {item["id"]: item for contest in taker.contests().get_json() for item in contest["rounds"]}
    expected = "upcoming" if moment < OPENS else "open" if moment < CLOSES else "closed"
    assert listed[round_id]["status"] == expected


def test_required_registration_fields_must_be_filled_first(app, tmp_path, clock):
    units = tmp_path / "units.csv"
    units.write_text("code,name,parent_code,headcount\nHN,Thành phố Hà Nội,,\n", encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["units", "load", str(units)]).exit_code == 0
    round_id = one_round(app, tmp_path, contest={"registration_fields": ["birth_date", "unit_code"]})
    bare = sign_up(app)
    half = sign_up(app, birth_date=date(1980, 1, 2))
    complete = sign_up(app, birth_date=date(1980, 1, 2), unit_code="HN")

    for taker in (bare, half):
        response = taker.start(round_id)
        assert (response.status_code, error_code(response)) == (422, "registration_incomplete")
    assert count_attempts(app) == 0
    assert complete.start(round_id).status_code == 201


def test_a_contest_password_is_asked_for_and_checked(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, contest={"password": "mat-khau-so-3"})
    taker, other = sign_up(app), sign_up(app)

    missing = taker.start(round_id)
    wrong = taker.start(round_id, {"password": "mat-khau-so-4"})
    assert (missing.status_code, error_code(missing)) == (403, "contest_password_required")
    assert (wrong.status_code, error_code(wrong)) == (403, "contest_password_wrong")
    assert count_attempts(app) == 0

    assert taker.start(round_id, {"password": "mat-khau-so-3"}).status_code == 201
    assert taker.start(round_id).status_code == 200  # resumed on the same session, no password again
    refused = other.start(round_id)
    assert (refused.status_code, error_code(refused)) == (403, "contest_password_required")


# --- whose attempt (rule 7) ---------------------------------------------------------------


def test_another_persons_attempt_is_not_found(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, prediction=prediction())
    owner, other = sign_up(app), sign_up(app)
    attempt = owner.started(round_id)
    other.started(round_id)
    question = attempt["questions"][0]
    option = question["options"][0]["id"]
    missing = other.attempt(10**9).get_json()

    responses = [
        other.attempt(attempt["id"]),
        other.save(attempt["id"], question["id"], [option]),
        other.save(attempt["id"], question["id"], []),
        other.predict(attempt["id"], 42),
        other.submit(attempt["id"]),
    ]

    for response in responses:
        assert (response.status_code, error_code(response)) == (404, "not_found")
    assert responses[0].get_json() == missing  # the same answer as for an attempt that does not exist
    mine = owner.attempt(attempt["id"]).get_json()
    assert mine["status"] == "open" and mine["prediction"] is None
    assert all(choice == [] for choice in selected(mine).values())


# --- saving answers (rule 3) --------------------------------------------------------------


MIXED = [
    *simple_questions("tron", 3),
    Question("Những phương án nào đúng (câu nhiều lựa chọn 1)?", ("m1 A", "m1 B", "m1 C", "m1 D"), "A,C", True),
    Question("Những phương án nào đúng (câu nhiều lựa chọn 2)?", ("m2 A", "m2 B", "m2 C", "m2 D"), "B,D", True),
]


class OpenAttempt(NamedTuple):
    taker: Taker
    attempt: dict
    singles: list[dict]
    multiples: list[dict]
    round_id: int


@pytest.fixture
def mixed(app, tmp_path, clock) -> OpenAttempt:
    """A taker with an open attempt of three single-select and two multiple-select questions."""
    round_id = one_round(app, tmp_path, questions=MIXED, review="after_submit", max_attempts=None)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    singles = [question for question in attempt["questions"] if not question["multiple"]]
    multiples = [question for question in attempt["questions"] if question["multiple"]]
    return OpenAttempt(taker, attempt, singles, multiples, round_id)


def test_an_option_of_another_question_is_invalid(app, mixed):
    taker, attempt, singles, _multiples, round_id = mixed
    first, second = singles[:2]
    assert taker.save(attempt["id"], first["id"], [first["options"][0]["id"]]).status_code == 200
    stranger = sign_up(app)
    theirs = next(q for q in stranger.started(round_id)["questions"] if q["id"] == first["id"])

    for foreign in ([second["options"][1]["id"]], [theirs["options"][1]["id"]],
                    [first["options"][1]["id"], second["options"][1]["id"]], ["khong-co-that"]):
        response = taker.save(attempt["id"], first["id"], foreign)
        assert (response.status_code, error_code(response)) == (422, "invalid_option"), foreign

    assert selected(taker.attempt(attempt["id"]).get_json())[first["id"]] == [first["options"][0]["id"]]


def test_an_option_id_past_the_shown_options_is_invalid(app, mixed):
    from quizapp.attempts.tokens import option_token

    taker, attempt, singles, _multiples, _round_id = mixed
    question = singles[0]
    with app.app_context():
        unseen = option_token(attempt["id"], question["id"], len(question["options"]))

    response = taker.save(attempt["id"], question["id"], [unseen])

    assert (response.status_code, error_code(response)) == (422, "invalid_option")


def test_a_single_select_question_takes_one_option(mixed):
    taker, attempt, singles, multiples, _round_id = mixed
    single, multiple = singles[0], multiples[0]
    assert taker.save(attempt["id"], single["id"], [single["options"][2]["id"]]).status_code == 200

    two = taker.save(attempt["id"], single["id"], [option["id"] for option in single["options"][:2]])
    several = taker.save(attempt["id"], multiple["id"], [option["id"] for option in multiple["options"][:3]])

    assert (two.status_code, error_code(two)) == (422, "invalid_option")
    assert several.status_code == 200
    after = selected(taker.attempt(attempt["id"]).get_json())
    assert after[single["id"]] == [single["options"][2]["id"]]
    assert sorted(after[multiple["id"]]) == sorted(option["id"] for option in multiple["options"][:3])


def test_a_stale_seq_never_overwrites_a_newer_answer(mixed):
    taker, attempt, singles, _multiples, _round_id = mixed
    question = singles[0]
    newer, older = question["options"][0]["id"], question["options"][1]["id"]
    assert taker.save(attempt["id"], question["id"], [newer], seq=5).status_code == 200

    for seq in (3, 5):  # a late retry of an older choice, and a replay with the same number
        late = taker.save(attempt["id"], question["id"], [older], seq=seq)
        assert late.status_code == 200
        assert late.get_json()["option_ids"] == [newer]  # the client learns what is kept
        assert selected(taker.attempt(attempt["id"]).get_json())[question["id"]] == [newer]

    assert taker.save(attempt["id"], question["id"], [older], seq=6).get_json()["option_ids"] == [older]
    assert selected(taker.attempt(attempt["id"]).get_json())[question["id"]] == [older]


def test_saving_nothing_clears_the_answer(mixed):
    taker, attempt, singles, multiples, _round_id = mixed
    for question in (singles[0], multiples[0]):
        assert taker.save(attempt["id"], question["id"], [question["options"][1]["id"]]).status_code == 200

        cleared = taker.save(attempt["id"], question["id"], [])

        assert cleared.status_code == 200 and cleared.get_json()["option_ids"] == []
        assert selected(taker.attempt(attempt["id"]).get_json())[question["id"]] == []


def test_a_repeated_save_is_harmless(mixed):
    taker, attempt, _singles, multiples, _round_id = mixed
    question = multiples[0]
    choice = [question["options"][3]["id"], question["options"][0]["id"]]

    responses = [taker.save(attempt["id"], question["id"], choice) for _ in range(3)]

    assert {response.status_code for response in responses} == {200}
    assert sorted(selected(taker.attempt(attempt["id"]).get_json())[question["id"]]) == sorted(choice)


# --- scoring ------------------------------------------------------------------------------


def test_correct_count_is_the_number_of_questions_answered_exactly_right(app, tmp_path, clock):
    questions = [
        *simple_questions("diem", 3),
        Question("Câu nhiều lựa chọn A-C?", ("mc A", "mc B", "mc C", "mc D"), "A,C", True),
        Question("Câu nhiều lựa chọn B-D?", ("md A", "md B", "md C", "md D"), "B,D", True),
        Question("Câu nhiều lựa chọn A-B-C?", ("me A", "me B", "me C", "me D"), "A,B,C", True),
        Question("Câu nhiều lựa chọn A-D?", ("mf A", "mf B", "mf C", "mf D"), "A,D", True),
    ]
    round_id = one_round(app, tmp_path, questions=questions, review="after_submit")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    by_text = {question["text"]: question for question in attempt["questions"]}
    singles = [by_text[question.text] for question in questions[:3]]
    ac, bd, abc, ad = (by_text[question.text] for question in questions[3:])
    every = {question["id"]: [option["id"] for option in question["options"]] for question in attempt["questions"]}

    def save(question: dict, choice) -> None:
        assert taker.save(attempt["id"], question["id"], list(choice)).status_code == 200

    save(singles[0], key[singles[0]["id"]])                       # right
    save(singles[1], [wrong_option(singles[1], key)])             # wrong; singles[2] unanswered
    save(ac, sorted(key[ac["id"]], reverse=True))                 # right, in any order
    save(bd, sorted(key[bd["id"]])[:1])                           # one of two: wrong
    save(abc, every[abc["id"]])                                   # every option: wrong
    save(ad, key[ad["id"]])
    save(ad, [wrong_option(ad, key)])
    save(ad, key[ad["id"]])                                       # changed back: right

    submitted = taker.submit(attempt["id"]).get_json()

    assert submitted["correct_count"] == 3
    assert taker.attempt(attempt["id"]).get_json()["result"]["correct_count"] == 3


# --- prediction ---------------------------------------------------------------------------


def test_a_locked_prediction_carries_over_and_cannot_change(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, prediction=prediction(locked=True), max_attempts=3)
    taker = sign_up(app)
    first = taker.started(round_id)
    assert taker.predict(first["id"], 12).status_code == 200
    assert taker.predict(first["id"], 120).status_code == 200  # corrected before the first attempt ends
    assert taker.submit(first["id"]).status_code == 200

    second = taker.started(round_id)
    changed = taker.predict(second["id"], 150)
    same = taker.predict(second["id"], 120)

    assert (second["prediction"], second["prediction_locked"]) == (120, True)
    assert (changed.status_code, error_code(changed)) == (409, "prediction_locked")
    assert same.status_code == 200
    assert taker.attempt(second["id"]).get_json()["prediction"] == 120
    assert taker.attempt(first["id"]).get_json()["prediction"] == 120


def test_an_unlocked_prediction_may_change(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, prediction=prediction(locked=False), max_attempts=3)
    taker = sign_up(app)
    first = taker.started(round_id)
    assert taker.predict(first["id"], 120).status_code == 200
    assert taker.predict(first["id"], 150).status_code == 200
    assert taker.submit(first["id"]).status_code == 200

    second = taker.started(round_id)

    assert second["prediction"] is None and second["prediction_locked"] is False
    assert taker.predict(second["id"], 90).status_code == 200
    assert taker.attempt(first["id"]).get_json()["prediction"] == 150


# --- review policies and the answer key (rule 2) ------------------------------------------


def reviewed(attempt: dict) -> bool:
    return any("correct" in question for question in attempt["questions"])


def test_after_submit_shows_the_key_and_explanations_after_submitting(app, tmp_path, clock):
    # A practice round, and no competitive round draws its bank: nothing holds the key back
    # (test_held_keys.py has the rounds that do).
    questions = simple_questions("sau-nop", 4)
    round_id = one_round(app, tmp_path, questions=questions, review="after_submit", practice=True,
                         time_limit=None, max_attempts=None)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    assert not reviewed(taker.attempt(attempt["id"]).get_json())

    submitted = taker.submit(attempt["id"]).get_json()
    body = taker.attempt(attempt["id"]).get_json()

    assert submitted["correct_count"] == 0 and body["result"]["correct_count"] == 0
    assert body["review_available"] is True
    explanations = {question.text: question.explanation for question in questions}
    for question in body["questions"]:
        assert set(question["correct"]) == key[question["id"]]
        assert question["explanation"] == explanations[question["text"]]


def test_score_only_shows_the_score_and_never_the_key(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, review="score_only")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    question = attempt["questions"][0]
    assert taker.save(attempt["id"], question["id"], sorted(key[question["id"]])).status_code == 200

    submitted = taker.submit(attempt["id"]).get_json()
    assert submitted["correct_count"] == 1
    for moment in (DURING + timedelta(hours=1), CLOSES, CLOSES + timedelta(days=30)):
        clock.set(moment)
        body = taker.attempt(attempt["id"]).get_json()
        assert body["result"]["correct_count"] == 1
        assert body["review_available"] is False
        assert key_fields_in(body) == set()


def test_after_close_shows_neither_score_nor_key_until_the_round_closes(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, review="after_close")
    taker = sign_up(app)
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    question = attempt["questions"][0]
    assert taker.save(attempt["id"], question["id"], sorted(key[question["id"]])).status_code == 200

    submitted = taker.submit(attempt["id"]).get_json()
    assert submitted["correct_count"] is None
    for moment in (DURING + timedelta(hours=1), CLOSES - timedelta(seconds=1)):
        clock.set(moment)
        body = taker.attempt(attempt["id"]).get_json()
        assert body["result"] is None and body["review_available"] is False
        assert key_fields_in(body) == set()

    clock.set(CLOSES + timedelta(minutes=1))
    body = taker.attempt(attempt["id"]).get_json()
    assert body["result"]["correct_count"] == 1
    assert body["review_available"] is True
    assert {q["id"]: set(q["correct"]) for q in body["questions"]} == key
    assert all("explanation" in q for q in body["questions"])


def test_no_one_can_answer_after_the_key_is_shown(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, review="after_close")
    early, late = sign_up(app), sign_up(app)
    clock.set(CLOSES - timedelta(minutes=20))
    done = early.started(round_id)
    assert early.submit(done["id"]).status_code == 200
    clock.set(CLOSES - timedelta(minutes=5))
    still_open = late.started(round_id)
    assert parse_time(still_open["deadline"]) == CLOSES

    clock.set(CLOSES + timedelta(seconds=1))
    shown = early.attempt(done["id"]).get_json()
    key = {question["id"]: question.get("correct") for question in shown["questions"]}
    clock.set(CLOSES + timedelta(seconds=2))
    question = still_open["questions"][0]
    copied = late.save(still_open["id"], question["id"], [question["options"][0]["id"]])

    assert not (key[question["id"]] and copied.status_code == 200), (
        "the key was shown at the close and an answer was still accepted after it")


def test_no_taker_facing_response_tells_the_key_before_the_policy_allows(app, tmp_path, clock):
    """Every JSON answer of the API, for open attempts and for submitted ones until the round's
    policy allows a review, carries no field that names the correct option."""
    policies = ("after_submit", "score_only", "after_close")
    rounds = {policy: one_round(app, tmp_path, f"lo-{policy.replace('_', '-')}", review=policy,
                                prediction=prediction(), max_attempts=None) for policy in policies}
    taker = sign_up(app)
    allowed_later: dict[str, tuple[int, Taker]] = {}
    for policy, round_id in rounds.items():
        phone = taker.twin()
        phone.contests()
        attempt = phone.started(round_id)
        phone.started(round_id)
        key = answer_key(app, attempt)
        first, second = attempt["questions"][:2]
        phone.save(attempt["id"], first["id"], sorted(key[first["id"]]), seq=2)
        phone.save(attempt["id"], first["id"], [wrong_option(first, key)], seq=1)
        phone.save(attempt["id"], first["id"], [second["options"][0]["id"]])
        phone.save(attempt["id"], second["id"], [wrong_option(second, key)])
        phone.predict(attempt["id"], 7)
        phone.attempt(attempt["id"])
        phone.submit(attempt["id"])
        if policy != "after_submit":
            phone.submit(attempt["id"])
            phone.attempt(attempt["id"])
            phone.contests()
        assert [status for _m, _p, status, _b in phone.log if status >= 500] == []
        for method, path, status, body in phone.log:
            assert key_fields_in(body) == set(), (policy, method, path, status)
            shown = body.get("questions", []) if isinstance(body, dict) else []
            options = [option for question in shown for option in question["options"]]
            assert all(isinstance(option["id"], str) and not option["id"].isdigit() for option in options)
        allowed_later[policy] = (attempt["id"], phone)

    # The checks above could not pass by missing the key: once allowed, it is there. The
    # after_submit round is competitive and still open, so its own key waits for its close.
    attempt_id, phone = allowed_later["after_submit"]
    assert phone.attempt(attempt_id).get_json()["key_held_until"] == CLOSES.isoformat()
    clock.set(CLOSES + timedelta(minutes=1))
    for policy in ("after_submit", "after_close"):
        attempt_id, phone = allowed_later[policy]
        assert key_fields_in(phone.attempt(attempt_id).get_json()) >= {"correct", "explanation"}
    attempt_id, phone = allowed_later["score_only"]
    assert key_fields_in(phone.attempt(attempt_id).get_json()) == set()


def test_the_correct_options_position_and_id_carry_no_signal(app, tmp_path, clock):
    """The bank always lists the correct option first; what takers see must not show it."""
    questions = simple_questions("vi-tri", 5, answer="A")
    round_id = one_round(app, tmp_path, questions=questions, max_attempts=1)
    correct_text = {question.text: question.options[0] for question in questions}
    with app.app_context():
        users = [accounts.register_user(phone=f"09{index:08d}", password=PASSWORD, full_name=f"Người thi {index}",
                                        consent=on_paper())
                 for index in range(300)]
        # Signed in without 300 password checks: a session record each, named in the cookie.
        db.session.add_all(UserSession(id=f"s{user.id}", user_id=user.id) for user in users)
        db.session.commit()
        users = [(user.id, user.phone, user.session_version) for user in users]
    client = app.test_client()
    positions: dict[str, Counter[int]] = defaultdict(Counter)
    ranks: Counter[int] = Counter()
    correct_ids: dict[str, list[str]] = defaultdict(list)

    for user_id, phone, version in users:
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = f"{user_id}.{version}.s{user_id}"
        attempt = Taker(app, client, user_id, phone).started(round_id)
        for question in attempt["questions"]:
            shown = [option["text"] for option in question["options"]]
            position = shown.index(correct_text[question["text"]])
            correct_id = question["options"][position]["id"]
            positions[question["text"]][position] += 1
            ranks[sorted(option["id"] for option in question["options"]).index(correct_id)] += 1
            correct_ids[question["text"]].append(correct_id)

    assert count_attempts(app, round_id=round_id) == 300
    overall = sum(positions.values(), Counter())
    for counts in [*positions.values(), overall, ranks]:
        total = sum(counts.values())
        shares = [counts[index] / total for index in range(4)]
        # Uniform is 25% each; 12%–38% is more than five standard deviations at 300 draws.
        assert all(0.12 <= share <= 0.38 for share in shares), shares
    for ids in correct_ids.values():
        assert len(set(ids)) == len(ids) == 300


# --- sessions -----------------------------------------------------------------------------


def test_a_save_on_an_ended_session_asks_to_sign_in_again(app, tmp_path, clock):
    round_id = one_round(app, tmp_path)
    taker = sign_up(app)
    old_phone = taker.twin()
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    with app.app_context():
        user = db.session.get(User, taker.user_id)
        accounts.change_password(user, PASSWORD, "mat-khau-moi-456")
        db.session.commit()

    read = old_phone.attempt(attempt["id"])
    saved = old_phone.save(attempt["id"], question["id"], [question["options"][0]["id"]])

    assert (read.status_code, error_code(read)) == (401, "login_required")
    assert (saved.status_code, error_code(saved)) == (401, "login_required")



def test_an_acknowledged_answer_is_committed(app, tmp_path, clock, suite_engine):
    """DESIGN §3 rule 3: once a save answers 200, another database connection sees it."""
    from sqlalchemy import text

    round_id = one_round(app, tmp_path, questions=simple_questions("ben", 4))
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][1]
    assert taker.save(attempt["id"], question["id"], [question["options"][2]["id"]]).status_code == 200
    with suite_engine.connect() as other:
        stored = other.execute(
            text("SELECT chosen FROM attempt_items WHERE attempt_id = :a AND question_id = :q"),
            {"a": attempt["id"], "q": question["id"]},
        ).scalar_one()
    assert stored == "2"
