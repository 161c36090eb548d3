"""Password reset by SMS code (DESIGN §5, §7; auth/codes.py): 202 for every phone, a code only
to a phone with an account, sent after the response; codes short-lived, hashed, one live per
account, dead after a few wrong tries; a reset ends every other session and every browser's
sign-in trust."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.auth.models import OneTimeCode, User
from quizapp.extensions import db
from tests.attempt_support import API, error_code, install_clock
from tests.auth.test_signin_protection import api_login
from tests.conftest import PASSWORD, csrf_token
from tests.job_support import run_jobs
from tests.sms_support import last_code, sent, sms_app

KNOWN, UNKNOWN = "0912345678", "0987654321"
NEW_PASSWORD = "mat-khau-moi-2026"


def ask(client, phone: str, *, address: str = "127.0.0.1"):
    return client.post(f"{API}/password-reset", json={"phone": phone}, headers={"X-CSRFToken": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address})


def confirm(client, phone: str, code: str, password: str = NEW_PASSWORD, *, address: str = "127.0.0.1"):
    return client.post(f"{API}/password-reset/confirm", json={"phone": phone, "code": code, "new_password": password},
                       headers={"X-CSRFToken": csrf_token(client)}, environ_base={"REMOTE_ADDR": address})


def session_user(client):
    return client.get(f"{API}/session").get_json()["user"]


def headers_of(response) -> dict[str, str]:
    # Everything but the moment it was sent.
    return {name: value for name, value in response.headers.items() if name not in ("Date",)}


def known_account(make_app, auth, tmp_path, **config):
    """An app sending to a file, with an account on KNOWN; the app and the outbox."""
    app, outbox = sms_app(make_app, tmp_path, **config)
    auth.app = app
    auth.create(phone=KNOWN)
    return app, outbox


def code_sent(make_app, auth, tmp_path, **config):
    """As ``known_account``, with a reset code asked for and delivered: the app and the code."""
    app, outbox = known_account(make_app, auth, tmp_path, **config)
    ask(app.test_client(), KNOWN)
    return app, last_code(app, outbox, KNOWN)


def test_known_and_unknown_phones_get_the_same_answer_and_only_the_account_gets_a_code(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)

    known, unknown = ask(app.test_client(), KNOWN), ask(app.test_client(), UNKNOWN)

    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()
    assert headers_of(known).keys() == headers_of(unknown).keys()
    assert {k: v for k, v in headers_of(known).items() if k != "Set-Cookie"} == \
        {k: v for k, v in headers_of(unknown).items() if k != "Set-Cookie"}
    # Nothing was sent inside the request: the worker sends it.
    assert sent(outbox) == []
    run_jobs(app)
    messages = sent(outbox)
    assert [message["to"] for message in messages] == [KNOWN]
    assert "Mã đặt lại mật khẩu" in messages[0]["text"] and "hiệu lực 10 phút" in messages[0]["text"]


def test_the_limits_answer_alike_for_known_and_unknown_phones(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path, RATELIMIT_CODE_SEND_PER_PHONE="2 per hour")

    def tries(phone, base):
        return [ask(app.test_client(), phone, address=f"10.1.{base}.{n}") for n in range(3)]

    known, unknown = tries(KNOWN, 1), tries(UNKNOWN, 2)

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [202, 202, 429]
    assert known[2].get_json() == unknown[2].get_json()
    assert error_code(known[2]) == "rate_limited"
    assert known[2].headers["Retry-After"] == unknown[2].headers["Retry-After"]
    assert int(known[2].headers["Retry-After"]) > 0
    # Another spelling of the number is the same number and the same budget.
    assert ask(app.test_client(), "+84 912 345 678", address="10.1.3.1").status_code == 429
    run_jobs(app)
    assert len(sent(outbox)) == 2


def test_the_address_budget_holds_across_phones(make_app, tmp_path):
    app, _outbox = sms_app(make_app, tmp_path, RATELIMIT_CODE_SEND_PER_IP="3 per hour")
    answers = [ask(app.test_client(), f"09123400{n:02d}", address="10.2.0.1").status_code for n in range(4)]
    assert answers == [202, 202, 202, 429]


def test_one_carrier_nat_address_serves_many_people_asking_for_codes(make_app, tmp_path):
    """DESIGN §3 rule 5: thousands share a carrier's NAT address, and an opening hour sends many
    of them to "Quên mật khẩu?"; the default address budget lets them through, each phone
    still held to its own."""
    app, _outbox = sms_app(make_app, tmp_path)
    answers = [ask(app.test_client(), f"0913{n:06d}", address="10.3.0.1").status_code for n in range(200)]
    assert answers == [202] * 200
    assert [ask(app.test_client(), "0913000000", address="10.3.0.1").status_code for _ in range(3)] == [202, 202, 429]


def test_a_phone_that_is_no_number_is_a_field_error(app):
    response = ask(app.test_client(), "xin chào")
    assert response.status_code == 422 and "phone" in response.get_json()["error"]["fields"]


def test_the_code_resets_the_password_signs_in_and_ends_every_other_session_and_trust(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path, RATELIMIT_LOGIN_FAILURES_PER_PHONE="1 per hour")
    elsewhere = app.test_client()
    assert api_login(elsewhere, KNOWN, PASSWORD).status_code == 200
    assert session_user(elsewhere)["phone"] == KNOWN

    phone = app.test_client()
    assert ask(phone, KNOWN).status_code == 202
    code = last_code(app, outbox, KNOWN)
    done = confirm(phone, KNOWN, code)

    assert done.status_code == 200, done.get_json()
    assert done.get_json()["user"]["phone"] == KNOWN
    assert session_user(phone)["phone"] == KNOWN
    assert session_user(elsewhere) is None  # the other session ended
    # The old browser is no longer trusted: after a stranger spends the phone's failure budget
    # it meets the budget like anyone, while the browser that reset the password is trusted.
    assert api_login(app.test_client(), KNOWN, "doan-sai", address="10.3.0.1").status_code == 401
    assert api_login(elsewhere, KNOWN, NEW_PASSWORD, address="10.3.0.2").status_code == 429
    phone.post(f"{API}/logout", headers={"X-CSRFToken": csrf_token(phone)})
    assert api_login(phone, KNOWN, NEW_PASSWORD, address="10.3.0.3").status_code == 200
    assert api_login(app.test_client(), KNOWN, PASSWORD, address="10.3.0.4").status_code == 429
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == KNOWN))
        assert user.phone_verified_at is not None  # a code that came by SMS proves the phone


def test_a_code_works_once(make_app, auth, tmp_path):
    app, code = code_sent(make_app, auth, tmp_path)
    assert confirm(app.test_client(), KNOWN, code).status_code == 200
    again = confirm(app.test_client(), KNOWN, code, "mat-khau-khac-99")
    assert (again.status_code, error_code(again)) == (422, "code_invalid")


def test_codes_are_stored_hashed_and_a_new_one_replaces_the_old(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    ask(app.test_client(), KNOWN)
    first = last_code(app, outbox, KNOWN)
    with app.app_context():
        rows = db.session.scalars(select(OneTimeCode)).all()
        assert len(rows) == 1 and first not in rows[0].code_hash and len(rows[0].code_hash) == 64
    ask(app.test_client(), KNOWN)
    second = last_code(app, outbox, KNOWN)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OneTimeCode)) == 1
    if first != second:
        assert error_code(confirm(app.test_client(), KNOWN, first)) == "code_invalid"
    assert confirm(app.test_client(), KNOWN, second).status_code == 200


def test_a_code_expires(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    clock = install_clock(app)
    ask(app.test_client(), KNOWN)
    code = last_code(app, outbox, KNOWN)
    clock.advance(minutes=10, seconds=1)
    late = confirm(app.test_client(), KNOWN, code)
    assert (late.status_code, error_code(late)) == (422, "code_invalid")
    clock.advance(minutes=-2)
    assert confirm(app.test_client(), KNOWN, code).status_code == 200


def test_wrong_tries_are_counted_and_the_fifth_kills_the_code(make_app, auth, tmp_path):
    app, code = code_sent(make_app, auth, tmp_path)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [confirm(app.test_client(), KNOWN, wrong) for _ in range(5)]
    assert {(r.status_code, error_code(r)) for r in answers} == {(422, "code_invalid")}
    assert answers[0].get_json()["error"]["fields"] == {"code": [answers[0].get_json()["error"]["message"]]}
    dead = confirm(app.test_client(), KNOWN, code)
    assert (dead.status_code, error_code(dead)) == (422, "code_invalid")
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.phone == KNOWN)) is not None
    assert api_login(app.test_client(), KNOWN, PASSWORD).status_code == 200  # the password never changed


def test_four_wrong_tries_leave_the_code_alive(make_app, auth, tmp_path):
    app, code = code_sent(make_app, auth, tmp_path)
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(4):
        confirm(app.test_client(), KNOWN, wrong)
    assert confirm(app.test_client(), KNOWN, code).status_code == 200


def test_a_guess_for_an_unknown_phone_is_answered_like_a_wrong_code(make_app, auth, tmp_path):
    app, code = code_sent(make_app, auth, tmp_path)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    known, unknown = confirm(app.test_client(), KNOWN, wrong), confirm(app.test_client(), UNKNOWN, wrong)
    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())


def test_typing_codes_is_limited_per_phone_with_retry_after(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path, RATELIMIT_CODE_CHECK_PER_PHONE="3 per 15 minutes")
    known = [confirm(app.test_client(), KNOWN, "000000", address=f"10.4.0.{n}") for n in range(4)]
    unknown = [confirm(app.test_client(), UNKNOWN, "000000", address=f"10.5.0.{n}") for n in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [422, 422, 422, 429]
    assert known[3].get_json() == unknown[3].get_json() and "Retry-After" in known[3].headers


def test_a_short_new_password_changes_nothing_and_spends_no_code(make_app, auth, tmp_path):
    app, code = code_sent(make_app, auth, tmp_path)
    short = confirm(app.test_client(), KNOWN, code, "ngan")
    assert short.status_code == 422 and "new_password" in short.get_json()["error"]["fields"]
    assert confirm(app.test_client(), KNOWN, code).status_code == 200


def test_a_disabled_account_gets_no_code(make_app, auth, tmp_path):
    app, outbox = sms_app(make_app, tmp_path)
    auth.app = app
    user_id = auth.create(phone=KNOWN)
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    assert ask(app.test_client(), KNOWN).status_code == 202
    run_jobs(app)
    assert sent(outbox) == []


def test_without_redis_the_message_goes_out_after_the_response(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path, REDIS_URL=None)
    client = app.test_client()
    response = ask(client, KNOWN)
    assert response.status_code == 202
    response.close()
    assert [message["to"] for message in sent(outbox)] == [KNOWN]
