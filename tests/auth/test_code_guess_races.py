"""Parallel wrong guesses at one code (auth/codes.py ``_redeem``): the try is counted by the same
statement that finds the live code, so however many guesses arrive at once, no more than
``CODE_MAX_TRIES`` of them are ever checked against the code, and then the code is dead, the
right one included."""

from __future__ import annotations

import threading

from sqlalchemy import select

from quizapp.auth import codes
from quizapp.auth.models import OneTimeCode
from quizapp.extensions import db
from tests.attempt_support import error_code, run_together
from tests.auth.test_password_reset import KNOWN, code_sent, confirm

GUESSES = 16


def test_parallel_wrong_guesses_get_no_more_checks_than_the_try_limit(make_app, auth, tmp_path, monkeypatch):
    # The phone's and the addresses' budgets let every guess through: the try limit alone is tested.
    app, code = code_sent(make_app, auth, tmp_path, RATELIMIT_CODE_CHECK_PER_PHONE="1000 per minute")
    limit = app.config["CODE_MAX_TRIES"]
    checked = []
    lock = threading.Lock()
    real_digest = codes._digest

    def counted_digest(*args):
        with lock:
            checked.append(args)
        return real_digest(*args)

    monkeypatch.setattr(codes, "_digest", counted_digest)
    wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, GUESSES + 1)]
    clients = [app.test_client() for _ in wrong]
    answers = run_together([
        lambda client=client, guess=guess, n=n: confirm(client, KNOWN, guess, address=f"10.9.0.{n}")
        for n, (client, guess) in enumerate(zip(clients, wrong, strict=True))])

    assert [(answer.status_code, error_code(answer)) for answer in answers] == [(422, "code_invalid")] * GUESSES
    assert len(checked) <= limit
    with app.app_context():
        assert db.session.scalar(select(OneTimeCode.tries)) == limit
    dead = confirm(app.test_client(), KNOWN, code, address="10.9.1.1")
    assert (dead.status_code, error_code(dead)) == (422, "code_invalid")
