"""Sessions (DESIGN §7): signing out ends that one session on every server, a password change
ends them all, and signing in or out starts the browser's session afresh, so nothing of one
person carries over to the next on a shared phone."""

from __future__ import annotations

from quizapp.auth.models import User
from quizapp.extensions import db
from tests.attempt_support import API, error_code, install_clock, one_round, sign_in, sign_up
from tests.conftest import CONSENT, PASSWORD, csrf_token


def session_user(client):
    return client.get(f"{API}/session").get_json()["user"]


def copy_of(app, client):
    """Another client holding the same session cookie, as a copy of it would."""
    twin = app.test_client()
    twin.set_cookie("quizapp_session", client.get_cookie("quizapp_session").value)
    return twin


def test_a_signed_out_cookie_stays_signed_out_on_the_pages(app, client, auth):
    phone = auth.login_as("taker")
    copy = copy_of(app, client)
    assert session_user(copy)["phone"] == phone

    assert auth.logout().status_code == 302

    assert session_user(copy) is None
    assert copy.get("/auth/profile").status_code == 302  # to the sign-in page
    profile = copy.post("/auth/profile", data={"full_name": "Kẻ Gian", "csrf_token": csrf_token(copy)})
    assert profile.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(User.full_name).where(User.phone == phone)) != "Kẻ Gian"


def test_a_password_change_ends_every_session_and_the_copies_of_this_one(app, client, auth):
    phone = auth.login_as("taker")
    copy = copy_of(app, client)
    elsewhere, signed_in = sign_in(app, phone)
    assert signed_in.status_code == 200

    changed = client.post("/auth/profile/password", data={
        "current_password": PASSWORD, "new_password": "mat-khau-moi-9", "confirm_password": "mat-khau-moi-9",
        "csrf_token": csrf_token(client)})

    assert changed.status_code == 302
    assert session_user(client)["phone"] == phone  # the browser that changed it signed in anew
    assert session_user(copy) is None and session_user(elsewhere) is None


def test_a_cookie_from_before_session_records_is_signed_out_without_an_error(app, tmp_path):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    with taker.client.session_transaction() as session:
        session["_user_id"] = f"{taker.user_id}.1"  # the old "<id>.<version>" form

    read = taker.attempt(attempt["id"])
    saved = taker.save(attempt["id"], question["id"], [question["options"][0]["id"]])

    assert session_user(taker.client) is None
    assert (read.status_code, error_code(read)) == (401, "login_required")
    assert (saved.status_code, error_code(saved)) == (401, "login_required")


# --- a fresh session at sign-in and sign-out -----------------------------------------------


def test_signing_in_and_out_on_the_page_renews_the_session_and_its_csrf_token(app, client, auth):
    auth.create(phone="0912345678")
    before = csrf_token(client)
    cookie_before = client.get_cookie("quizapp_session").value

    assert auth.login("0912345678").status_code == 302
    signed_in = csrf_token(client)
    assert signed_in != before and client.get_cookie("quizapp_session").value != cookie_before
    # The visitor's token is dead: whoever knew it cannot act as the person now signed in.
    stale = client.post(f"{API}/logout", headers={"X-CSRFToken": before})
    assert (stale.status_code, error_code(stale)) == (400, "csrf_failed")

    assert auth.logout().status_code == 302
    signed_out = csrf_token(client)
    assert signed_out not in (before, signed_in)
    stale = client.post(f"{API}/logout", headers={"X-CSRFToken": signed_in})
    assert (stale.status_code, error_code(stale)) == (400, "csrf_failed")


def test_the_api_renews_the_session_and_hands_over_the_new_token(app, client, auth):
    auth.create(phone="0912345678")
    before = csrf_token(client)

    registered = client.post(f"{API}/register", json={"phone": "0987654321", "password": PASSWORD,
                                                      "full_name": "Người Mới", **CONSENT},
                             headers={"X-CSRFToken": before})
    token = registered.get_json()["csrf_token"]
    assert registered.status_code == 201 and token != before
    signed_out = client.post(f"{API}/logout", headers={"X-CSRFToken": token})
    assert signed_out.status_code == 200 and signed_out.get_json()["csrf_token"] != token
    stale = client.post(f"{API}/login", json={"phone": "0912345678", "password": PASSWORD},
                        headers={"X-CSRFToken": token})
    assert (stale.status_code, error_code(stale)) == (400, "csrf_failed")

    logged_in = client.post(f"{API}/login", json={"phone": "0912345678", "password": PASSWORD},
                            headers={"X-CSRFToken": signed_out.get_json()["csrf_token"]})
    # A token is the session's secret signed with the time (itsdangerous): two made a second
    # apart differ in their time; the secret they sign is the part before the first dot.
    assert logged_in.status_code == 200
    assert logged_in.get_json()["csrf_token"].split(".")[0] == csrf_token(client).split(".")[0]
    assert logged_in.get_json()["csrf_token"].split(".")[0] != signed_out.get_json()["csrf_token"].split(".")[0]


def test_registering_on_the_page_renews_the_session(app, client):
    before = csrf_token(client)
    registered = client.post("/auth/register", data={
        "phone": "0987654321", "password": PASSWORD, "confirm_password": PASSWORD, "full_name": "Người Mới",
        "csrf_token": before, **CONSENT})
    assert registered.status_code == 302
    assert session_user(client)["phone"] == "0987654321" and csrf_token(client) != before


def test_an_unlocked_contest_does_not_carry_over_to_the_next_person_on_the_phone(app, client, auth, tmp_path):
    install_clock(app)
    round_id = one_round(app, tmp_path, contest={"password": "mat-khau-cuoc-thi"})
    first = auth.login_as("taker")
    unlocked = client.post("/contests/tuan/password",
                           data={"password": "mat-khau-cuoc-thi", "csrf_token": csrf_token(client)})
    assert unlocked.status_code == 302
    assert 'action="/contests/tuan/password"' not in client.get("/contests/tuan").get_data(as_text=True)
    auth.logout()

    auth.login_as("taker")
    page = client.get("/contests/tuan").get_data(as_text=True)
    started = client.post(f"{API}/rounds/{round_id}/attempts", headers={"X-CSRFToken": csrf_token(client)})
    assert 'action="/contests/tuan/password"' in page
    assert (started.status_code, error_code(started)) == (403, "contest_password_required")

    auth.logout()
    assert auth.login(first).status_code == 302  # and the first person's own new session asks again too
    again = client.post(f"{API}/rounds/{round_id}/attempts", headers={"X-CSRFToken": csrf_token(client)})
    assert (again.status_code, error_code(again)) == (403, "contest_password_required")
