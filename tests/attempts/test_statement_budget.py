"""How many SQL statements each request of a taker's contest day costs, against a budget.

Contest day's capacity is the server's CPU per taker (bench/contest_day.py), and most of what a
page costs beyond rendering is its statements: each one is a round trip and an ORM result. These
budgets are what the taker's requests cost once the worker has read the questions' revisions
(``services.cached_revisions``), so a change that adds a query to a hot path fails here rather
than only in a load test. Counts, not times: they do not depend on the machine.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

from quizapp.attempts.services import finalise_expired
from quizapp.demo import load_demo_contest, load_sample_banks
from quizapp.extensions import db
from tests.conftest import csrf_token

# Per request, with the revisions the attempt drew already read once by this worker.
BUDGET = {
    "share link": 1,  # the contest with its rounds, for a visitor not signed in
    "contest page": 3,  # account, contest with its rounds, the taker's attempts (closing any past their time)
    "confirmation": 3,  # account, round with its contest, the taker's attempts in the round
    # account, round with its contest, attempts, pools, ranking check, two inserts (no savepoint:
    # ON CONFLICT DO NOTHING); SQLite adds BEGIN IMMEDIATE (services.write_first, SQLITE_EXTRA)
    "start": 7,
    "attempt page": 3,  # account, attempt with its round and contest, items
    "prediction": 4,  # account, attempt with its round, the round locked? its ranking kept? (one), the update
    # account, attempt with its round (locked), ranking check, the one UPDATE, the flags' evidence
    # (and an INSERT when a flag is raised: none here)
    "submit": 5,
    # account, attempt with its round and contest, answers saved (the items, for a review), the
    # taker's attempts in the round
    "result page": 4,
}
# Statements SQLite spends beyond the budget: the start's write lock taken before it reads.
SQLITE_EXTRA = {"start": 1}


@contextmanager
def counted(app):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_takers_requests_stay_within_their_statement_budget(app, client, auth):
    with app.app_context():
        load_sample_banks()
        contest = load_demo_contest()
        db.session.commit()
        slug = contest.slug
    costs = {}
    with counted(app) as statements:
        assert client.get(f"/contests/{slug}").status_code == 200
    costs["share link"] = len(statements)
    auth.login_as("taker")
    for attempt_number in (1, 2):  # the second attempt finds the revisions read
        with counted(app) as statements:
            page = client.get(f"/contests/{slug}").get_data(as_text=True)
        costs["contest page"] = len(statements)
        # The timed round (the first): its button opens the confirmation page, which posts.
        start = min(set(re.findall(r'(?:href|action)="(/contests/rounds/(\d+)/start)"', page)),
                    key=lambda found: int(found[1]))[0]
        with counted(app) as statements:
            assert client.get(start).status_code == 200
        costs["confirmation"] = len(statements)
        token = csrf_token(client)
        with counted(app) as statements:
            response = client.post(start, data={"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        costs["start"] = len(statements)
        attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
        assert any(statement.lstrip().startswith("INSERT INTO attempts") for statement in statements), \
            "the start did not make an attempt"
        if attempt_number == 1:
            # Every question of the bank read once, as a worker has after a few hundred takers.
            with app.test_request_context():
                from quizapp.attempts import display
                from quizapp.attempts import services as service
                from quizapp.banks.models import Question

                keys = {(question.id, question.revision) for question in db.session.scalars(db.select(Question))}
                service.drawn_revisions(keys)
                display.shown_revisions(keys)
        with counted(app) as statements:
            assert client.get(f"/contests/attempts/{attempt_id}").status_code == 200
        costs["attempt page"] = len(statements)
        with counted(app) as statements:
            response = client.put(f"/api/v1/attempts/{attempt_id}/prediction", json={"value": 1200},
                                  headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
        costs["prediction"] = len(statements)
        with counted(app) as statements:
            response = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                                   headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
        costs["submit"] = len(statements)
        with counted(app) as statements:
            assert client.get(f"/contests/attempts/{attempt_id}/result").status_code == 200
        costs["result page"] = len(statements)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        budgets = {kind: budget + SQLITE_EXTRA.get(kind, 0) for kind, budget in BUDGET.items()}
    else:
        budgets = BUDGET
    over = {kind: (costs[kind], budget) for kind, budget in budgets.items() if costs[kind] > budget}
    assert not over, f"statements (spent, budget): {over}; all: {costs}"


def test_closing_expired_attempts_costs_one_statement_when_there_are_none(app):
    with app.app_context(), counted(app) as statements:
        assert finalise_expired(user_id=1) == 0
        assert len(statements) == 1
