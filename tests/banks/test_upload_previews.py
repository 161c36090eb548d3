"""Upload previews (files under instance/uploads until confirmed) cannot pile up: however
the browsers behave, the folder keeps at most UPLOAD_PREVIEW_MAX_FILES files and
UPLOAD_PREVIEW_MAX_BYTES bytes, the oldest going first, and none past its age."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

from tests.banks.test_bank_pages import GOOD_CSV, counts
from tests.conftest import Accounts, csrf_token


def organiser(app, tmp_path: Path):
    """A signed-in organiser's browser, on an app whose instance folder is the test's own."""
    app.instance_path = str(tmp_path)
    client = app.test_client()
    Accounts(app, client).login_as("organiser")
    return client


def preview(client, number: int) -> str:
    data = GOOD_CSV.replace("Bác Hồ".encode(), f"Bác Hồ ({number})".encode())
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(data), f"tep-{number}.csv"), "bank": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True)).group(1)


def kept(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in (tmp_path / "uploads").iterdir())


def test_a_browser_replaying_a_stale_cookie_cannot_pile_up_previews(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_MAX_FILES=3)
    client = organiser(app, tmp_path)
    stale = client.get_cookie("quizapp_session").value
    tokens = []
    for number in range(8):
        # The cookie of before any preview: the session never learns of the earlier ones.
        client.set_cookie("quizapp_session", stale)
        tokens.append(preview(client, number))
        os.utime(tmp_path / "uploads" / tokens[-1], (time.time() - 100 + number, time.time() - 100 + number))
    assert kept(tmp_path) == sorted(tokens[-3:])


def test_previews_past_the_byte_cap_go_oldest_first_and_the_newest_still_imports(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_MAX_BYTES=2 * len(GOOD_CSV) + 100)
    client = organiser(app, tmp_path)
    tokens = []
    for number in range(4):
        tokens.append(preview(client, number))
        os.utime(tmp_path / "uploads" / tokens[-1], (time.time() - 100 + number, time.time() - 100 + number))
    assert kept(tmp_path) == sorted(tokens[-2:])

    gone = client.post("/banks/upload/confirm", data={"token": tokens[0], "csrf_token": csrf_token(client)})
    assert gone.headers["Location"] == "/banks/upload" and counts(app) == (0, 0, 0)
    confirmed = client.post("/banks/upload/confirm", data={"token": tokens[-1], "csrf_token": csrf_token(client)})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].startswith("/banks/")
    assert counts(app) == (1, 2, 8)


def test_a_preview_past_its_age_is_deleted_by_the_next_upload(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_SECONDS=600)
    client = organiser(app, tmp_path)
    old = preview(client, 1)
    os.utime(tmp_path / "uploads" / old, (time.time() - 601, time.time() - 601))
    new = preview(client, 2)
    assert kept(tmp_path) == [new]
