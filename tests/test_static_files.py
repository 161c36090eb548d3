"""Static URLs carry their file's version, so nginx may cache them for a year (quizapp/staticfiles.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from quizapp.staticfiles import file_versions, folder_version

STATIC = Path(__file__).resolve().parent.parent / "quizapp" / "static"


def version_of(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def test_every_static_url_on_a_page_carries_the_file_version(client):
    page = client.get("/auth/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {url.split("?")[0] for url in urls} >= {"/static/style.css", "/static/busy-retry.js",
                                                   "/static/favicon.ico"}
    for url in urls:
        path, _, query = url.partition("?")
        assert query == f"v={version_of(path.removeprefix('/static/'))}", url


def test_flask_static_route_serves_versioned_urls(client):
    # `make run` has no nginx: Flask's own route must answer the URLs the pages carry.
    with client.get(f"/static/style.css?v={version_of('style.css')}") as response:
        assert response.status_code == 200
        assert response.data == (STATIC / "style.css").read_bytes()


def test_a_changed_file_gets_a_new_version(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: red }")
    before = file_versions(str(tmp_path))
    (tmp_path / "css" / "site.css").write_text("body { color: blue }")
    after = file_versions(str(tmp_path))
    assert set(before) == {"css/site.css"}
    assert before["css/site.css"] != after["css/site.css"]


def test_favicon_is_served(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype in {"image/x-icon", "image/vnd.microsoft.icon"}
        assert response.data == (STATIC / "favicon.ico").read_bytes()


def test_the_service_worker_is_served_at_the_root_with_the_folder_version(app, client):
    with app.test_request_context():
        from flask import url_for
        url = url_for("service_worker")
    assert url == f"/sw.js?v={folder_version(file_versions(str(STATIC)))}"
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype in {"application/javascript", "text/javascript"}
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.data == (STATIC / "sw.js").read_bytes()


def test_the_folder_version_changes_with_any_file(tmp_path):
    (tmp_path / "offline.html").write_text("<p>Mất kết nối</p>")
    (tmp_path / "sw.js").write_text("'use strict';")
    before = folder_version(file_versions(str(tmp_path)))
    (tmp_path / "offline.html").write_text("<p>Mất kết nối mạng</p>")
    assert folder_version(file_versions(str(tmp_path))) != before


def test_the_service_worker_caches_no_page_and_no_api_answer():
    """What sw.js may store: the offline page's own files and versioned static URLs; it answers
    pages from the network and never handles /api/ (attempt.js's offline queue does that)."""
    script = (STATIC / "sw.js").read_text()
    assert re.findall(r"cache\.(?:put|add|addAll)\(", script) == ["cache.addAll(", "cache.put("]
    assert "var SHELL = [OFFLINE, '/static/style.css', '/static/offline.js'];" in script
    assert "if (response.ok && url.searchParams.has('v')) cache.put(request, response.clone());" in script
    assert "/api/" not in script.replace("never touches /api/", "")
    # The offline page holds no one's data and links only to files the worker keeps.
    page = (STATIC / "offline.html").read_text()
    assert set(re.findall(r'(?:href|src)="(/[^"]*)"', page)) == {"/static/style.css", "/static/offline.js"}
    assert "csrf" not in page.lower()
