""""Dữ liệu của tôi" in a real browser on a phone-sized screen (360×740) with JavaScript off:
reached from the header, readable without sideways scrolling, its download a JSON file.
Skipped where /usr/bin/chromium is missing, as tests/test_browser.py is."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from tests.browser_support import ARGS, CHROMIUM, serving

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from tests.attempt_support import install_clock, one_round, sign_up  # noqa: E402
from tests.conftest import PASSWORD  # noqa: E402


@pytest.fixture
def served(app):
    with serving(app) as url:
        yield url


def test_the_page_fits_a_phone_without_javascript_and_downloads_the_json(app, tmp_path, served):
    install_clock(app)
    round_id = one_round(app, tmp_path, "dien-thoai", review="after_close")
    taker = sign_up(app, full_name="Nguyễn Thị Điện Thoại Có Một Cái Tên Rất Dài Để Thử Xuống Dòng",
                    id_number="001090123445", birth_date=date(2001, 2, 3))
    for _ in range(3):
        attempt = taker.started(round_id)
        assert taker.submit(attempt["id"]).status_code == 200
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                          java_script_enabled=False, accept_downloads=True)
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{served}/auth/login")
            page.get_by_label("Số điện thoại").fill(taker.phone)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_load_state()
            page.get_by_role("link", name="Dữ liệu của tôi").first.click()
            page.wait_for_url(f"{served}/me/data")
            sync_api.expect(page.get_by_role("heading", name="Dữ liệu của tôi")).to_be_visible()
            sync_api.expect(page.locator("dd", has_text="001090123445")).to_be_visible()
            assert page.get_by_text("Chưa được xem (theo quy định của vòng thi)").count() == 3
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            with page.expect_download() as download:
                page.get_by_role("link", name="Tải về (JSON)").click()
            assert download.value.suggested_filename.startswith("du-lieu-cua-toi-")
            data = json.loads(download.value.path().read_text(encoding="utf-8"))
            assert data["profile"]["id_number"] == "001090123445" and len(data["attempts"]) == 3
            page.get_by_role("link", name="Sửa thông tin cá nhân").first.click()
            page.wait_for_url(f"{served}/auth/profile")
        finally:
            browser.close()
