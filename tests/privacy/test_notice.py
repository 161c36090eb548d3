"""The privacy notice: GET /api/v1/privacy, its page, links to it, and its version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from quizapp.privacy.notice import VERSION

NOTICE_FILE = Path(__file__).parents[2] / "quizapp" / "templates" / "privacy" / "notice.txt"
# The notice text each version was published with. Changing the text is a new version: bump
# VERSION in quizapp/privacy/notice.py and record the new text's digest here, so every account
# is asked to consent again.
PUBLISHED = {"2026-12-07.1": "ee6b9751b313af46d8782ea1ab581c78ed5327157524df48961a170a85c0d308"}


def test_the_text_changes_only_with_a_new_version():
    assert PUBLISHED.get(VERSION) == hashlib.sha256(NOTICE_FILE.read_bytes()).hexdigest()


def test_the_api_returns_the_notice_with_the_configured_controller_and_retention(make_app):
    app = make_app(PRIVACY_CONTROLLER="Ban Tuyên giáo Tỉnh uỷ Hà Tĩnh", PRIVACY_CONTACT="0239 3855 000",
                   PRIVACY_RETENTION_DAYS=365)
    response = app.test_client().get("/api/v1/privacy")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    notice = response.get_json()
    assert set(notice) == {"version", "controller", "text", "retention_days"}
    assert (notice["version"], notice["controller"], notice["retention_days"]) == (
        VERSION, "Ban Tuyên giáo Tỉnh uỷ Hà Tĩnh", 365)
    text = notice["text"]
    assert "Ban Tuyên giáo Tỉnh uỷ Hà Tĩnh là bên quyết định" in text and "0239 3855 000" in text
    assert "365 ngày" in text and "91/2025/QH15" in text
    for collected in ("Số điện thoại", "Họ và tên, ngày sinh, giới tính", "Số CCCD", "Đơn vị, đối tượng", "lượt thi"):
        assert collected in text
    for right in ("Dữ liệu của tôi", "/auth/profile", "Xoá tài khoản", "kết quả chính thức"):
        assert right in text


def test_the_defaults_name_the_organisers_and_keep_data_730_days(app, client):
    notice = client.get("/api/v1/privacy").get_json()
    assert app.config["PRIVACY_RETENTION_DAYS"] == 730 and notice["retention_days"] == 730
    assert notice["controller"].startswith("Ban Tổ chức cuộc thi")


def test_the_page_shows_the_notice_and_registration_and_every_footer_link_to_it(client):
    page = client.get("/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Thông báo về xử lý dữ liệu cá nhân" in html and f"Phiên bản {VERSION}" in html
    assert "6. Liên hệ" in html and 'href="/auth/profile"' in html
    register = client.get("/auth/register").get_data(as_text=True)
    # The box links the notice, carries the version, and is not ticked.
    box = register[register.index('name="consent_version"') - 30:register.index("Tôi đã đọc và đồng ý")]
    assert f'value="{VERSION}"' in box and "checked" not in box
    assert 'href="/privacy"' in register[register.index("Tôi đã đọc và đồng ý"):]
    assert register.count('href="/privacy"') == 2  # the box and the footer
    assert 'href="/privacy"' in client.get("/auth/login").get_data(as_text=True)
    # The notice has a page of its own: the registration page stays small.
    assert "6. Liên hệ" not in register and len(register.encode()) < 12_000
