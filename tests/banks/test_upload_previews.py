"""Upload previews (rows of upload_previews until confirmed, DESIGN §7) cannot pile up: however
the browsers behave, at most UPLOAD_PREVIEW_MAX_FILES files (a key file counts) of
UPLOAD_PREVIEW_MAX_BYTES bytes (a key file's too) are kept, the oldest going first, none past its
age, and a session keeps only its latest MAX_PENDING_UPLOADS. Any app server may confirm a
preview another one showed, and nothing is written to a server's own disk."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import select

from quizapp.banks.models import UploadPreview
from quizapp.banks.routes import MAX_PENDING_UPLOADS
from quizapp.extensions import db
from tests.attempt_support import install_clock
from tests.banks.test_answer_key import KEY_FILES, unmarked
from tests.banks.test_bank_pages import GOOD_CSV, counts
from tests.conftest import Accounts, csrf_token

UPLOAD_AGAIN = "vui lòng tải tệp lên lại"


def organiser(app, tmp_path: Path, client=None):
    """A signed-in organiser's browser, on an app whose instance folder is the test's own
    (empty, so that any file written there shows)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(tmp_path)
    client = client or app.test_client()
    Accounts(app, client).login_as("organiser")
    return client


def csv_file(number: int) -> bytes:
    return GOOD_CSV.replace("Bác Hồ".encode(), f"Bác Hồ ({number})".encode())


def preview(client, number: int, *, key: bool = False) -> str:
    """Upload file ``number`` (a Word file with a key file, with ``key``); the preview's token."""
    files = {"file": (io.BytesIO(csv_file(number)), f"tep-{number}.csv")}
    if key:
        files = {"file": (io.BytesIO(unmarked()), f"de-{number}.docx"),
                 "key_file": (io.BytesIO(KEY_FILES["csv"][1]), KEY_FILES["csv"][0])}
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        **files, "bank": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True)).group(1)


def confirm(client, token: str):
    return client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)},
                       follow_redirects=True)


def kept(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(UploadPreview.token)))


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_browser_replaying_a_stale_cookie_cannot_pile_up_previews(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_MAX_FILES=3)
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    stale = client.get_cookie("quizapp_session").value
    tokens = []
    for number in range(8):
        # The cookie of before any preview: the session never learns of the earlier ones.
        client.set_cookie("quizapp_session", stale)
        tokens.append(preview(client, number))
        clock.advance(seconds=1)
    assert kept(app) == sorted(tokens[-3:])
    assert files_under(tmp_path) == []


def test_previews_past_the_byte_cap_go_oldest_first_and_the_newest_still_imports(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_MAX_BYTES=2 * len(csv_file(0)) + 100)
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    tokens = []
    for number in range(4):
        tokens.append(preview(client, number))
        clock.advance(seconds=1)
    assert kept(app) == sorted(tokens[-2:])

    gone = confirm(client, tokens[0])
    assert gone.request.path == "/banks/upload" and UPLOAD_AGAIN in gone.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)
    confirmed = confirm(client, tokens[-1])
    assert confirmed.request.path == "/banks/tep-3" and counts(app) == (1, 2, 8)
    assert kept(app) == [tokens[-2]]


def test_a_preview_past_its_age_is_deleted_by_the_next_upload(make_app, tmp_path):
    app = make_app(UPLOAD_PREVIEW_SECONDS=600)
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    old = preview(client, 1)
    clock.advance(seconds=600)
    younger = preview(client, 2)
    assert kept(app) == sorted([old, younger])  # 600 s is not past the age yet
    clock.advance(seconds=1)
    new = preview(client, 3)
    assert kept(app) == sorted([younger, new])
    assert UPLOAD_AGAIN in confirm(client, old).get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_a_key_file_counts_as_a_file(make_app, tmp_path):
    # The keyed preview is two files, so a third file fits beside it and a fourth does not.
    app = make_app(UPLOAD_PREVIEW_MAX_FILES=3)
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    keyed = preview(client, 1, key=True)
    clock.advance(seconds=1)
    second = preview(client, 2)
    assert kept(app) == sorted([keyed, second])
    clock.advance(seconds=1)
    third = preview(client, 3)
    assert kept(app) == sorted([second, third])


