"""Admission control: a cluster-wide cap on new attempts per second (DESIGN §3 rule 4's
neighbour: a spike is slowed down, never half-served)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from quizapp.auth import services as accounts
from quizapp.extensions import db
from tests.attempt_support import API, attempt_rows, count_attempts, install_clock, one_round, sign_up
from tests.conftest import GENEROUS_LIMITS, PASSWORD, csrf_token


def test_five_hundred_starts_against_a_cap_of_fifty_a_second(make_app, tmp_path):
    # 500 sign-ins from one test IP: the per-IP flood guard is not what this tests.
    app = make_app(ADMISSION_STARTS_PER_SECOND=50, RATELIMIT_LOGIN_PER_IP="1000 per minute", **GENEROUS_LIMITS)
    install_clock(app)
    round_id = one_round(app, tmp_path, "mo-dau")
    with app.app_context():
        users = [accounts.register_user(phone=f"0944{number:06d}", password=PASSWORD, full_name="Thí sinh")
                 for number in range(500)]
        db.session.commit()
        people = [(user.id, user.phone) for user in users]
    clients = []
    for _user_id, phone in people:
        client = app.test_client()
        token = csrf_token(client)
        assert client.post(f"{API}/login", json={"phone": phone, "password": PASSWORD},
                           headers={"X-CSRFToken": token}).status_code == 200
        clients.append((client, csrf_token(client)))

    def start(pair):
        client, token = pair
        return client.post(f"{API}/rounds/{round_id}/attempts", headers={"X-CSRFToken": token})

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(start, clients))
    seconds = time.monotonic() - began

    statuses = Counter(response.status_code for response in responses)
    print(f"{len(responses)} starts in {seconds:.2f} s: {dict(statuses)}")
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[503] > 0 and 50 <= statuses[201] <= 50 * (seconds + 1)
    for response in responses:
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.get_json()["error"]["code"] == "busy"
    for (user_id, _phone), response in zip(people, responses, strict=True):
        rows = attempt_rows(app, round_id, user_id)
        if response.status_code == 201:
            assert [attempt_id for attempt_id, _number, _status in rows] == [response.get_json()["id"]]
        else:
            assert rows == []
    assert count_attempts(app, round_id=round_id) == statuses[201]


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
    page_auth = type(auth)(app, client)
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
