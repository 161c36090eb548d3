"""Malformed requests get a clear 4xx and change nothing (DESIGN §3 rule 8): ids past the
database's integer columns, deeply nested or oversized bodies (chunked too), absurd page
numbers, and digits that are not ASCII digits in the attempt form."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from tests.attempt_support import API, error_code, install_clock, one_round, sign_up
from tests.conftest import Accounts, csrf_token

# Past PostgreSQL's integer (2^31 - 1), past SQLite's and Python's 64-bit (2^63 - 1), and absurd.
HUGE_IDS = [2**31, 2**63, 10**30]
# Deeper than the parser goes, yet within the JSON size bound (64 KiB).
DEEP = "[" * 60_000
MIB = 1024 * 1024


@pytest.fixture
def taker_in_attempt(app, tmp_path):
    """A taker with an open attempt: (taker, attempt)."""
    install_clock(app)
    round_id = one_round(app, tmp_path, prediction={"prompt": "Bao nhiêu người?", "truth": "participants",
                                                     "locked": False})
    taker = sign_up(app)
    return taker, taker.started(round_id)


# --- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_past_the_integer_columns_are_404_on_the_api(taker_in_attempt, huge):
    taker, attempt = taker_in_attempt
    question = attempt["questions"][0]["id"]
    responses = [
        taker.call("GET", f"/attempts/{huge}"),
        taker.call("POST", f"/rounds/{huge}/attempts"),
        taker.call("PUT", f"/attempts/{huge}/prediction", {"value": 3}),
        taker.call("POST", f"/attempts/{huge}/submit"),
        taker.call("PUT", f"/attempts/{huge}/answers/{question}", {"option_ids": []}),
        taker.call("PUT", f"/attempts/{attempt['id']}/answers/{huge}", {"option_ids": []}),
    ]
    assert [(response.status_code, error_code(response)) for response in responses] == [(404, "not_found")] * 6


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_past_the_integer_columns_are_404_on_the_pages(app, taker_in_attempt, huge):
    taker, attempt = taker_in_attempt
    pages = [f"/contests/attempts/{huge}", f"/contests/attempts/{huge}/result",
             f"/contests/{'tuan'}/rounds/{huge}/results"]
    for path in pages:
        response = taker.client.get(path)
        assert response.status_code == 404, path
        assert "Không tìm thấy trang" in response.get_data(as_text=True)
    judge = app.test_client()
    Accounts(app, judge).login_as("admin")
    for path in (f"/judging/rounds/{huge}", f"/judging/rounds/{huge}/ranking", f"/banks/x/questions/{huge}"):
        assert judge.get(path).status_code == 404, path
    refused = judge.post(f"/admin/users/{huge}/role", data={"role": "judge", "csrf_token": csrf_token(judge)})
    assert refused.status_code == 404


def test_the_answer_lane_hands_ids_past_the_integer_columns_to_the_view(taker_in_attempt, monkeypatch):
    """The lane never sends an id the database cannot hold: it leaves the request to the view."""
    from quizapp.api import answer_lane

    tried = []
    real = answer_lane.try_save_answer
    monkeypatch.setattr(answer_lane, "try_save_answer", lambda *args: tried.append(args) or real(*args))
    taker, attempt = taker_in_attempt
    question = attempt["questions"][0]
    option = question["options"][0]["id"]
    saved = taker.save(attempt["id"], question["id"], [option])
    assert saved.status_code == 200 and len(tried) == 1

    response = taker.save(2**31, question["id"], [option])
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert len(tried) == 1


# --- bodies -----------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_as_invalid_json(app, taker_in_attempt):
    taker, attempt = taker_in_attempt
    question = attempt["questions"][0]["id"]
    anonymous = app.test_client()
    headers = {"X-CSRFToken": csrf_token(anonymous)}
    for path in ("/login", "/register"):
        response = anonymous.post(f"{API}{path}", data=DEEP, content_type="application/json", headers=headers)
        assert (response.status_code, error_code(response)) == (400, "invalid_json"), path
    for method, path in (("PUT", f"/attempts/{attempt['id']}/prediction"),
                         ("PUT", f"/attempts/{attempt['id']}/answers/{question}")):
        response = taker.client.open(f"{API}{path}", method=method, data=DEEP, content_type="application/json",
                                     headers={"X-CSRFToken": taker.csrf})
        assert (response.status_code, error_code(response)) == (400, "invalid_json"), path
    # The 100,000 brackets are also past the size bound: refused before parsing.
    response = anonymous.post(f"{API}/login", data="[" * 100_000, content_type="application/json", headers=headers)
    assert (response.status_code, error_code(response)) == (413, "payload_too_large")
    # Under the lane's 4 KB: the lane must hand it to the view, not crash.
    small = taker.client.put(f"{API}/attempts/{attempt['id']}/answers/{question}", data="[" * 4000,
                             content_type="application/json", headers={"X-CSRFToken": taker.csrf})
    assert (small.status_code, error_code(small)) == (400, "invalid_json")


def test_a_start_with_a_deeply_nested_body_is_not_a_server_error(taker_in_attempt):
    taker, attempt = taker_in_attempt
    response = taker.client.post(f"{API}/rounds/{attempt['round_id']}/attempts", data=DEEP,
                                 content_type="application/json", headers={"X-CSRFToken": taker.csrf})
    assert response.status_code < 500


def chunked(client, path: str, body: bytes, content_type: str, headers: dict | None = None):
    """A body sent with Transfer-Encoding: chunked (no Content-Length), as gunicorn hands it on."""
    return client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                        headers={"Transfer-Encoding": "chunked", **(headers or {})},
                        environ_base={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_413_on_pages_and_api(app):
    client = app.test_client()
    too_big = b"a" * (16 * MIB + 1)
    page = chunked(client, "/auth/login", too_big, "application/x-www-form-urlencoded")
    assert page.status_code == 413 and "Tệp quá lớn" in page.get_data(as_text=True)
    api = chunked(client, f"{API}/login", too_big, "application/json", {"X-CSRFToken": csrf_token(client)})
    assert (api.status_code, error_code(api)) == (413, "payload_too_large")


def test_a_chunked_body_within_the_limit_is_read_whole(app, auth):
    phone = f"0{next(Accounts._phones)}"
    auth.create("taker", phone)
    client = auth.client
    token = csrf_token(client)
    form = f"phone={phone}&password=matkhau-123&csrf_token={token}".encode()
    assert chunked(client, "/auth/login", form, "application/x-www-form-urlencoded").status_code == 302
    assert client.get(f"{API}/session").get_json()["user"]["phone"] == phone


def test_a_json_body_past_its_bound_is_413_before_it_is_parsed(app):
    client = app.test_client()
    body = b'{"phone": "0912345678", "password": "' + b"x" * (100 * 1024) + b'"}'
    response = client.post(f"{API}/login", data=body, content_type="application/json",
                           headers={"X-CSRFToken": csrf_token(client)})
    assert (response.status_code, error_code(response)) == (413, "payload_too_large")
    sent = chunked(client, f"{API}/login", body, "application/json", {"X-CSRFToken": csrf_token(client)})
    assert (sent.status_code, error_code(sent)) == (413, "payload_too_large")


def test_a_url_encoded_form_past_its_bound_is_413(app):
    client = app.test_client()
    body = b"&".join([b"a"] * (2 * MIB))
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "Tệp quá lớn" in response.get_data(as_text=True)


# --- page numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", [str(10**30), str(2**63), "99999999999", "100001", "-7", "²", "1e9", "٣"])
def test_any_page_number_shows_a_page(app, tmp_path, page):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    paths = [f"/judging/rounds/{round_id}/ranking", f"/judging/rounds/{round_id}/ranking?q=a",
             "/judging/contests/tuan/standings", "/admin/users", "/admin/users?q=0", "/admin/audit",
             "/banks/bank-tuan"]
    for path in paths:
        separator = "&" if "?" in path else "?"
        response = admin.get(f"{path}{separator}page={page}")
        assert response.status_code == 200, (path, response.status_code)


# --- the attempt form -------------------------------------------------------------------------


def test_non_ascii_digits_in_the_attempt_form_are_refused_cleanly(app, taker_in_attempt):
    taker, attempt = taker_in_attempt
    question = attempt["questions"][0]
    path = f"/contests/attempts/{attempt['id']}/answer"

    def post(**fields):
        return taker.client.post(path, data={"question": question["id"], "q": 1, "csrf_token": taker.csrf, **fields})

    for go in ("²", "٣", "9" * 5000, str(10**30)):
        response = post(go=go)
        assert response.status_code == 302, go
        assert response.headers["Location"].startswith(f"/contests/attempts/{attempt['id']}")
    for prediction in ("²", "١٢", "9" * 5000):
        response = post(prediction=prediction)
        assert response.status_code == 302, prediction
    page = taker.client.get(f"/contests/attempts/{attempt['id']}?q=1")
    assert "Dự đoán phải là số nguyên" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Attempt.prediction).where(Attempt.id == attempt["id"])) is None
    for question_id in (str(2**63), "²", "-1"):
        assert post(question=question_id).status_code in (400, 404), question_id


@pytest.mark.parametrize(("raw", "page"), [("3", 3), (" 3 ", 3), ("", 1), ("0", 1), ("-7", 1), ("²", 1), ("٣", 1),
                                           ("1e9", 1), ("100000", 100_000), ("100001", 100_000),
                                           (str(10**30), 100_000), ("9" * 5000, 100_000)])
def test_page_numbers_are_read_as_ascii_digits_and_clamped(app, raw, page):
    from quizapp.inputs import page_number

    with app.test_request_context("/", query_string={"page": raw}):
        assert page_number() == page
