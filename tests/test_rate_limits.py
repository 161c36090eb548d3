"""Sign-in limits: per phone first, per IP only as a generous flood guard."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token


def api_login(client, phone, password):
    return client.post(
        "/api/v1/login", json={"phone": phone, "password": password}, headers={"X-CSRFToken": csrf_token(client)}
    )


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
    # The page shares the same count and answers with a Vietnamese page.
    page = client.post("/auth/login", data={"phone": "0912345678", "password": PASSWORD,
                                            "csrf_token": csrf_token(client)})
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    assert "Thao tác quá nhanh" in page.get_data(as_text=True)


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
    assert any("login-phone" in key and "phone:0912345678" in key for key in keys), keys
