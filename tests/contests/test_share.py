"""A contest's share link and QR code, for organisers."""

from __future__ import annotations

import segno

from tests.attempt_support import one_round, simple_questions
from tests.conftest import Accounts


def test_the_share_page_shows_the_link_and_its_qr_code(app, tmp_path, client, auth):
    one_round(app, tmp_path, "chia-se", questions=simple_questions("cs", 2))
    auth.login_as("organiser", contest="chia-se")

    page = client.get("/contests/manage/chia-se/share")
    svg = client.get("/contests/manage/chia-se/qr.svg")

    html = page.get_data(as_text=True)
    link = "http://localhost/contests/chia-se"
    assert page.status_code == 200 and f'value="{link}"' in html
    # The code on the page is the QR code of exactly that link.
    assert segno.make(link, error="m").svg_inline(scale=6, border=4, dark="#000", light="#fff") in html
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg")
    assert "chia-se" in client.get("/contests/manage/").get_data(as_text=True)


def test_only_organisers_get_share_links(app, tmp_path, client, auth):
    one_round(app, tmp_path, "rieng", questions=simple_questions("r", 2))
    auth.login_as("taker")
    assert client.get("/contests/manage/rieng/share").status_code == 403
    assert client.get("/contests/manage/khong-co/share").status_code == 403


PUBLIC = "https://thi.tuyengiao.example.vn"


def share_of(app, tmp_path, slug: str, host: str):
    """The share page and the QR download, asked for under a ``Host`` a client chose."""
    one_round(app, tmp_path, slug, questions=simple_questions(slug[:2], 2))
    client = app.test_client()
    Accounts(app, client).login_as("organiser", contest=slug)
    # The forged Host reaches the app; the test client still sends the cookie set for localhost.
    client.environ_base["HTTP_HOST"] = host
    return client.get(f"/contests/manage/{slug}/share"), client.get(f"/contests/manage/{slug}/qr.svg")


def test_the_link_and_qr_code_use_the_configured_public_url_not_the_host_header(make_app, tmp_path):
    app = make_app(PUBLIC_URL=PUBLIC + "/")
    page, svg = share_of(app, tmp_path, "cong-khai", "evil.example")

    html = page.get_data(as_text=True)
    link = f"{PUBLIC}/contests/cong-khai"
    assert page.status_code == 200 and f'value="{link}"' in html and "evil.example" not in html
    assert segno.make(link, error="m").svg_inline(scale=6, border=4, dark="#000", light="#fff") in html
    assert svg.status_code == 200
    assert svg.get_data(as_text=True) == segno.make(link, error="m").svg_inline(
        scale=10, border=4, dark="#000", light="#fff")


def test_production_without_a_public_url_gives_no_link_made_from_the_host_header(make_app, tmp_path):
    app = make_app(ENV="production", SECRET_KEY="s" * 48, SMS_BACKEND="file:/dev/null")
    page, svg = share_of(app, tmp_path, "san-xuat", "evil.example")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "QUIZAPP_PUBLIC_URL" in html
    assert "evil.example" not in html and "<svg" not in html
    assert svg.status_code == 409 and "QUIZAPP_PUBLIC_URL" in svg.get_data(as_text=True)

