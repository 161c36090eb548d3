"""A generated round for the ranking and export tests: many people, ties on every key."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from tests.attempt_support import DURING, install_clock, one_round, simple_questions
from tests.ranking_oracle import Row

PEOPLE = 900
QUESTIONS = 5


def generate_round(app, tmp_path, people: int = PEOPLE) -> tuple[int, list[Row]]:
    """A round of PEOPLE people with 1-4 attempts each (over 2,000), ties on every key, some
    attempts open, some disqualified, some without a prediction."""
    install_clock(app)
    round_id = one_round(app, tmp_path, "xep-hang", questions=simple_questions("xh", QUESTIONS), max_attempts=None)
    rng = random.Random(2024)
    with app.app_context():
        db.session.execute(insert(User), [
            {"phone": f"0966{number:06d}", "password_hash": "x", "full_name": f"Người {number}"}
            for number in range(people)])
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
    return round_id, oracle_rows


