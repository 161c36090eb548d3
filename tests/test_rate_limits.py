"""Sign-in limits: failures per phone first, per IP only as a flood guard (the budgets and the
owner's trusted browser in detail: tests/auth/test_signin_protection.py)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing, contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import redis

from quizapp.auth import services as accounts
from quizapp.auth.terms import on_paper
from quizapp.extensions import db
from quizapp.localredis import LocalRedis, free_port
from tests.attempt_support import error_code, install_clock, one_round, sign_up
from tests.conftest import PASSWORD, TEST_SECRET, csrf_token

ROOT = Path(__file__).resolve().parent.parent


def api_login(client, phone, password, *, forwarded: str | None = None):
    headers = {"X-CSRFToken": csrf_token(client)}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return client.post("/api/v1/login", json={"phone": phone, "password": password}, headers=headers)


def test_eleventh_login_attempt_for_one_phone_gets_429(client, auth):
    auth.create(phone="0912345678")
    for _ in range(10):
        assert api_login(client, "0912 345 678", "wrong-password").status_code == 401
    response = api_login(client, "+84912345678", PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "thử lại" in error["message"]
    # The page shares the same count and answers with the form and a Vietnamese message.
    page = client.post("/auth/login", data={"phone": "0912345678", "password": PASSWORD,
                                            "csrf_token": csrf_token(client)})
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    assert "nhập sai mật khẩu quá nhiều lần" in page.get_data(as_text=True)


def test_other_phones_behind_the_same_ip_still_sign_in(client, auth):
    auth.create(phone="0912345678")
    for _ in range(11):
        api_login(client, "0912345678", "wrong-password")
    for number in range(20):
        phone = f"09800000{number:02d}"
        auth.create(phone=phone)
        other = auth.app.test_client()
        assert api_login(other, phone, PASSWORD).status_code == 200


def test_counts_live_in_the_shared_redis(client, auth, redis_url):
    """Every worker and host counts in one place, so a limit holds however many there are."""
    import redis

    auth.create(phone="0912345678")
    api_login(client, "0912345678", "wrong-password")
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).scan_iter("LIMITS*")]
    assert any("login-failures-phone" in key and "phone:0912345678" in key for key in keys), keys


def test_padding_a_phone_with_spaces_gets_no_budget_of_its_own(client, auth):
    """The limit counts the number the password is checked against, not the first characters typed."""
    auth.create(phone="0912345678")
    padded = [" " * 40 + "0912345678", "0912345678" + " " * 40, " " * 20 + "0912 345 678" + " " * 20]
    answers = [api_login(client, padded[number % 3], "wrong-password").status_code for number in range(10)]
    limited = api_login(client, "0912345678", PASSWORD)

    assert answers == [401] * 10
    assert (limited.status_code, error_code(limited)) == (429, "rate_limited")


# --- takers' actions, per account -----------------------------------------------------------


def test_two_hundred_accounts_behind_one_ip_each_sign_in_and_start(app, tmp_path):
    """An office or a carrier's NAT: one IP, hundreds of honest takers on the deadline day."""
    install_clock(app)
    round_id = one_round(app, tmp_path, "van-phong")
    with app.app_context():
        phones = [f"0933{number:06d}" for number in range(200)]
        for phone in phones:
            accounts.register_user(phone=phone, password=PASSWORD, full_name="Cán bộ", consent=on_paper())
        db.session.commit()

    statuses = []
    for phone in phones:
        client = app.test_client()
        signed_in = api_login(client, phone, PASSWORD)
        started = client.post(f"/api/v1/rounds/{round_id}/attempts", headers={"X-CSRFToken": csrf_token(client)})
        statuses.append((signed_in.status_code, started.status_code))

    assert Counter(statuses) == {(200, 201): 200}


