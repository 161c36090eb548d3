"""Admission control: a cluster-wide cap on new attempts per second (DESIGN §3 rule 4's
neighbour: a spike is slowed down, never half-served)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from quizapp.auth import services as accounts
from quizapp.auth.terms import on_paper
from quizapp.extensions import db
from tests.attempt_support import API, attempt_rows, count_attempts, install_clock, one_round, sign_up
from tests.conftest import GENEROUS_LIMITS, PASSWORD, Accounts, csrf_token


def signed_in_clients(app, count: int, prefix: str) -> list[tuple[int, object, str]]:
    """``count`` accounts, each signed in on its own client: (user id, client, CSRF token)."""
    with app.app_context():
        users = [accounts.register_user(phone=f"{prefix}{number:06d}", password=PASSWORD, full_name="Thí sinh",
                                        consent=on_paper())
                 for number in range(count)]
        db.session.commit()
        people = [(user.id, user.phone) for user in users]
    signed_in = []
    for user_id, phone in people:
        client = app.test_client()
        token = csrf_token(client)
        assert client.post(f"{API}/login", json={"phone": phone, "password": PASSWORD},
                           headers={"X-CSRFToken": token}).status_code == 200
        signed_in.append((user_id, client, csrf_token(client)))
    return signed_in


def start_together(round_id: int, signed_in, threads: int) -> tuple[list, float]:
    def start(person):
        _user_id, client, token = person
        return client.post(f"{API}/rounds/{round_id}/attempts", headers={"X-CSRFToken": token})

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        responses = list(pool.map(start, signed_in))
    return responses, time.monotonic() - began


def assert_only_admitted_or_busy(app, round_id: int, signed_in, responses, cap: int, seconds: float) -> Counter:
    """Every answer is 201 or 503 with Retry-After; each 201 has exactly one attempt behind it
    and each 503 none; no more were admitted than the cap allows in the time it took."""
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {201, 503}, statuses
    assert min(cap, len(responses)) <= statuses[201] <= cap * (seconds + 1)
    for (user_id, _client, _token), response in zip(signed_in, responses, strict=True):
        rows = attempt_rows(app, round_id, user_id)
        if response.status_code == 201:
            assert [attempt_id for attempt_id, _number, _status in rows] == [response.get_json()["id"]]
        else:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.get_json()["error"]["code"] == "busy"
            assert rows == []
    assert count_attempts(app, round_id=round_id) == statuses[201]
    return statuses


def test_five_hundred_starts_against_a_cap_of_fifty_a_second(make_app, tmp_path):
    # 500 sign-ins from one test IP: the per-IP flood guard is not what this tests.
    app = make_app(ADMISSION_STARTS_PER_SECOND=50, RATELIMIT_LOGIN_PER_IP="1000 per minute", **GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "mo-dau")
    signed_in = signed_in_clients(app, 500, "0944")

    responses, seconds = start_together(round_id, signed_in, threads=100)

    statuses = assert_only_admitted_or_busy(app, round_id, signed_in, responses, 50, seconds)
    # How many had to wait depends on how fast this machine serves starts: some on SQLite,
    # often none on PostgreSQL, where the test process itself serves fewer than 50 a second.
    print(f"500 starts in {seconds:.2f} s: {dict(statuses)}")


def test_starts_far_beyond_the_cap_are_asked_to_wait(make_app, tmp_path):
    """A cap well below what any machine serves: refusals are certain, and still clean."""
    app = make_app(ADMISSION_STARTS_PER_SECOND=5, **GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "qua-tai")
    signed_in = signed_in_clients(app, 100, "0945")

    responses, seconds = start_together(round_id, signed_in, threads=50)

    statuses = assert_only_admitted_or_busy(app, round_id, signed_in, responses, 5, seconds)
    assert statuses[503] >= 100 - 5 * (seconds + 1) > 0


def test_a_resume_is_never_refused(make_app, tmp_path):
    app = make_app(ADMISSION_STARTS_PER_SECOND=1, **GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "tiep")
    first, second = sign_up(app), sign_up(app)
    attempt = first.started(round_id)

    busy = second.start(round_id)  # the cap of this second went to the first person
    resumed = first.start(round_id)

    assert busy.status_code == 503
    assert resumed.status_code == 200 and resumed.get_json()["id"] == attempt["id"]


def test_the_start_page_shows_a_waiting_screen_that_tries_again(make_app, tmp_path, auth):
    app = make_app(ADMISSION_STARTS_PER_SECOND=1, **GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "cho")
    sign_up(app).started(round_id)
    client = app.test_client()
    page_auth = Accounts(app, client)
    phone = page_auth.login_as("taker")

    page = client.post(f"/contests/rounds/{round_id}/start", data={"csrf_token": csrf_token(client)})

    html = page.get_data(as_text=True)
    assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
    assert "Rất đông người đang vào thi" in html and 'id="wait-form"' in html and "wait.js" in html
    assert phone
    assert count_attempts(app, round_id=round_id) == 1  # the first person's; nothing half-made


def test_with_redis_away_the_cap_holds_per_process(make_app, tmp_path):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", ADMISSION_STARTS_PER_SECOND=1, **GENEROUS_LIMITS)
    app.logger.disabled = True
    install_clock(app)
    round_id = one_round(app, tmp_path, "mat-redis")
    takers = [sign_up(app) for _ in range(3)]

    statuses = [taker.start(round_id).status_code for taker in takers]
    time.sleep(1.1)
    later = takers[1].start(round_id)

    assert statuses == [201, 503, 503]  # Flask-Limiter's memory fallback, per process
    assert later.status_code == 201
