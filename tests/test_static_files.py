"""Static URLs carry their file's version, so nginx may cache them for a year (quizapp/staticfiles.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from quizapp.staticfiles import file_versions

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