def test_a_key_files_bytes_count(make_app, tmp_path):
    questions, key = unmarked(), KEY_FILES["csv"][1]
    # Without its key file's bytes the keyed preview would still fit beside the next one.
    app = make_app(UPLOAD_PREVIEW_MAX_BYTES=len(questions) + len(key) + len(csv_file(2)) - 1)
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    keyed = preview(client, 1, key=True)
    with app.app_context():
        assert db.session.get(UploadPreview, keyed).byte_size == len(questions) + len(key)
    clock.advance(seconds=1)
    second = preview(client, 2)
    assert kept(app) == [second]


def test_a_session_keeps_only_its_latest_previews(make_app, tmp_path):
    app = make_app()
    clock = install_clock(app)
    client = organiser(app, tmp_path)
    tokens = []
    for number in range(MAX_PENDING_UPLOADS + 1):
        tokens.append(preview(client, number))
        clock.advance(seconds=1)
    # The cookie forgot the first, and its row went with it.
    assert kept(app) == sorted(tokens[1:])
    assert UPLOAD_AGAIN in confirm(client, tokens[0]).get_data(as_text=True)
    assert confirm(client, tokens[1]).request.path == "/banks/tep-1"
    assert counts(app) == (1, 2, 8)


def test_a_preview_shown_by_one_server_is_confirmed_by_another(make_app, tmp_path):
    """Two hosts behind a load balancer: one database and secret key, each its own instance folder."""
    first, second = make_app(), make_app()
    browser = organiser(first, tmp_path / "host-1")
    (tmp_path / "host-2").mkdir()
    second.instance_path = str(tmp_path / "host-2")
    token = preview(browser, 1, key=True)

    # The same browser, its next request sent to the other host.
    elsewhere = second.test_client()
    elsewhere.set_cookie("quizapp_session", browser.get_cookie("quizapp_session").value)
    response = confirm(elsewhere, token)
    assert response.request.path == "/banks/de-1", response.get_data(as_text=True)
    assert "Đã nhập 4 câu hỏi mới." in response.get_data(as_text=True)
    assert counts(second) == (1, 4, 16)
    assert kept(second) == []
    assert files_under(tmp_path) == []


def test_a_token_of_another_account_is_refused(make_app, tmp_path):
    app = make_app()
    owner = organiser(app, tmp_path)
    token = preview(owner, 1)
    intruder = organiser(app, tmp_path, app.test_client())
    # Whatever put it in this session (an account switched in the same browser), it is not theirs.
    with intruder.session_transaction() as session:
        session["bank_uploads"] = [token]
    refused = confirm(intruder, token)
    assert refused.request.path == "/banks/upload" and UPLOAD_AGAIN in refused.get_data(as_text=True)
    assert counts(app) == (0, 0, 0) and kept(app) == [token]
    # The owner still may.
    assert confirm(owner, token).request.path == "/banks/tep-1"
    assert counts(app) == (1, 2, 8)


def test_a_refused_confirmation_still_spends_its_preview(make_app, tmp_path):
    app = make_app()
    first = organiser(app, tmp_path)
    second = organiser(app, tmp_path, app.test_client())
    late = preview(second, 1)
    # Someone else made bank tep-1 since this preview: it is read-only to its second uploader.
    assert confirm(first, preview(first, 1)).request.path == "/banks/tep-1"
    refused = confirm(second, late)
    assert refused.request.path == "/banks/upload" and "chỉ đọc với bạn" in refused.get_data(as_text=True)
    assert counts(app) == (1, 2, 8) and kept(app) == []
