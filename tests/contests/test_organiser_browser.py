"""The organisers' scripts in a real browser (Debian's chromium, Playwright): the contest code
follows the title, the error summary leads to its fields, the share page copies the link.
Skipped where /usr/bin/chromium is missing, as tests/test_browser.py is."""

from __future__ import annotations

import os

import pytest

from quizapp.text import slug
from tests.browser_support import ARGS, CHROMIUM, serving
from tests.conftest import PASSWORD, Accounts

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from tests.attempt_support import one_round, simple_questions  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/quizapp/static/:pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def organiser_page(app, tmp_path):
    """A desktop browser signed in as an organiser of contest "chia-se"; yields (page, site)."""
    one_round(app, tmp_path, "chia-se", questions=simple_questions("cs", 3))
    phone = "0912345670"
    accounts = Accounts(app, app.test_client())
    accounts.assign(accounts.create("organiser", phone), "organiser", contest="chia-se")
    with serving(app) as site, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(f"{site}/auth/login")
        page.get_by_label("Số điện thoại").fill(phone)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{site}/contests/manage/")  # an organiser lands on their console
        yield page, site
        browser.close()


def test_the_code_follows_the_title_until_the_organiser_types_one(organiser_page):
    page, site = organiser_page
    page.goto(f"{site}/contests/manage/new")
    title, code = page.locator("#title"), page.locator("#slug")
    title.press_sequentially("Đố vui Đảng viên 2025")
    assert code.input_value() == "do-vui-dang-vien-2025"
    code.fill("dvdv")
    title.press_sequentially("!")
    assert code.input_value() == "dvdv"  # the organiser's own code is left alone
    code.fill("")
    title.press_sequentially("?")
    assert code.input_value() == "do-vui-dang-vien-2025"

    # The script's rule is the server's (text.slug), long titles and decomposed marks included.
    code.fill("")
    for text in ("Cuộc thi trực tuyến tìm hiểu 95 năm Ngày thành lập Đảng Cộng sản Việt Nam và Nghị quyết",
                 "  Tuổi trẻ — học tập & làm theo!  ", "Nghi\u0323 quye\u0302\u0301t ĐOÀN", "a" * 80):
        title.fill(text)
        title.dispatch_event("input")
        assert code.input_value() == slug(text), text


def test_the_error_summary_takes_the_focus_and_leads_to_the_field(organiser_page):
    page, site = organiser_page
    page.goto(f"{site}/contests/manage/chia-se/rounds/new")
    page.locator("#title").fill("")
    page.locator("#time_limit").fill("")
    page.get_by_role("button", name="Lưu").click()
    summary = page.locator(".error-summary")
    sync_api.expect(summary).to_be_focused()
    summary.get_by_role("link", name="Nhập thời gian làm bài (phút). Chỉ vòng thi thử mới được để trống.").click()
    sync_api.expect(page.locator("#time_limit")).to_be_focused()
    summary.get_by_role("link", name="Nhập tên vòng thi.").click()
    sync_api.expect(page.locator("#title")).to_be_focused()


def test_the_copy_button_puts_the_link_on_the_clipboard(organiser_page):
    page, site = organiser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(f"{site}/contests/manage/chia-se/share")
    page.get_by_role("button", name="Sao chép đường dẫn").click()
    sync_api.expect(page.locator(".share-status")).to_have_text("Đã sao chép đường dẫn.")
    link = page.locator("#share-link").input_value()
    assert link.endswith("/contests/chia-se")
    assert page.evaluate("navigator.clipboard.readText()") == link