def test_answer_saves_are_limited_per_account_lane_and_pages_alike(make_app, tmp_path):
    # Every save counted at once in Redis (no batches): the limit is exact.
    app = make_app(RATELIMIT_SAVE_PER_ACCOUNT="4 per minute", RATELIMIT_SAVE_BATCH=1)
    install_clock(app)
    round_id = one_round(app, tmp_path, "luu-bai")
    taker, neighbour = sign_up(app), sign_up(app)  # two accounts, one IP
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    option = question["options"][0]["id"]

    lane = [taker.save(attempt["id"], question["id"], [option]).status_code for _ in range(3)]
    # The page without JavaScript posts to another route; it draws from the same bucket.
    page = taker.client.post(f"/contests/attempts/{attempt['id']}/answer", data={
        "csrf_token": taker.csrf, "question": question["id"], "option": option, "q": 0})
    over = taker.save(attempt["id"], question["id"], [option])
    theirs = neighbour.started(round_id)
    other = neighbour.save(theirs["id"], theirs["questions"][0]["id"], [theirs["questions"][0]["options"][1]["id"]])

    assert lane == [200, 200, 200] and page.status_code in (200, 302)
    assert (over.status_code, error_code(over)) == (429, "rate_limited")
    assert 0 < int(over.headers["Retry-After"]) <= 61
    assert "thử lại" in over.get_json()["error"]["message"]
    assert other.status_code == 200


def test_the_lane_counts_saves_in_the_shared_limit_in_batches(make_app, tmp_path):
    """Two app processes, one account, a limit of 8 counted 4 at a time: never a refusal
    under the limit, at most 3 saves past it per process, and refused from then on."""
    first = make_app(RATELIMIT_SAVE_PER_ACCOUNT="8 per minute", RATELIMIT_SAVE_BATCH=4)
    second = make_app(RATELIMIT_SAVE_PER_ACCOUNT="8 per minute", RATELIMIT_SAVE_BATCH=4)
    install_clock(first)
    install_clock(second)
    round_id = one_round(first, tmp_path, "lo")
    taker = sign_up(first)
    attempt = taker.started(round_id)
    elsewhere = taker.twin()
    elsewhere.app, elsewhere.client = second, second.test_client()
    elsewhere.client.set_cookie("quizapp_session", taker.client.get_cookie("quizapp_session").value)
    question = attempt["questions"][0]

    statuses = [(taker if number % 2 == 0 else elsewhere).save(
        attempt["id"], question["id"], [question["options"][number % 2]["id"]]).status_code for number in range(24)]

    first_refusal = statuses.index(429)
    assert statuses[:8] == [200] * 8
    assert first_refusal <= 8 + 2 * 3
    assert set(statuses[first_refusal:]) == {429}


def test_starts_and_submits_are_limited_per_account(make_app, tmp_path):
    app = make_app(RATELIMIT_START_PER_ACCOUNT="2 per minute", RATELIMIT_SUBMIT_PER_ACCOUNT="2 per minute")
    install_clock(app)
    round_id = one_round(app, tmp_path, "bat-dau", max_attempts=None)
    taker = sign_up(app)

    starts = [taker.start(round_id).status_code for _ in range(3)]
    attempt_id = taker.log[0][3]["id"]
    submits = [taker.submit(attempt_id).status_code for _ in range(3)]

    assert starts == [201, 200, 429]
    assert submits == [200, 200, 429]


# --- shared by every worker and host ----------------------------------------------------------


def test_a_limit_holds_across_two_app_instances_sharing_one_redis(make_app, auth):
    first, second = make_app(), make_app()
    auth.create(phone="0912345670")
    clients = [first.test_client(), second.test_client()]

    answers = [api_login(clients[number % 2], "0912345670", "sai-mat-khau").status_code for number in range(11)]

    assert answers == [401] * 10 + [429]


def test_a_limit_holds_across_two_gunicorn_workers(app, auth, database_url, redis_url, tmp_path):
    auth.create(phone="0912345671")
    log = tmp_path / "access.log"
    answers: list[int] = []
    with running_gunicorn(database_url, redis_url, tmp_path, workers=2) as port:
        # Which worker accepts a connection is the kernel's choice: go on until both have
        # answered sign-ins (each sync worker writes its access log line as it answers).
        while len(answers) < 24 or (len(workers_that_answered(log, "/api/v1/login")) < 2 and len(answers) < 200):
            answers.append(gunicorn_login(port, "0912345671", "sai-mat-khau"))

    assert len(workers_that_answered(log, "/api/v1/login")) == 2
    # Counted per process, each worker would have let about ten more through.
    assert answers == [401] * 10 + [429] * (len(answers) - 10)


