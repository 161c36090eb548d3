"""A contest's share link and QR code, for organisers."""

from __future__ import annotations

import segno

from tests.attempt_support import one_round, simple_questions


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
