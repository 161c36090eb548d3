"""The public results page of a locked round: winners with masked phones, the answer key,
participation by unit; no full phone number anywhere in its HTML (DESIGN §3 rule 7)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import distinct, func, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.units.models import Unit
from tests.attempt_support import CLOSES, install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, Accounts, csrf_token


def test_a_locked_round_publishes_winners_key_and_participation_without_phone_numbers(make_app, tmp_path, auth):
    app = make_app(**GENEROUS_LIMITS)
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "cong-bo", questions=simple_questions("cb", 4), max_attempts=None)
    with app.app_context():
        db.session.add_all([Unit(code="P1", name="Phường Một"), Unit(code="P2", name="Phường Hai")])
        db.session.commit()
    takers = [sign_up(app, full_name=f"Người Dự Thi {number}", unit_code="P1" if number % 3 else "P2")
              for number in range(7)]
    for number, taker in enumerate(takers):
        attempt = taker.started(round_id)
        for question in attempt["questions"][: 1 + number % 4]:
            clock.advance(seconds=15)
            taker.save(attempt["id"], question["id"], [next(o["id"] for o in question["options"]
                                                            if "phương án A" in o["text"])])
        taker.submit(attempt["id"])
    anonymous = app.test_client()
    url = "/contests/cong-bo/rounds/1/results"
    assert anonymous.get(url).status_code == 404  # nothing before the lock

    clock.set(CLOSES + timedelta(minutes=1))
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    judge.post(f"/judging/rounds/{round_id}/lock", data={"csrf_token": csrf_token(judge)})
    page = anonymous.get(url)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The checksum is hex and may hold ten digits in a row; it is no phone number.
    scanned = re.sub(r'<code id="checksum">[0-9a-f]{64}</code>', "", html)
    assert not re.search(r"0\d{9}", scanned), "a full phone number is on the public page"
    assert not re.search(r"\d{4}-\d{2}-\d{2}", html)  # no birth dates either
    assert re.search(r"09xx xxx \d{3}", html)
    assert "Người Dự Thi 6" in html or "Người Dự Thi 3" in html
    with app.app_context():
        people = db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(Attempt.round_id == round_id))
        attempts = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.round_id == round_id))
        in_p1 = db.session.scalar(select(func.count()).select_from(User).join(Unit).where(Unit.code == "P1"))
    assert f'id="people">{people}<' in html and f'id="attempts">{attempts}<' in html
    assert f"Phường Một: {in_p1} người" in html
    assert "cb câu 1 phương án A" in html  # the answer key
