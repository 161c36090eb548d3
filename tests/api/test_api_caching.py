"""Every answer under /api/v1 is per person: none may be kept by a cache, errors included."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/api/v1/khong-co", 404, "not_found"),
    ("GET", "/api/v1/attempts/abc", 404, "not_found"),
    ("GET", "/api/v1/login", 405, "method_not_allowed"),
    ("GET", "/api/v1/session", 200, None),
])
def test_api_answers_and_errors_are_never_stored(client, method, path, status, code):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.headers.get("Cache-Control") == "no-store"
    if code:
        assert response.get_json()["error"]["code"] == code
