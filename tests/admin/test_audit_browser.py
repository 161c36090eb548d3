"""The audit log on a 360 px phone, in Debian's chromium: nothing runs off the screen, however long
the names, the checksums and the changes (issue 15: the old table was 1,505 px wide)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from tests.browser_support import ARGS, CHROMIUM, serving

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from quizapp.audit import AuditEvent  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from tests.conftest import PASSWORD, Accounts  # noqa: E402

LONG_NAME = "Nguyễn Thị Phương Thảo Hoàng Lan Anh Bảo Ngọc Khánh Linh"


def test_the_audit_log_fits_a_phone(app, tmp_path):
    accounts = Accounts(app, app.test_client())
    admin_phone = "0912999001"
    accounts.create("admin", admin_phone, full_name=LONG_NAME)
    target = accounts.create(phone="0912999002", full_name=LONG_NAME + " Hai")
    with app.app_context():
        db.session.add_all([
            AuditEvent(action="user.updated", target_type="user", target_id=str(target),
                       before={"full_name": LONG_NAME * 2, "phone": "0912999002"},
                       after={"full_name": LONG_NAME + " Hai", "phone": "0912999003"},
                       at=datetime(2026, 1, 1, 20, 30, tzinfo=UTC)),
            AuditEvent(action="round.locked", target_type="round", target_id="999999",
                       after={"rows": 1393, "checksum": "a" * 64, "reason": "x" * 300, "undecided_flags": 2}),
            AuditEvent(action="feature.from_later", target_type="thing", target_id="1" * 60,
                       after={"key": "v" * 200}),
        ])
        db.session.commit()
    with serving(app) as site, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
            page.goto(f"{site}/auth/login")
            page.get_by_label("Số điện thoại").fill(admin_phone)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Đăng nhập").click()
            page.goto(f"{site}/admin/audit")
            sync_api.expect(page.locator(".event").first).to_be_visible()
            # Signing in lands an admin on the accounts list, whose viewing is logged too.
            landing = page.locator(".event", has_text="Xem danh sách tài khoản").count()
            assert page.locator(".event").count() == 3 + landing
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(tmp_path / "audit-phone.png"), full_page=True)
        finally:
            browser.close()
