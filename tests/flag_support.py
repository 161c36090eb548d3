"""Helpers for the tests of suspicion flags (tests/flags/) and of the judges' decisions on them
(tests/judging/test_decisions.py)."""

from __future__ import annotations

import re

from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.flags.models import Flag
from tests.conftest import Accounts


def take(taker, round_id, clock, *, seconds_per_answer: float, right: bool = True) -> dict:
    """Start, answer every question (the first option, which the banks mark right) a fixed
    time apart, and submit."""
    attempt = taker.started(round_id)
    for question in attempt["questions"]:
        clock.advance(seconds=seconds_per_answer)
        option = next(o for o in question["options"] if ("phương án A" in o["text"]) == right)
        assert taker.save(attempt["id"], question["id"], [option["id"]]).status_code == 200
    clock.advance(seconds=1)
    assert taker.submit(attempt["id"]).status_code == 200
    return attempt


def flags_of(app, attempt_id: int) -> dict[str, dict]:
    with app.app_context():
        flags = db.session.scalars(select(Flag).where(Flag.attempt_id == attempt_id))
        return {flag.kind: flag.evidence for flag in flags}


def judge_client(app, round_id: int):
    """A client signed in as a judge of the round's contest."""
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def attempt_disqualified(app, attempt_id: int) -> bool:
    with app.app_context():
        return db.session.get(Attempt, attempt_id).disqualified


def ranking_rows(html: str) -> list[str]:
    section = html[html.index("Xếp hạng theo thể lệ"):]
    return re.findall(r"<tr><td>\d+</td><td>[^<]*</td><td>(0\d{9})</td>", section)
