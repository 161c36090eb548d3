"""The item analysis page on a 360 px phone, in Debian's chromium: nothing wider than the screen,
with a judge's correction form open too (a judge may check a warning from a phone)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.attempt_support import CLOSES
from tests.browser_support import ARGS, CHROMIUM, serving
from tests.conftest import PASSWORD, Accounts
from tests.judging.test_item_analysis import scenario  # noqa: F401 - the fixture

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/quizapp/static/:pytest.PytestUnraisableExceptionWarning")


def test_the_item_analysis_page_fits_a_phone(scenario, tmp_path):  # noqa: F811
    app, clock, round_id, _takers, _attempts, ids = scenario
    clock.set(CLOSES + timedelta(minutes=1))  # a key is corrected once the round has finished
    accounts = Accounts(app, app.test_client())
    phone = "0977123456"
    accounts.assign(accounts.create("judge", phone), "judge", round_id=round_id)
    with serving(app) as site, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
            page.goto(f"{site}/auth/login?next=/judging/rounds/{round_id}/questions")
            page.get_by_label("Số điện thoại").fill(phone)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(f"{site}/judging/rounds/{round_id}/questions")
            card = page.locator(f"#q{ids[3]}")
            sync_api.expect(card).to_contain_text("Có thể sai đáp án")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            card.get_by_text("Sửa đáp án câu này cho vòng thi này").click()
            sync_api.expect(card.get_by_label("Lý do sửa (ghi vào nhật ký)")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(tmp_path / "phan-tich-cau-hoi.png"), full_page=True)
        finally:
            browser.close()
