"""The password-reset and phone-verification pages: plain forms that work without JavaScript,
errors next to the fields, the same limits and answers as the API (auth/routes.py)."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.extensions import db
from tests.attempt_support import API
from tests.auth.test_password_reset import KNOWN, NEW_PASSWORD, UNKNOWN, known_account
from tests.conftest import PASSWORD, Accounts, csrf_token
from tests.sms_support import last_code, sent
from tests.test_page_labels import Fields


def labelled(html: str) -> bool:
    fields = Fields()
    fields.feed(html)
    return all(f.get("id") in fields.labelled or f["_wrapped"] for f in fields.fields)


def ask_page(client, phone: str):
    return client.post("/auth/password-reset", data={"phone": phone, "csrf_token": csrf_token(client)})


def confirm_page(client, phone: str, code: str, password: str = NEW_PASSWORD, again: str | None = None):
    return client.post("/auth/password-reset/confirm", data={
        "phone": phone, "code": code, "new_password": password, "confirm_password": again or password,
        "csrf_token": csrf_token(client)})


def test_the_login_page_links_to_the_reset_and_the_forms_are_labelled(client):
    assert 'href="/auth/password-reset"' in client.get("/auth/login").get_data(as_text=True)
    for url in ("/auth/password-reset", "/auth/password-reset/confirm"):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and labelled(html) and "<script" not in html.split("</form>")[0]
        assert len(page.get_data()) < 30 * 1024


def test_a_reset_through_the_pages_signs_in_and_ends_the_other_sessions(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    other = app.test_client()
    assert Accounts(app, other).login(KNOWN).status_code == 302
    browser = app.test_client()

    asked = ask_page(browser, KNOWN)
    assert asked.status_code == 302 and asked.headers["Location"] == "/auth/password-reset/confirm"
    shown = browser.get(asked.headers["Location"]).get_data(as_text=True)
    assert "mã xác nhận sẽ được gửi qua SMS" in shown and f'value="{KNOWN}"' in shown
    code = last_code(app, outbox, KNOWN)
    done = confirm_page(browser, KNOWN, code)

    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert browser.get(f"{API}/session").get_json()["user"]["phone"] == KNOWN
    assert other.get(f"{API}/session").get_json()["user"] is None
    assert other.get("/auth/profile").status_code == 302  # to the sign-in page
    assert Accounts(app, app.test_client()).login(KNOWN, NEW_PASSWORD).status_code == 302


def test_the_page_answers_alike_for_known_and_unknown_phones(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    known, unknown = ask_page(app.test_client(), KNOWN), ask_page(app.test_client(), UNKNOWN)
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    last_code(app, outbox, KNOWN)
    assert [message["to"] for message in sent(outbox)] == [KNOWN]


def test_errors_stand_next_to_their_fields_and_change_nothing(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    client = app.test_client()
    bad_phone = ask_page(client, "12345")
    assert bad_phone.status_code == 422 and 'id="phone-error"' in bad_phone.get_data(as_text=True)

    ask_page(client, KNOWN)
    code = last_code(app, outbox, KNOWN)
    wrong = confirm_page(client, KNOWN, f"{(int(code) + 1) % 1_000_000:06d}")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'id="code-error"' in html and "không đúng hoặc đã hết hạn" in html
    assert NEW_PASSWORD not in html
    mismatch = confirm_page(client, KNOWN, code, again="khac-hoan-toan")
    assert mismatch.status_code == 422 and 'id="confirm_password-error"' in mismatch.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.phone_verified_at).where(User.phone == KNOWN)) is None
    assert Accounts(app, app.test_client()).login(KNOWN, PASSWORD).status_code == 302


def test_the_page_and_the_api_share_one_budget(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path, RATELIMIT_CODE_SEND_PER_PHONE="2 per hour")
    client = app.test_client()
    ask_page(client, KNOWN)
    client.post(f"{API}/password-reset", json={"phone": KNOWN}, headers={"X-CSRFToken": csrf_token(client)})
    refused = ask_page(app.test_client(), KNOWN)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "quá nhiều lần" in refused.get_data(as_text=True)


def test_the_verification_page_sends_a_code_and_takes_it_back_without_script(make_app, auth, tmp_path):
    app, outbox = known_account(make_app, auth, tmp_path)
    client = app.test_client()
    Accounts(app, client).login(KNOWN)
    page = client.get("/auth/phone-verification?next=/contests/tuan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and labelled(html) and "<script" not in html
    assert 'action="/auth/phone-verification/send?next=/contests/tuan"' in html
    assert "xác minh số điện thoại" in client.get("/auth/profile").get_data(as_text=True)

    sent_page = client.post("/auth/phone-verification/send?next=/contests/tuan",
                            data={"csrf_token": csrf_token(client)})
    assert sent_page.headers["Location"] == "/auth/phone-verification?next=/contests/tuan"
    code = last_code(app, outbox, KNOWN)
    assert "Mã xác minh số điện thoại" in sent(outbox)[-1]["text"]
    wrong = client.post("/auth/phone-verification?next=/contests/tuan",
                        data={"code": "12345", "csrf_token": csrf_token(client)})
    assert wrong.status_code == 422 and 'id="code-error"' in wrong.get_data(as_text=True)
    done = client.post("/auth/phone-verification?next=/contests/tuan",
                       data={"code": code, "csrf_token": csrf_token(client)})
    assert done.status_code == 302 and done.headers["Location"] == "/contests/tuan"
    assert "đã được xác minh" in client.get("/auth/phone-verification").get_data(as_text=True)
    assert "(đã xác minh)" in client.get("/auth/profile").get_data(as_text=True)


def test_the_verification_page_needs_a_signed_in_account(client):
    assert client.get("/auth/phone-verification").status_code == 302


def test_the_phone_never_travels_in_a_url(make_app, auth, tmp_path):
    """Access logs and a shared phone's browser history keep URLs: the confirm page gets the
    phone from this browser's session, and another browser's confirm page does not show it."""
    app, outbox = known_account(make_app, auth, tmp_path)
    browser, stranger = app.test_client(), app.test_client()
    asked = ask_page(browser, KNOWN)
    assert KNOWN not in asked.headers["Location"] and KNOWN[1:] not in asked.headers["Location"]
    assert f'value="{KNOWN}"' in browser.get("/auth/password-reset/confirm").get_data(as_text=True)
    assert KNOWN not in stranger.get("/auth/password-reset/confirm").get_data(as_text=True)
    assert confirm_page(browser, KNOWN, last_code(app, outbox, KNOWN)).status_code == 302


def test_asking_for_verification_codes_too_often_is_429_with_retry_after_on_the_page(make_app, auth, tmp_path):
    app, _outbox = known_account(make_app, auth, tmp_path, RATELIMIT_CODE_SEND_PER_PHONE="2 per 15 minutes")
    client = app.test_client()
    Accounts(app, client).login(KNOWN)
    for _ in range(2):
        assert client.post("/auth/phone-verification/send?next=/contests/tuan",
                           data={"csrf_token": csrf_token(client)}).status_code == 302
    refused = client.post("/auth/phone-verification/send?next=/contests/tuan", data={"csrf_token": csrf_token(client)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "quá nhiều lần" in html and 'action="/auth/phone-verification/send?next=/contests/tuan"' in html