# --- Redis going away and coming back -------------------------------------------------------


def test_takers_are_served_while_redis_is_away_and_limits_come_back_with_it(make_app, auth, tmp_path):
    server = LocalRedis(directory=str(tmp_path / "redis"))
    server.start()
    try:
        app = make_app(REDIS_URL=server.url)
        app.logger.disabled = True
        client = app.test_client()
        auth.create(phone="0912345672")
        assert api_login(client, "0912345672", "sai-mat-khau").status_code == 401

        server.stop()
        during = [api_login(client, "0912345672", PASSWORD).status_code for _ in range(3)]
        health = client.get("/healthz")

        server.start()
        recovered = wait_for(lambda: client.get("/healthz").get_json()["status"] == "ok", seconds=10)
        # Flask-Limiter tries Redis again after 1, 2, 4 … seconds; the count starts afresh there.
        counted = wait_for(lambda: api_login(app.test_client(), "0912345672", "sai").status_code == 401
                           and any(redis.Redis.from_url(server.url).scan_iter("LIMITS*")), seconds=40)
        after = [api_login(app.test_client(), "0912345672", "sai").status_code for _ in range(11)]
    finally:
        server.stop()

    assert during == [200, 200, 200]
    assert (health.status_code, health.get_json()["status"], health.get_json()["redis"]) == (200, "degraded", "down")
    assert recovered and counted
    assert after[-1] == 429


def wait_for(condition, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


# --- the client's address ---------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_without_trusted_proxies(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_PER_IP="3 per minute")
    answers = [api_login(app.test_client(), f"091234560{number}", "sai", forwarded=f"10.0.0.{number}").status_code
               for number in range(4)]
    assert answers == [401, 401, 401, 429]


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_PER_IP="3 per minute", TRUSTED_PROXIES=1)
    answers = [api_login(app.test_client(), f"091234560{number}", "sai", forwarded=f"10.0.0.{number}").status_code
               for number in range(4)]
    assert answers == [401, 401, 401, 401]


# --- a real gunicorn ------------------------------------------------------------------------


@contextmanager
def running_gunicorn(database_url: str, redis_url: str, tmp_path: Path, *, workers: int):
    """The project's wsgi:app under gunicorn on the suite's database and Redis; yields its port.
    The access log names the worker (process id) that answered each request."""
    port = free_port()
    env = {**os.environ, "QUIZAPP_DATABASE_URL": database_url, "QUIZAPP_REDIS_URL": redis_url,
           "QUIZAPP_SECRET_KEY": TEST_SECRET, "QUIZAPP_PASSWORD_TIME_COST": "1",
           "QUIZAPP_PASSWORD_MEMORY_COST_KIB": "8"}
    log = tmp_path / "access.log"
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--access-logfile", str(log), "--access-logformat", "%(p)s %(r)s %(s)s",
               "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
            finally:
                probe.close()
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def gunicorn_login(port: int, phone: str, password: str) -> int:
    """Sign in as a phone would, over HTTP: fetch the session and CSRF token, then POST."""
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as connection:
        connection.request("GET", "/api/v1/session")
        answer = connection.getresponse()
        token = json.loads(answer.read())["csrf_token"]
        cookies = SimpleCookie()
        for header in answer.headers.get_all("Set-Cookie"):
            cookies.load(header)
        cookie = cookies["quizapp_session"].value
    # Sync workers close the connection after each answer: a new one, maybe another worker.
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as connection:
        connection.request("POST", "/api/v1/login", json.dumps({"phone": phone, "password": password}),
                           {"Content-Type": "application/json", "X-CSRFToken": token,
                            "Cookie": f"quizapp_session={cookie}"})
        answer = connection.getresponse()
        answer.read()
        return answer.status


def workers_that_answered(log: Path, path: str) -> set[str]:
    return {match[1] for match in re.finditer(rf"^<(\d+)> POST {re.escape(path)} ", log.read_text(), re.M)}
