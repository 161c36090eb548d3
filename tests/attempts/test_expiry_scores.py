"""DESIGN §3 rule 1: attempts still open after their deadline are closed together, in one batch
(attempts/services.py ``_close_expired`` and ``_score``), yet each is scored from its own saved
answers and timed from its own start to its own deadline. The expected figures come from what
the test itself did (the times it started at, the answers it chose, the bank's texts), never
from what the app stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from quizapp.attempts.services import finalise_expired
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from tests.attempt_support import CLOSES, install_clock, one_round, sign_up, simple_questions

LIMIT_SECONDS = 600
# When each taker starts, how many questions they answer right, then how many wrong. Those who
# start less than the time limit before the round closes have the close as their deadline.
PLANS = [
    (CLOSES - timedelta(hours=1), 3, 1),
    (CLOSES - timedelta(seconds=300), 1, 2),
    (CLOSES - timedelta(seconds=250), 5, 0),
    (CLOSES - timedelta(seconds=120), 0, 0),
    (CLOSES - timedelta(seconds=100), 0, 4),
]


def right_and_wrong(question: dict) -> tuple[str, str]:
    """The bank marks option A right (``simple_questions``): its text ends with "phương án A"."""
    [right] = [option["id"] for option in question["options"] if option["text"].endswith("phương án A")]
    wrong = next(option["id"] for option in question["options"] if option["id"] != right)
    return right, wrong


def test_attempts_closed_together_each_keep_their_own_score_and_duration(app, tmp_path):
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "het-gio", questions=simple_questions("het-gio", 5),
                         time_limit=LIMIT_SECONDS)
    expected = {}
    for started, right_count, wrong_count in PLANS:
        clock.set(started)
        taker = sign_up(app)
        attempt = taker.start(round_id).get_json()
        questions = attempt["questions"]
        for position, question in enumerate(questions[:right_count + wrong_count]):
            right, wrong = right_and_wrong(question)
            answer = taker.save(attempt["id"], question["id"], [right if position < right_count else wrong])
            assert answer.status_code == 200
        deadline = min(started + timedelta(seconds=LIMIT_SECONDS), CLOSES)
        expected[attempt["id"]] = (right_count, int((deadline - started).total_seconds() * 1000), deadline)

    clock.set(CLOSES + timedelta(minutes=5))
    with app.app_context():
        assert finalise_expired(round_id=round_id) == len(PLANS)
        db.session.commit()
        stored = {attempt.id: (attempt.correct_count, attempt.duration_ms, attempt.submitted_at)
                  for attempt in db.session.scalars(select(Attempt).where(Attempt.round_id == round_id))}
        assert all(attempt.status == "submitted" and attempt.expired
                   for attempt in db.session.scalars(select(Attempt).where(Attempt.round_id == round_id)))

    assert stored == expected
    # The plans differ in both, so an attempt scored or timed as another is caught.
    assert len({count for count, _, _ in expected.values()}) >= 4
    assert len({duration for _, duration, _ in expected.values()}) == len(PLANS)
