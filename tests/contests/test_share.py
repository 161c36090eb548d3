"""A contest's share link and QR code, for organisers."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno
from PIL import Image

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


def test_the_png_is_a_poster_sized_qr_code_of_the_same_link_as_the_svg(app, tmp_path, client, auth):
    one_round(app, tmp_path, "anh-qr", questions=simple_questions("aq", 2))
    auth.login_as("organiser", contest="anh-qr")
    link = "http://localhost/contests/anh-qr"

    png = client.get("/contests/manage/anh-qr/qr.png")
    svg = client.get("/contests/manage/anh-qr/qr.svg")

    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.headers["Content-Disposition"] == 'attachment; filename="qr-anh-qr.png"'
    image = Image.open(io.BytesIO(png.data))
    image.load()  # a real PNG: Pillow decodes every pixel
    assert image.format == "PNG" and image.width == image.height and 1000 <= image.width <= 1400
    assert len(png.data) < 30_000  # quick to send in a chat over 3G
    # Read the modules back from the pixels and compare them with the code of the link the SVG holds.
    code = segno.make(link, error="m")
    assert svg.get_data(as_text=True) == code.svg_inline(scale=10, border=4, dark="#000", light="#fff")
    matrix = [list(row) for row in code.matrix]
    modules = len(matrix) + 8
    scale = image.width // modules
    grey = image.convert("L")
    seen = [[grey.getpixel(((4 + x) * scale + scale // 2, (4 + y) * scale + scale // 2)) < 128
             for x in range(len(matrix))] for y in range(len(matrix))]
    assert seen == [[bool(cell) for cell in row] for row in matrix]
    # The quiet zone is white all round.
    assert all(grey.getpixel((x, scale * 2)) > 128 for x in range(image.width))


def test_the_share_page_offers_copy_share_and_both_downloads(app, tmp_path, client, auth):
    one_round(app, tmp_path, "nut-chia-se", questions=simple_questions("nc", 2))
    auth.login_as("organiser", contest="nut-chia-se")
    html = client.get("/contests/manage/nut-chia-se/share").get_data(as_text=True)

    link = "http://localhost/contests/nut-chia-se"
    assert f'href="https://www.facebook.com/sharer/sharer.php?u={quote(link, safe="")}"' in html
    assert 'href="/contests/manage/nut-chia-se/qr.png" download' in html
    assert 'href="/contests/manage/nut-chia-se/qr.svg" download' in html
    # Buttons that need the script are hidden until it shows them; the script is the site's own.
    assert '<button type="button" class="button" data-copy="share-link" hidden>Sao chép đường dẫn</button>' in html
    assert 'data-share="share-link"' in html and "/static/share.js" in html
    script = client.get("/static/share.js")
    script.close()
    assert script.status_code == 200


def test_only_organisers_get_share_links(app, tmp_path, client, auth):
    one_round(app, tmp_path, "rieng", questions=simple_questions("r", 2))
    auth.login_as("taker")
    assert client.get("/contests/manage/rieng/share").status_code == 403
    assert client.get("/contests/manage/khong-co/share").status_code == 403


PUBLIC = "https://thi.tuyengiao.example.vn"


def share_of(app, tmp_path, slug: str, host: str):
    """The share page and the QR downloads, asked for under a ``Host`` a client chose."""
    one_round(app, tmp_path, slug, questions=simple_questions(slug[:2], 2))
    client = app.test_client()
    Accounts(app, client).login_as("organiser", contest=slug)
    # The forged Host reaches the app; the test client still sends the cookie set for localhost.
    client.environ_base["HTTP_HOST"] = host
    return tuple(client.get(f"/contests/manage/{slug}/{page}") for page in ("share", "qr.svg", "qr.png"))


def test_the_link_and_qr_code_use_the_configured_public_url_not_the_host_header(make_app, tmp_path):
    app = make_app(PUBLIC_URL=PUBLIC + "/")
    page, svg, png = share_of(app, tmp_path, "cong-khai", "evil.example")

    html = page.get_data(as_text=True)
    link = f"{PUBLIC}/contests/cong-khai"
    assert page.status_code == 200 and f'value="{link}"' in html and "evil.example" not in html
    assert segno.make(link, error="m").svg_inline(scale=6, border=4, dark="#000", light="#fff") in html
    assert svg.status_code == 200
    assert svg.get_data(as_text=True) == segno.make(link, error="m").svg_inline(
        scale=10, border=4, dark="#000", light="#fff")
    assert png.status_code == 200 and "evil.example" not in html


def test_production_without_a_public_url_gives_no_link_made_from_the_host_header(make_app, tmp_path):
    app = make_app(ENV="production", SECRET_KEY="s" * 48, SMS_BACKEND="file:/dev/null")
    page, svg, png = share_of(app, tmp_path, "san-xuat", "evil.example")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "QUIZAPP_PUBLIC_URL" in html
    assert "evil.example" not in html and "<svg" not in html
    assert svg.status_code == 409 and "QUIZAPP_PUBLIC_URL" in svg.get_data(as_text=True)
    assert png.status_code == 409 and "QUIZAPP_PUBLIC_URL" in png.get_data(as_text=True)

