"""Sign-in that floods cannot stall and guessers cannot use to lock the owner out (DESIGN §3
rules 5 and 11; auth/passwords.py, auth/protection.py, quizapp/slots.py, quizapp/pressure.py)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from quizapp import pressure as pressure_module
from quizapp.auth.models import User
from quizapp.auth.protection import SIGNIN_COOKIE
from quizapp.config import DEFAULTS
from quizapp.contests.models import Contest
from quizapp.extensions import db
from quizapp.slots import HostSlots, NoFreeSlot, usable_count
from tests.attempt_support import error_code
from tests.conftest import CONSENT, PASSWORD, csrf_token
from tests.slot_support import every_slot_taken

# OWASP's Password Storage Cheat Sheet: Argon2id profiles it considers equivalent (KiB, passes).
OWASP_ARGON2ID = {(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)}


def api_login(client, phone, password, *, address: str = "127.0.0.1"):
    return client.post("/api/v1/login", json={"phone": phone, "password": password},
                       headers={"X-CSRFToken": csrf_token(client)}, environ_base={"REMOTE_ADDR": address})


def page_login(client, phone, password, *, address: str = "127.0.0.1"):
    return client.post("/auth/login", data={"phone": phone, "password": password, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address})


def password_hash(app, phone: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.phone == phone))


# --- the cost of a hash -----------------------------------------------------------------------


def test_the_default_cost_is_one_of_owasps_argon2id_profiles():
    assert (DEFAULTS["PASSWORD_MEMORY_COST_KIB"], DEFAULTS["PASSWORD_TIME_COST"]) in OWASP_ARGON2ID
    assert DEFAULTS["PASSWORD_PARALLELISM"] == 1


def test_a_hash_made_at_the_old_cost_still_signs_in_and_is_rewritten_at_the_new_one(make_app, auth):
    app = make_app(PASSWORD_TIME_COST=DEFAULTS["PASSWORD_TIME_COST"],
                   PASSWORD_MEMORY_COST_KIB=DEFAULTS["PASSWORD_MEMORY_COST_KIB"])
    auth.app = app
    auth.create(phone="0912345678")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1).hash(PASSWORD)  # the cost until now
    with app.app_context():
        db.session.get(User, 1).password_hash = old
        db.session.commit()

    response = api_login(app.test_client(), "0912345678", PASSWORD)

    assert response.status_code == 200
    rewritten = password_hash(app, "0912345678")
    parameters = extract_parameters(rewritten)
    assert (parameters.memory_cost, parameters.time_cost) == (DEFAULTS["PASSWORD_MEMORY_COST_KIB"],
                                                              DEFAULTS["PASSWORD_TIME_COST"])
    assert PasswordHasher().verify(rewritten, PASSWORD)
    assert api_login(app.test_client(), "0912345678", PASSWORD).status_code == 200


def test_a_wrong_password_never_rewrites_an_old_hash(make_app, auth):
    app = make_app()
    auth.create(phone="0912345678")
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, 1).password_hash = old
        db.session.commit()
    assert api_login(app.test_client(), "0912345678", "sai-mat-khau").status_code == 401
    assert password_hash(app, "0912345678") == old


# --- hashing slots ------------------------------------------------------------------------------


def test_there_are_always_fewer_hashing_slots_than_cores():
    assert usable_count(0, cores=2) == 1
    assert usable_count(4, cores=2) == 1
    assert usable_count(0, cores=8) == 7
    assert usable_count(3, cores=8) == 3
    assert usable_count(0, cores=1) == usable_count(2, cores=1) == 1
    # Nor as many as the web server's workers, when known.
    assert usable_count(0, cores=8, workers=4) == 3
    assert usable_count(6, cores=8, workers=2) == 1


def test_make_run_tells_the_app_how_many_workers_it_has():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "QUIZAPP_WEB_WORKERS=$(WORKERS)" in makefile and "--workers $(WORKERS)" in makefile


def test_slots_are_shared_by_every_process_on_the_host(tmp_path):
    slots = HostSlots(str(tmp_path), 1)
    other = HostSlots(str(tmp_path), 1)  # another worker: its own open files
    with slots.hold(0.01), pytest.raises(NoFreeSlot), other.hold(0.02):
        pytest.fail("two holders of one slot")
    with other.hold(0.01):
        pass


def test_only_as_many_requests_as_there_are_slots_may_wait_for_one(tmp_path):
    """A flood cannot tie up every worker waiting for the hashing slot: one waits, the rest are
    refused at once."""
    hashing, waiting, refused = (HostSlots(str(tmp_path), 1) for _ in range(3))
    waited: list[float] = []

    def wait_in_the_room():
        started = time.monotonic()
        with pytest.raises(NoFreeSlot), waiting.hold(0.5):
            pass
        waited.append(time.monotonic() - started)

    with hashing.hold(0.01):
        waiter = threading.Thread(target=wait_in_the_room)
        waiter.start()
        time.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(NoFreeSlot), refused.hold(5.0):
            pass
        at_once = time.monotonic() - started
        waiter.join()

    assert at_once < 0.05
    assert waited[0] >= 0.45


def test_busy_answers_do_not_spend_the_addresss_sign_in_allowance(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_PER_IP="3 per minute")
    auth.app = app
    auth.create(phone="0912345678")
    client = app.test_client()
    with every_slot_taken():
        busy = [api_login(client, "0912345678", PASSWORD).status_code for _ in range(5)]
    assert busy == [503] * 5
    assert api_login(client, "0912345678", PASSWORD).status_code == 200


def test_a_sign_in_that_finds_every_slot_taken_gets_503_busy_quickly_and_counts_no_failure(app, auth):
    auth.create(phone="0912345678")
    client = app.test_client()
    with every_slot_taken():
        started = time.monotonic()
        busy = [api_login(client, "0912345678", PASSWORD) for _ in range(12)]
        elapsed = time.monotonic() - started

    assert {(response.status_code, error_code(response)) for response in busy} == {(503, "busy")}
    assert {response.headers["Retry-After"] for response in busy} == {"1"}
    assert "thử lại" in busy[0].get_json()["error"]["message"]
    assert elapsed / len(busy) < 0.5  # a few tens of milliseconds of waiting, not a queue
    # Twelve refusals spent nothing of the phone's budget of ten failures.
    assert api_login(client, "0912345678", PASSWORD).status_code == 200


def test_the_sign_in_page_answers_busy_with_the_form_and_never_the_password(app, auth):
    auth.create(phone="0912345678")
    client = app.test_client()
    with every_slot_taken():
        response = page_login(client, "0912345678", "mat-khau-bi-mat-9")
    html = response.get_data(as_text=True)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "rất nhiều người đăng nhập" in html
    assert 'name="phone"' in html and 'value="0912345678"' in html
    assert "mat-khau-bi-mat-9" not in html
    assert "data-busy-retry" in html and "busy-retry.js" in html
    with client.get("/static/busy-retry.js") as served:
        script = served.get_data(as_text=True)
    assert "Retry-After" in script and "status === 503" in script


def test_registration_password_change_and_contest_passwords_wait_for_a_slot_too(app, auth, user_count):
    phone = auth.login_as()
    client = auth.client
    with app.app_context():
        db.session.add(Contest(slug="kin", title="Cuộc thi kín", password_hash=PasswordHasher(
            time_cost=1, memory_cost=8, parallelism=1).hash("mat-khau-cuoc-thi")))
        db.session.commit()
    visitor = app.test_client()
    before = user_count()
    with every_slot_taken():
        registered = visitor.post("/auth/register", data={
            "phone": "0987654321", "password": "mat-khau-dang-ky", "confirm_password": "mat-khau-dang-ky",
            "full_name": "Người mới", "csrf_token": csrf_token(visitor), **CONSENT})
        changed = client.post("/auth/profile/password", data={
            "current_password": PASSWORD, "new_password": "mat-khau-moi-1", "confirm_password": "mat-khau-moi-1",
            "csrf_token": csrf_token(client)})
        unlocked = client.post("/contests/kin/password", data={"password": "mat-khau-cuoc-thi",
                                                               "csrf_token": csrf_token(client)},
                               follow_redirects=True)

    assert registered.status_code == 503 and registered.headers["Retry-After"] == "1"
    assert "mat-khau-dang-ky" not in registered.get_data(as_text=True)
    assert user_count() == before
    assert changed.status_code == 503 and changed.headers["Retry-After"] == "1"
    assert "mat-khau-moi-1" not in changed.get_data(as_text=True)
    assert api_login(app.test_client(), phone, PASSWORD).status_code == 200  # unchanged
    assert "rất nhiều người đăng nhập" in unlocked.get_data(as_text=True)
    assert 'name="password"' in unlocked.get_data(as_text=True)  # still asks for the contest password


def test_registration_through_the_api_is_busy_and_creates_nothing(app, user_count):
    client = app.test_client()
    token = csrf_token(client)
    before = user_count()
    with every_slot_taken():
        response = client.post("/api/v1/register", json={
            "phone": "0987654321", "password": PASSWORD, "full_name": "Người mới", **CONSENT},
            headers={"X-CSRFToken": token})
    assert (response.status_code, error_code(response), response.headers.get("Retry-After")) == (503, "busy", "1")
    assert user_count() == before


def test_the_command_line_waits_for_a_slot_instead_of_failing(app, runner):
    with every_slot_taken():
        # The holder lets go when the block ends; the command started meanwhile waits for it.
        command = threading.Thread(target=lambda: results.append(runner.invoke(
            args=["users", "create", "0912000999", "--name", "Quản trị", "--password", PASSWORD])))
        results: list = []
        command.start()
        time.sleep(0.5)
        assert command.is_alive()  # waiting, not refused
    command.join(timeout=30)
    assert results[0].exit_code == 0, results[0].output


# --- failure budgets -----------------------------------------------------------------------------


def test_an_address_that_spent_its_failures_is_refused_before_any_hash(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="5 per 10 minutes")
    auth.app = app
    auth.create(phone="0912345678")
    client = app.test_client()
    failures = [api_login(client, f"09800000{n:02d}", "sai-mat-khau", address="10.1.1.1").status_code
                for n in range(5)]
    refused = api_login(client, "0912345678", PASSWORD, address="10.1.1.1")
    with every_slot_taken():
        # No slot is free, yet the answer is 429: the budget was checked before any hash.
        still_refused = api_login(client, "0912345678", PASSWORD, address="10.1.1.1")
    elsewhere = api_login(app.test_client(), "0912345678", PASSWORD, address="10.1.1.2")

    assert failures == [401] * 5
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert (still_refused.status_code, error_code(still_refused)) == (429, "rate_limited")
    assert elsewhere.status_code == 200


def test_successful_sign_ins_never_spend_the_address_budget_an_office_of_fifty_signs_in(make_app):
    app = make_app()
    from quizapp.auth import services as accounts
    from quizapp.auth.terms import on_paper

    phones = [f"0934{n:06d}" for n in range(60)]
    with app.app_context():
        for phone in phones:
            accounts.register_user(phone=phone, password=PASSWORD, full_name="Cán bộ văn phòng", consent=on_paper())
        db.session.commit()
    answers = []
    for number, phone in enumerate(phones):
        client = app.test_client()
        if number % 10 == 0:  # one in ten mistypes once first
            answers.append(api_login(client, phone, "go-nham", address="203.0.113.7").status_code)
        answers.append(api_login(client, phone, PASSWORD, address="203.0.113.7").status_code)
    assert answers.count(200) == 60
    assert set(answers) == {200, 401}


def test_a_phone_guessed_from_many_addresses_meets_429_for_known_and_unknown_numbers_alike(app, auth):
    auth.create(phone="0912345678")
    known = [api_login(app.test_client(), "0912345678", f"doan-{n}", address=f"10.2.0.{n}") for n in range(12)]
    unknown = [api_login(app.test_client(), "0912999888", f"doan-{n}", address=f"10.3.0.{n}") for n in range(12)]

    def shape(responses):
        return [(r.status_code, error_code(r)) for r in responses]

    assert shape(known) == [(401, "invalid_credentials")] * 10 + [(429, "rate_limited")] * 2
    assert shape(known) == shape(unknown)
    assert known[10].get_json() == unknown[10].get_json()
    # Spelling the number another way buys no new budget.
    assert api_login(app.test_client(), "+84 912 345 678", PASSWORD, address="10.4.0.1").status_code == 429


def test_a_phone_that_does_not_normalise_counts_under_the_address_only(make_app, auth, redis_url):
    import redis

    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="5 per 10 minutes")
    client = app.test_client()
    wrong = api_login(client, "0912345678", "sai-mat-khau", address="10.5.0.1")
    garbage = [api_login(client, f"xin-chao-{n}", "sai", address="10.5.0.1") for n in range(4)]
    refused = api_login(client, "khong-phai-so", "sai", address="10.5.0.1")

    assert {(r.status_code, str(r.get_json())) for r in garbage} == {(401, str(wrong.get_json()))}
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited")
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).scan_iter("LIMITS*")]
    assert any("login-failures-ip" in key for key in keys), keys
    assert not any("xin-chao" in key or "khong-phai" in key for key in keys), keys


# --- the owner keeps a way in ---------------------------------------------------------------------


def test_the_owner_signs_out_and_back_in_from_their_browser_while_the_number_is_guessed(app, auth):
    auth.create(phone="0912345678")
    owner = app.test_client()
    assert api_login(owner, "0912345678", PASSWORD, address="10.9.9.9").status_code == 200
    assert owner.get_cookie(SIGNIN_COOKIE) is not None
    owner.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(owner)})
    assert owner.get_cookie(SIGNIN_COOKIE) is not None  # signing out keeps the trust

    guesses = [api_login(app.test_client(), "0912345678", f"doan-{n}", address=f"10.6.{n % 8}.1").status_code
               for n in range(30)]
    stranger = api_login(app.test_client(), "0912345678", PASSWORD, address="10.7.0.1")
    back = api_login(owner, "0912345678", PASSWORD, address="10.9.9.9")
    owner.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(owner)})
    on_the_page = page_login(owner, "0912345678", PASSWORD, address="10.9.9.10")

    assert 429 in guesses and guesses.index(429) <= 10
    assert stranger.status_code == 429
    assert back.status_code == 200
    assert on_the_page.status_code == 302


def test_the_owner_behind_a_flooded_address_still_signs_in_from_their_browser(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="5 per 10 minutes")
    auth.app = app
    auth.create(phone="0912345678")
    owner = app.test_client()
    assert api_login(owner, "0912345678", PASSWORD, address="100.64.0.1").status_code == 200
    for n in range(6):
        api_login(app.test_client(), f"09870000{n:02d}", "sai", address="100.64.0.1")

    assert api_login(app.test_client(), "0912345678", PASSWORD, address="100.64.0.1").status_code == 429
    assert api_login(owner, "0912345678", PASSWORD, address="100.64.0.1").status_code == 200


def test_a_trusted_browser_has_a_small_budget_of_its_own(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_BROWSER="3 per 15 minutes")
    auth.app = app
    auth.create(phone="0912345678")
    owner = app.test_client()
    api_login(owner, "0912345678", PASSWORD)
    owner.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(owner)})
    answers = [api_login(owner, "0912345678", "go-nham").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    # The phone's own budget was not spent by the owner's typos.
    assert api_login(app.test_client(), "0912345678", PASSWORD).status_code == 200


def test_a_password_change_ends_every_browsers_trust(app, auth):
    auth.create(phone="0912345678")
    old_browser = app.test_client()
    api_login(old_browser, "0912345678", PASSWORD)
    old_browser.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(old_browser)})
    new_browser = auth.client
    auth.login("0912345678")
    changed = new_browser.post("/auth/profile/password", data={
        "current_password": PASSWORD, "new_password": "mat-khau-moi-1", "confirm_password": "mat-khau-moi-1",
        "csrf_token": csrf_token(new_browser)})
    assert changed.status_code == 302
    new_browser.post("/auth/logout", data={"csrf_token": csrf_token(new_browser)})
    for n in range(10):
        api_login(app.test_client(), "0912345678", f"doan-{n}", address=f"10.8.0.{n}")

    assert api_login(old_browser, "0912345678", "mat-khau-moi-1").status_code == 429
    assert api_login(new_browser, "0912345678", "mat-khau-moi-1").status_code == 200


def test_the_sign_in_cookie_is_its_own_signed_cookie_and_cannot_be_forged(app, auth):
    auth.create(phone="0912345678")
    owner = app.test_client()
    response = api_login(owner, "0912345678", PASSWORD)
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(SIGNIN_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert owner.get_cookie("quizapp_device") is None or owner.get_cookie("quizapp_device").value != \
        owner.get_cookie(SIGNIN_COOKIE).value
    value = owner.get_cookie(SIGNIN_COOKIE).value
    for n in range(10):
        api_login(app.test_client(), "0912345678", f"doan-{n}", address=f"10.10.0.{n}")

    forged = app.test_client()
    forged.set_cookie(SIGNIN_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert api_login(forged, "0912345678", PASSWORD).status_code == 429
    copied = app.test_client()
    copied.set_cookie(SIGNIN_COOKIE, value)  # a copy is the same browser as far as we can tell
    assert api_login(copied, "0912345678", PASSWORD).status_code == 200


# --- what admins see ------------------------------------------------------------------------------


def test_refusals_log_one_line_when_they_start_and_one_when_they_stop(make_app, auth, caplog, monkeypatch):
    first = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="2 per 10 minutes")
    second = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="2 per 10 minutes")
    auth.app = first
    auth.create(phone="0912345678")
    caplog.set_level(logging.WARNING)
    for app in (first, second):
        for n in range(12):
            api_login(app.test_client(), f"09870000{n:02d}", "sai", address="10.11.0.1")

    started = [r for r in caplog.records if "login-failures-ip started refusing" in r.getMessage()]
    assert len(started) == 1  # two instances sharing one Redis: one episode

    monkeypatch.setattr(pressure_module, "QUIET_SECONDS", 0)
    monkeypatch.setattr(pressure_module, "CHECK_SECONDS", 0)
    assert api_login(first.test_client(), "0912345678", PASSWORD, address="10.11.0.2").status_code == 200
    api_login(second.test_client(), "0912345678", PASSWORD, address="10.11.0.3")
    stopped = [r.getMessage() for r in caplog.records if "login-failures-ip stopped refusing" in r.getMessage()]
    assert len(stopped) == 1, stopped
    assert "after 22 refusals" in stopped[0]


def test_the_admin_page_shows_a_protection_that_is_refusing_now(make_app, auth):
    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_IP="2 per 10 minutes")
    auth.app, auth.client = app, app.test_client()
    for n in range(5):
        api_login(app.test_client(), f"09870000{n:02d}", "sai", address="10.12.0.1")
    auth.login_as("admin")
    page = auth.client.get("/admin/protection")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Địa chỉ IP đã hết lượt đăng nhập sai" in html
    assert "Số chỗ băm mật khẩu cùng lúc" in html
    taker = app.test_client()
    Accounts = type(auth)
    Accounts(app, taker).login_as()
    assert taker.get("/admin/protection").status_code == 403


def test_a_contest_password_hashed_at_an_older_cost_is_rewritten_when_it_unlocks(app, auth):
    auth.login_as()
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("mat-khau-cuoc-thi")
    with app.app_context():
        db.session.add(Contest(slug="kin", title="Cuộc thi kín", password_hash=old))
        db.session.commit()
    response = auth.client.post("/contests/kin/password", data={"password": "mat-khau-cuoc-thi",
                                                                "csrf_token": csrf_token(auth.client)})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Contest.password_hash).where(Contest.slug == "kin"))
    assert (extract_parameters(stored).time_cost, extract_parameters(stored).memory_cost) == (1, 8)
    assert PasswordHasher().verify(stored, "mat-khau-cuoc-thi")
