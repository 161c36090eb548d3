"""Where people land after signing in: each role at its own console, unless ?next= says otherwise."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token

LANDINGS = [("organiser", "/contests/manage/"), ("judge", "/judging/"), ("admin", "/admin/users"), ("taker", "/")]


def sign_in(client, phone: str, next_url: str | None = None):
    path = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"phone": phone, "password": PASSWORD, "csrf_token": csrf_token(client)})


@pytest.mark.parametrize(("role", "landing"), LANDINGS)
def test_each_role_lands_on_its_own_console(client, auth, role, landing):
    auth.create(role, phone="0912345678")
    response = sign_in(client, "0912345678")
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get(landing).status_code == 200  # a page the role may open
    # Opening the sign-in page again while signed in goes the same way.
    assert client.get("/auth/login").headers["Location"] == landing


@pytest.mark.parametrize(("role", "_landing"), LANDINGS)
def test_a_safe_next_still_wins(client, auth, role, _landing):
    auth.create(role, phone="0912345678")
    response = sign_in(client, "0912345678", "/contests/")
    assert response.headers["Location"] == "/contests/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_an_unsafe_next_falls_back_to_the_console(client, auth, target):
    auth.create("organiser", phone="0912345678")
    response = sign_in(client, "0912345678", target)
    assert response.headers["Location"] == "/contests/manage/"


def test_an_organiser_asked_for_consent_goes_on_to_the_console(client, auth):
    auth.create("organiser", phone="0912345678", consent=False)
    response = sign_in(client, "0912345678")
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy/consent?next=/contests/manage/"
