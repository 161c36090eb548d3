"""The bank upload page takes files up to UPLOAD_MAX_BYTES (a Word bank with its pictures);
every other URL keeps MAX_CONTENT_LENGTH. A body over its URL's limit gets a Vietnamese 413 page
that names the limit, and nothing is kept."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from quizapp.banks.models import Bank, UploadPreview
from quizapp.extensions import db
from tests.conftest import Accounts, csrf_token
from tests.upload_support import multipart

MIB = 1024 * 1024


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Bank)),
                db.session.scalar(select(func.count()).select_from(UploadPreview)))


def post_file(client, path: str, filename: str, size: int, *, chunked: bool = False, **fields: str):
    """``size`` bytes of junk as the file ``filename`` (the bank upload reads it whole, then
    finds it is no spreadsheet), with a Content-Length, or chunked as gunicorn may hand it on."""
    body, content_type = multipart({"csrf_token": csrf_token(client), **fields}, filename, b"x" * size)
    if not chunked:
        return client.post(path, data=body, content_type=content_type)
    return client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                       headers={"Transfer-Encoding": "chunked"}, environ_base={"wsgi.input_terminated": True})


def upload(client, size: int, *, chunked: bool = False):
    return post_file(client, "/banks/upload", "ngan-hang-lon.xlsx", size, chunked=chunked, bank="",
                     new_slug="ngan-hang-lon")


def test_the_bank_upload_takes_files_past_the_general_limit(make_app):
    app = make_app(UPLOAD_MAX_BYTES=20 * MIB)
    client = app.test_client()
    Accounts(app, client).login_as("organiser")
    for chunked in (False, True):
        response = upload(client, 17 * MIB, chunked=chunked)
        # Read whole and judged as a file: not a spreadsheet, so nothing is imported.
        assert response.status_code == 422, chunked
        assert "ngan-hang-lon.xlsx" in response.get_data(as_text=True)
    assert stored(app) == (0, 0)
    # The page says how large a file may be.
    assert "tối đa 20 MB" in client.get("/banks/upload").get_data(as_text=True)


def test_a_bank_upload_over_its_limit_is_a_vietnamese_413_that_keeps_nothing(make_app):
    app = make_app(UPLOAD_MAX_BYTES=20 * MIB)
    client = app.test_client()
    Accounts(app, client).login_as("organiser")
    # With its Content-Length (nginx always sends one): refused before a byte is parsed.
    response = upload(client, 20 * MIB + 1)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Tệp quá lớn" in page and "(20 MB); chưa có gì được lưu" in page
    assert stored(app) == (0, 0)


def test_other_urls_keep_the_general_limit(make_app):
    app = make_app(UPLOAD_MAX_BYTES=64 * MIB)
    client = app.test_client()
    Accounts(app, client).login_as("admin")
    # The units directory upload (multipart, like the bank's) is refused past 16 MiB.
    response = post_file(client, "/units/upload", "don-vi.csv", 16 * MIB + 1)
    assert response.status_code == 413
    assert "(16 MB); chưa có gì được lưu" in response.get_data(as_text=True)
    # A JSON body keeps its own, smaller bound under the bank upload's URL too.
    response = client.post("/banks/upload", data=b"[" + b"1," * (40 * 1024) + b"1]", content_type="application/json")
    assert response.status_code == 413
    assert "(64 KB)" in response.get_data(as_text=True)
