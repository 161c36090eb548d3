"""Signing in and out, CSRF, safe redirects, profile and password changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.extensions import db
from tests.conftest import PASSWORD, csrf_token


def api_login(client, phone, password):
    return client.post(
        "/api/v1/login", json={"phone": phone, "password": password}, headers={"X-CSRFToken": csrf_token(client)}
    )


def session_user(client):
    return client.get("/api/v1/session").get_json()["user"]


def test_login_page_accepts_any_usual_phone_form(client, auth):
    auth.create(phone="0912345678")
    response = auth.login("+84 912-345-678")
    assert response.status_code == 302
    assert session_user(client)["phone"] == "0912345678"


def test_wrong_password_is_refused_on_the_page(client, auth):
    auth.create(phone="0912345678")
    response = auth.login("0912345678", "wrong-password")
    assert response.status_code == 401
    assert "Số điện thoại hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    assert session_user(client) is None


def test_unknown_phone_gets_the_same_answer_as_a_wrong_password(client, auth):
    auth.create(phone="0912345678")
    known = api_login(client, "0912345678", "wrong-password")
    unknown = api_login(client, "0987654321", "wrong-password")
    assert known.status_code == unknown.status_code == 401
    assert known.get_json() == unknown.get_json()
    assert known.get_json()["error"]["code"] == "invalid_credentials"


def test_api_login_logout_round_trip(client, auth):
    auth.create(phone="0912345678", full_name="Phạm Thị Dung")
    response = api_login(client, "0912345678", PASSWORD)
    assert response.status_code == 200
    assert response.get_json()["user"]["full_name"] == "Phạm Thị Dung"
    assert "password_hash" not in response.get_json()["user"]
    assert session_user(client)["phone"] == "0912345678"
    response = client.post("/api/v1/logout", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200
    assert session_user(client) is None


def test_api_login_missing_fields(client):
    response = client.post("/api/v1/login", json={"phone": "0912345678"}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["password"]


def test_deactivated_account_cannot_sign_in(client, app, auth):
    user_id = auth.create(phone="0912345678")
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    # The right password is told the account is locked (tests/auth/test_disabled_accounts.py);
    # a wrong one learns nothing more than for a phone with no account.
    assert api_login(client, "0912345678", PASSWORD).status_code == 403
    wrong, unknown = api_login(client, "0912345678", "sai-mat-khau"), api_login(client, "0987654321", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401 and wrong.get_json() == unknown.get_json()


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_form_post_without_csrf_token_is_refused(client, auth, user_count, path):
    auth.create(phone="0912345678")
    data = {"phone": "0987654321", "password": PASSWORD, "confirm_password": PASSWORD, "full_name": "Ai Đó"}
    if path == "/auth/login":
        data = {"phone": "0912345678", "password": PASSWORD}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert session_user(client) is None
    assert user_count() == 1


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_api_post_without_valid_csrf_header_is_refused(client, auth, user_count, token):
    auth.create(phone="0912345678")
    headers = {"X-CSRFToken": token} if token else {}
    login = client.post("/api/v1/login", json={"phone": "0912345678", "password": PASSWORD}, headers=headers)
    register = client.post(
        "/api/v1/register", json={"phone": "0987654321", "password": PASSWORD, "full_name": "Ai Đó"}, headers=headers
    )
    for response in (login, register):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"
    assert session_user(client) is None
    assert user_count() == 1


def test_logout_needs_a_post_with_csrf(client, auth):
    auth.login_as("taker")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert session_user(client) is not None
    assert auth.logout().status_code == 302
    assert session_user(client) is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/auth/profile", "/auth/profile"),
        ("/units/?page=2", "/units/?page=2"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_redirects_only_to_this_site(client, auth, next_url, expected):
    auth.create(phone="0912345678")
    response = client.post(
        "/auth/login",
        query_string={"next": next_url},
        data={"phone": "0912345678", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_visitor_is_sent_to_login_and_back(client, auth):
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    auth.create(phone="0912345678")
    response = client.post(
        response.headers["Location"],
        data={"phone": "0912345678", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/auth/profile"


def test_profile_edit_saves_and_validates(client, app, auth):
    phone = auth.login_as("taker")
    token = csrf_token(client)
    response = client.post(
        "/auth/profile",
        data={"full_name": "Hoàng  Văn   Em", "birth_date": "1985-09-02", "gender": "male", "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        assert (user.full_name, user.birth_date.isoformat(), user.gender) == ("Hoàng Văn Em", "1985-09-02", "male")
    response = client.post("/auth/profile", data={"full_name": "", "csrf_token": token})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(User.full_name).where(User.phone == phone)) == "Hoàng Văn Em"


def test_password_change_ends_other_sessions(app, client, auth):
    phone = auth.login_as("taker")
    other_phone_client = app.test_client()
    assert other_phone_client.post(
        "/auth/login", data={"phone": phone, "password": PASSWORD, "csrf_token": csrf_token(other_phone_client)}
    ).status_code == 302

    wrong = client.post(
        "/auth/profile/password",
        data={"current_password": "not-it-123", "new_password": "moi-mat-khau-9",
              "confirm_password": "moi-mat-khau-9", "csrf_token": csrf_token(client)},
    )
    assert wrong.status_code == 422
    assert "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    assert session_user(other_phone_client) is not None

    response = client.post(
        "/auth/profile/password",
        data={"current_password": PASSWORD, "new_password": "moi-mat-khau-9",
              "confirm_password": "moi-mat-khau-9", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert session_user(client)["phone"] == phone
    assert session_user(other_phone_client) is None
    auth.logout()
    assert auth.login(phone, PASSWORD).status_code == 401
    assert auth.login(phone, "moi-mat-khau-9").status_code == 302
