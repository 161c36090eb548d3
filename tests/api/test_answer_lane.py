"""The answer-save lane (quizapp/api/answer_lane.py) and its dedicated connections.

The lane must answer exactly as the Flask view would, serve only the saves it stored, and
hand everything else to the view unchanged; its connections must survive the database
dropping them and close with the engine.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from quizapp import database_url_for
from quizapp.api.answer_lane import AnswerSaveLane
from quizapp.attempts import services as service
from quizapp.dedicated import DedicatedConnections, driver_sql
from quizapp.extensions import db
from tests.attempt_support import (
    API,
    error_code,
    install_clock,
    one_round,
    parse_time,
    sign_up,
)
from tests.attempts.test_attempts import MIXED


@pytest.fixture
def clock(app):
    return install_clock(app)


@pytest.fixture
def lane(app) -> AnswerSaveLane:
    assert isinstance(app.wsgi_app, AnswerSaveLane)
    return app.wsgi_app


@pytest.fixture
def view_calls(lane, monkeypatch) -> list[str]:
    """The paths of the answer saves the lane passed on to Flask."""
    calls: list[str] = []
    flask_app = lane.wsgi_app

    def counted(environ, start_response):
        if "/answers/" in environ["PATH_INFO"]:
            calls.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    monkeypatch.setattr(lane, "wsgi_app", counted)
    return calls


@pytest.fixture
def opened(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, questions=MIXED, review="after_submit", max_attempts=None)
    taker = sign_up(app)
    return taker, taker.started(round_id)


def both_ways(lane, send):
    """The response the lane gives, then the one the view alone gives to the same request."""
    through_lane = send()
    lane.enabled = False
    try:
        through_view = send()
    finally:
        lane.enabled = True
    return through_lane, through_view


def comparable(response) -> tuple:
    headers = sorted((name, value) for name, value in response.headers.items() if name != "Date")
    return response.status_code, response.get_data(), headers


def test_the_lane_answers_as_the_view_would(app, lane, view_calls, opened):
    taker, attempt = opened
    single = next(question for question in attempt["questions"] if not question["multiple"])
    multiple = next(question for question in attempt["questions"] if question["multiple"])
    choices = [
        (single, [single["options"][1]["id"]], None),
        (multiple, [multiple["options"][2]["id"], multiple["options"][0]["id"]], None),
        (single, [], None),
        (single, [single["options"][3]["id"]], 7),
        # A whole float is a whole number (JSON Schema's integer): the lane stores it as the view would.
        (multiple, [multiple["options"][1]["id"]], 9.0),
    ]
    for question, option_ids, seq in choices:
        view_calls.clear()
        # The view's run repeats the save with a higher seq, so neither sees a stale one.
        lane_response, view_response = both_ways(lane, lambda: taker.save(  # noqa: B023
            attempt["id"], question["id"], option_ids, None if seq is None else seq + len(view_calls)))  # noqa: B023

        assert lane_response.status_code == 200, lane_response.get_json()
        assert view_calls == [f"{API}/attempts/{attempt['id']}/answers/{question['id']}"]  # only the view's run
        assert comparable(lane_response) == comparable(view_response)


def test_the_lane_stores_what_the_attempt_then_shows(app, view_calls, opened):
    taker, attempt = opened
    question = attempt["questions"][0]
    chosen = [question["options"][2]["id"]]

    assert taker.save(attempt["id"], question["id"], chosen).get_json()["option_ids"] == chosen

    assert view_calls == []
    shown = taker.attempt(attempt["id"]).get_json()
    assert next(q for q in shown["questions"] if q["id"] == question["id"])["selected"] == chosen


def raw_save(taker, attempt, question, *, body: bytes | None = None, content_type: str = "application/json",
             csrf: str | None = None, path: str | None = None):
    path = path or f"{API}/attempts/{attempt['id']}/answers/{question['id']}"
    data = body if body is not None else b'{"option_ids": ["%s"]}' % question["options"][0]["id"].encode()
    return taker.client.open(path, method="PUT", data=data, content_type=content_type,
                             headers={"X-CSRFToken": taker.csrf if csrf is None else csrf})


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no session", 400, "csrf_failed"),
        ("wrong csrf token", 400, "csrf_failed"),
        ("not json", 400, "invalid_json"),
        ("form body", 400, "invalid_json"),
        ("bad option ids", 422, "validation_error"),
        ("body over the lane's bound", 422, "invalid_option"),
        ("leading zero in the path", 200, None),
        ("option of another question", 422, "invalid_option"),
        ("after deadline and grace", 409, "attempt_closed"),
    ],
)
def test_what_the_lane_does_not_store_goes_to_the_view(app, lane, view_calls, opened, clock, case, status, code):
    taker, attempt = opened
    question, other = attempt["questions"][:2]
    send = {
        "no session": lambda: app.test_client().open(
            f"{API}/attempts/{attempt['id']}/answers/{question['id']}", method="PUT",
            json={"option_ids": []}, headers={"X-CSRFToken": taker.csrf}),
        "wrong csrf token": lambda: raw_save(taker, attempt, question, csrf="gia-mao"),
        "not json": lambda: raw_save(taker, attempt, question, body=b"{option_ids"),
        "form body": lambda: raw_save(taker, attempt, question, body=b"option_ids=x",
                                      content_type="application/x-www-form-urlencoded"),
        "bad option ids": lambda: raw_save(taker, attempt, question, body=b'{"option_ids": "abc"}'),
        "body over the lane's bound": lambda: raw_save(
            taker, attempt, question, body=b'{"option_ids": ["%s"]}' % (b"x" * 5000)),
        "leading zero in the path": lambda: raw_save(
            taker, attempt, question, path=f"{API}/attempts/0{attempt['id']}/answers/{question['id']}"),
        "option of another question": lambda: taker.save(attempt["id"], question["id"], [other["options"][0]["id"]]),
        "after deadline and grace": lambda: taker.save(attempt["id"], question["id"], [question["options"][0]["id"]]),
    }[case]
    if case == "after deadline and grace":
        clock.set(parse_time(attempt["deadline"]) + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))

    lane_response, view_response = both_ways(lane, send)

    assert (lane_response.status_code, error_code(lane_response)) == (status, code), lane_response.get_json()
    assert len(view_calls) == 2  # the lane passed it on, then the view alone
    assert comparable(lane_response)[:2] == comparable(view_response)[:2]


def test_a_stale_retry_the_lane_refused_is_explained_without_a_second_update(app, view_calls, opened, monkeypatch):
    taker, attempt = opened
    question = next(question for question in attempt["questions"] if not question["multiple"])
    newer, older = question["options"][0]["id"], question["options"][1]["id"]
    assert taker.save(attempt["id"], question["id"], [newer], seq=9).status_code == 200
    updates = []
    real = service.try_save_answer

    def counted(*args):
        updates.append(args)
        return real(*args)

    monkeypatch.setattr("quizapp.api.answer_lane.try_save_answer", counted)
    monkeypatch.setattr(service, "try_save_answer", counted)

    late = taker.save(attempt["id"], question["id"], [older], seq=4)

    assert late.status_code == 200 and late.get_json()["option_ids"] == [newer]
    assert len(updates) == 1 and len(view_calls) == 1


def test_a_failure_inside_the_lane_is_left_to_the_view(app, view_calls, opened, monkeypatch):
    taker, attempt = opened
    question = attempt["questions"][0]
    failures = iter([RuntimeError("the database went away")])
    real = service.try_save_answer

    def fails_once(*args):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(*args)

    monkeypatch.setattr("quizapp.api.answer_lane.try_save_answer", fails_once)

    saved = taker.save(attempt["id"], question["id"], [question["options"][1]["id"]])

    assert saved.status_code == 200 and len(view_calls) == 1


# --- dedicated connections ----------------------------------------------------------------


def held_connections(app) -> DedicatedConnections:
    return app.extensions["quizapp.save_statement"].connections


def test_a_save_survives_the_database_dropping_its_connection(app, opened, suite_engine):
    if suite_engine.dialect.name != "postgresql":
        pytest.skip("SQLite connections are files; only a server drops them")
    taker, attempt = opened
    question = attempt["questions"][0]
    assert taker.save(attempt["id"], question["id"], [question["options"][0]["id"]]).status_code == 200
    backend = held_connections(app)._local.held.driver.info.backend_pid
    with suite_engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()

    saved = taker.save(attempt["id"], question["id"], [question["options"][1]["id"]])

    assert saved.status_code == 200
    assert held_connections(app)._local.held.driver.info.backend_pid != backend
    shown = taker.attempt(attempt["id"]).get_json()
    assert next(q for q in shown["questions"] if q["id"] == question["id"])["selected"] == [
        question["options"][1]["id"]]


def test_dedicated_connections_close_with_their_engine(database_url):
    engine = create_engine(database_url_for(database_url, ""))
    connections = DedicatedConnections(engine)
    sql = driver_sql("SELECT :value", engine.dialect)
    connections.execute(sql, {"value": 1})
    held = connections._local.held

    engine.dispose()

    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        held.driver.cursor().execute(sql, {"value": 1})


def test_an_old_dedicated_connection_is_replaced(database_url):
    engine = create_engine(database_url_for(database_url, ""))
    connections = DedicatedConnections(engine, recycle=0)
    sql = driver_sql("SELECT :value", engine.dialect)
    connections.execute(sql, {"value": 1})
    first = connections._local.held

    connections.execute(sql, {"value": 2})

    assert connections._local.held is not first
    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        first.driver.cursor().execute(sql, {"value": 1})
    engine.dispose()


def test_the_save_statement_runs_on_the_apps_engine(app, opened):
    taker, attempt = opened
    question = attempt["questions"][0]
    taker.save(attempt["id"], question["id"], [question["options"][0]["id"]])
    with app.app_context():
        assert held_connections(app).engine is db.engine


def test_the_lane_finds_the_session_cookie_among_others(app, view_calls, opened):
    taker, attempt = opened
    question = attempt["questions"][0]
    taker.client.set_cookie("quizapp_device", "thiet-bi-1")
    taker.client.set_cookie("zz_analytics", "x")

    saved = taker.save(attempt["id"], question["id"], [question["options"][1]["id"]])

    assert saved.status_code == 200 and view_calls == []


def test_session_cookie_parsing():
    from quizapp.api.answer_lane import session_cookie

    assert session_cookie("a=1; quizapp_session=abc.def; b=2", "quizapp_session") == "abc.def"
    assert session_cookie("quizapp_session=first; quizapp_session=second", "quizapp_session") == "first"
    assert session_cookie('quizapp_session="quoted"', "quizapp_session") is None
    assert session_cookie("xquizapp_session=abc", "quizapp_session") is None
    assert session_cookie("", "quizapp_session") is None


# --- signed-out sessions --------------------------------------------------------------------


def stored_choice(app, attempt_id: int, question_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(text("SELECT chosen FROM attempt_items WHERE attempt_id = :a AND question_id = :q"),
                                 {"a": attempt_id, "q": question_id})


def test_a_signed_out_cookie_is_refused_by_the_lane_the_view_and_the_pages(app, lane, view_calls, opened):
    """A copy of the cookie (another tab, a thief, a shared phone's history) dies with the sign-out."""
    taker, attempt = opened
    copy = taker.twin()
    question = attempt["questions"][0]
    assert copy.save(attempt["id"], question["id"], [question["options"][0]["id"]]).status_code == 200
    assert view_calls == []  # the copy was an ordinary session the lane served

    assert taker.call("POST", "/logout").status_code == 200

    view_calls.clear()
    lane_response, view_response = both_ways(
        lane, lambda: copy.save(attempt["id"], question["id"], [question["options"][1]["id"]]))
    assert (lane_response.status_code, error_code(lane_response)) == (401, "login_required")
    assert comparable(lane_response)[:2] == comparable(view_response)[:2]
    assert len(view_calls) == 2  # the lane ran its UPDATE, saw it refused and passed it on
    read, submitted = copy.attempt(attempt["id"]), copy.submit(attempt["id"])
    assert (read.status_code, error_code(read)) == (401, "login_required")
    assert (submitted.status_code, error_code(submitted)) == (401, "login_required")
    pages = [copy.client.get(f"/contests/attempts/{attempt['id']}"),
             copy.client.post(f"/contests/attempts/{attempt['id']}/answer",
                              data={"csrf_token": copy.csrf, "question": question["id"],
                                    "option": question["options"][2]["id"]}),
             copy.client.post(f"/contests/attempts/{attempt['id']}/submit", data={"csrf_token": copy.csrf})]
    assert [(response.status_code, response.headers["Location"].split("?")[0]) for response in pages] == [
        (302, "/auth/login")] * 3

    # Nothing the copy sent after the sign-out changed the attempt: still open, still the
    # first option (shown index 0) chosen.
    with app.app_context():
        status = db.session.scalar(text("SELECT status FROM attempts WHERE id = :a"), {"a": attempt["id"]})
    assert (status, stored_choice(app, attempt["id"], question["id"])) == ("open", "0")
    assert copy.client.get(f"{API}/session").get_json()["user"] is None


def test_signing_out_one_session_leaves_the_accounts_others_signed_in(app, lane, view_calls, opened):
    taker, attempt = opened
    other = taker.signed_in_again()
    question = attempt["questions"][0]

    assert taker.call("POST", "/logout").status_code == 200

    view_calls.clear()
    saved = other.save(attempt["id"], question["id"], [question["options"][3]["id"]])
    assert saved.status_code == 200 and view_calls == []
    assert other.attempt(attempt["id"]).status_code == 200
    assert other.client.get(f"/contests/attempts/{attempt['id']}").status_code == 200
