"""Headers, cookies and error responses every visitor gets."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page", "/api/v1/session", "/healthz"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_outside_assets(client):
    for path in ("/", "/auth/login", "/auth/register"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html
        assert "http://" not in html and "https://" not in html
        assert '<html lang="vi">' in html
        assert 'name="viewport"' in html


def test_session_cookie_flags(client, auth):
    auth.create(phone="0912345678")
    response = auth.login("0912345678", PASSWORD)
    cookie = next(value for name, value in response.headers.items()
                  if name == "Set-Cookie" and value.startswith("quizapp_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_behind_https(make_app):
    app = make_app(HTTPS=True)
    client = app.test_client()
    response = client.get("/api/v1/session", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_not_found_page_is_vietnamese_and_api_errors_are_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Không tìm thấy trang" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json() == {"error": {"code": "not_found", "message": api.get_json()["error"]["message"]}}
    wrong_method = client.delete("/api/v1/session")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_unexpected_error_gives_a_vietnamese_500(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("kaboom")

    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    assert "Lỗi hệ thống" in page.get_data(as_text=True)
    assert "kaboom" not in page.get_data(as_text=True)
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.get_json()["error"]["code"] == "internal_error"


def test_api_answers_are_not_cached(client):
    assert client.get("/api/v1/session").headers["Cache-Control"] == "no-store"


def test_api_needs_login_as_json(make_app):
    app = make_app()
    from flask_login import login_required

    @app.get("/api/v1/private")
    @login_required
    def private():
        return {"ok": True}

    response = app.test_client().get("/api/v1/private")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"


def test_verified_session_cookies_are_cached_safely(make_app):
    """The session cache never serves a forged cookie, nor one request's changes to another."""
    from flask import session

    app = make_app()

    @app.post("/api/v1/remember")
    def remember():
        session["note"] = "changed in this request"
        return {"ok": True}

    @app.get("/api/v1/note")
    def note():
        return {"note": session.get("note")}

    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    cookie = client.get_cookie("quizapp_session").value
    other = app.test_client()
    other.set_cookie("quizapp_session", cookie)
    assert other.post("/api/v1/remember", headers={"X-CSRFToken": token}).status_code == 200
    # The same original cookie, sent again, still holds no note: the cached copy was not changed.
    replay = app.test_client()
    replay.set_cookie("quizapp_session", cookie)
    assert replay.get("/api/v1/note").get_json() == {"note": None}
    # A forged cookie (one character changed) opens an empty session.
    forged = app.test_client()
    forged.set_cookie("quizapp_session", cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])
    assert forged.get("/api/v1/session").get_json()["user"] is None
    assert forged.post("/api/v1/remember", headers={"X-CSRFToken": token}).status_code == 400
