"""The attempt page in a real browser: Debian's chromium driven by Playwright, on a phone-sized
screen (360×740), against the real app served from a thread on 127.0.0.1.

A taker registers, confirms the start of the demo round, answers, loses the network, answers
more, reloads (the service worker's offline page, not the browser's error), gets the network
back, and every answer reaches the server; is warned of the empty prediction, then submits and
sees the result. Every tap target of the taker's pages is measured at 44 px or more.
Skipped where /usr/bin/chromium is missing, so `make test` passes on a machine with only Python.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.browser_support import ARGS, CHROMIUM, serving

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from quizapp.contests.models import Contest  # noqa: E402
from quizapp.contests.services import save_contest, validate_contest  # noqa: E402
from quizapp.demo import load_demo_contest, load_sample_banks  # noqa: E402
from quizapp.extensions import db  # noqa: E402
from quizapp.privacy.models import Consent  # noqa: E402
from quizapp.sms.backends import FileBackend  # noqa: E402
from quizapp.units.services import load_units_csv  # noqa: E402
from tests.sms_support import last_code  # noqa: E402

# The pages are served by werkzeug's development server in a thread. When chromium drops a
# connection in the middle of a static file (the offline tests cut the network, the service
# worker fetches its shell), the server's thread may leave that file for the garbage collector,
# which reports it during whichever test runs then. Only static files of the package, only here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/quizapp/static/:pytest.PytestUnraisableExceptionWarning")

PASSWORD = "matkhau-123"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(app):
    """The app with the demo contest, served on a free port; yields its base URL."""
    with app.app_context():
        load_sample_banks()
        load_demo_contest()
        db.session.commit()
    with serving(app) as url:
        yield url


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    yield context
    context.close()


def register(page, site: str, phone: str) -> None:
    page.goto(f"{site}/auth/register?next=/contests/")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_label("Họ và tên").fill("Nguyễn Văn Thử")
    page.get_by_label("Tôi đã đọc và đồng ý").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(f"{site}/contests/")


def server_answers(context, site: str, attempt_id: str) -> dict[int, list[str]]:
    """The answers the server holds, through the JSON API (not subject to the page's offline mode)."""
    attempt = context.request.get(f"{site}/api/v1/attempts/{attempt_id}").json()
    return {question["id"]: question["selected"] for question in attempt["questions"] if question["selected"]}


def wait_for_answers(page, context, site, attempt_id, expected: dict[int, list[str]]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server_answers(context, site, attempt_id) == expected:
            return
        page.wait_for_timeout(200)
    assert server_answers(context, site, attempt_id) == expected


def jump(page, number: int):
    """The jump-list button of question ``number`` ("Câu 3" or "Câu 3, đã trả lời")."""
    return page.get_by_role("button", name=re.compile(rf"^Câu {number}\b"))


def start_timed(page, heading: str = "20 phút: bắt đầu làm bài?") -> None:
    """Tap "Bắt đầu thi" on a contest page, then "Bắt đầu" on the confirmation it opens."""
    page.get_by_role("link", name="Bắt đầu thi").first.click()
    sync_api.expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_role("button", name="Bắt đầu", exact=True).click()
    page.wait_for_url(re.compile(r"/contests/attempts/\d+"))


# Every element a thumb can tap that is on screen, and its box: an option's radio or checkbox
# is tapped through its whole label.
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')).map(element => {
  const target = element.matches('input[type=radio], input[type=checkbox]') && element.closest('label')
    ? element.closest('label') : element;
  const box = target.getBoundingClientRect();
  return {text: (element.textContent || element.value || element.name || '').trim().slice(0, 40),
          width: box.width, height: box.height, left: box.left, right: box.right,
          shown: box.width > 0 && box.height > 0 && getComputedStyle(target).visibility !== 'hidden'};
}).filter(t => t.shown && t.right > 0 && t.left < innerWidth && (t.width < 44 || t.height < 44))"""


def assert_tap_targets(page) -> None:
    # Measured once the stylesheet is in: a page caught before its "load" event (a busy machine,
    # the service worker fetching its shell) shows the browser's default 17 px lines.
    page.wait_for_load_state("load")
    page.wait_for_function("() => Array.from(document.styleSheets).some(sheet => sheet.href && sheet.cssRules.length)")
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{page.url}: tap targets under 44 px: {small}"


def choose(page, option: int) -> tuple[int, str]:
    """Tap the option-th option of the question on screen; return (question id, option id)."""
    label = page.locator("#options label").nth(option)
    token = label.locator("input").get_attribute("value")
    label.click()
    return int(page.locator("#question-id").input_value()), token


def test_answers_survive_offline_and_reload_then_submit(site, context):
    expect = sync_api.expect
    page = context.new_page()
    register(page, site, "0987654321")

    page.get_by_role("link", name=re.compile("cuộc thi mẫu")).first.click()
    start_timed(page)
    attempt_id = re.search(r"/attempts/(\d+)", page.url).group(1)
    attempt_url = f"{site}/contests/attempts/{attempt_id}"
    expect(page.locator("#qnum")).to_have_text("Câu 1/20")
    # The offline page's worker is in place before the signal drops.
    assert page.evaluate("navigator.serviceWorker.ready.then(registration => registration.scope)") == \
        f"{site}/contests/"
    expect(page.locator("#timer")).to_have_text(re.compile(r"^Còn (20:00|19:[0-5]\d)$"))

    answers: dict[int, list[str]] = {}
    for _ in range(3):
        question, token = choose(page, 0)
        answers[question] = [token]
        expect(page.locator("#qmark")).to_have_text("✓ Đã lưu câu trả lời")
        page.get_by_role("button", name="Câu sau").click()
    expect(page.locator("#sync")).to_have_text("✓ Đã lưu")
    assert server_answers(context, site, attempt_id) == answers

    # The signal drops: answers wait in the queue, marked unsaved.
    context.set_offline(True)
    expect(page.locator("#qnum")).to_have_text("Câu 4/20")
    offline: dict[int, list[str]] = {}
    for _ in range(2):
        question, token = choose(page, 1)
        offline[question] = [token]
        page.get_by_role("button", name="Câu sau").click()
    jump(page, 1).click()  # change a saved answer, offline
    question, token = choose(page, 2)
    offline[question] = [token]
    expect(page.locator("#qmark")).to_contain_text("Chưa lưu")
    expect(page.locator("#sync")).to_contain_text("3 câu chưa lưu")
    expect(page.locator("#jump button.wait")).to_have_count(3)
    assert server_answers(context, site, attempt_id) == answers

    # A reload in a dead zone shows the offline page, not the browser's error; the queue stays
    # on the phone, and the page comes back by itself with the network.
    page.reload()
    expect(page.get_by_role("heading", name="Mất kết nối mạng")).to_be_visible()
    expect(page.locator("#offline")).to_contain_text("Các câu trả lời đã lưu vẫn an toàn.")
    expect(page.locator("#offline-queue")).to_have_text(
        "Máy này đang giữ 3 câu trả lời chưa gửi; chúng sẽ được gửi khi có mạng.")
    assert_tap_targets(page)
    # The worker kept only static files: no page, no API answer.
    kept = page.evaluate("""async () => {
      const urls = [];
      for (const name of await caches.keys())
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      return urls; }""")
    assert set(kept) >= {"/static/offline.html", "/static/style.css", "/static/offline.js"}
    assert all(url.startswith("/static/") for url in kept), kept
    context.set_offline(False)
    # Reloaded by itself: the attempt page again, on question 1 (changed offline, shown from the
    # queue while the queue goes out).
    expect(page.locator("#qnum")).to_have_text("Câu 1/20")
    expect(page.locator("#options input").nth(2)).to_be_checked()
    answers.update(offline)
    wait_for_answers(page, context, site, attempt_id, answers)
    expect(page.locator("#sync")).to_have_text("✓ Đã lưu")
    page.goto(attempt_url + "?q=4")
    expect(page.locator("#options input").nth(1)).to_be_checked()
    expect(page.locator("#jump button.done")).to_have_count(5)

    # Offline again, then the `online` event alone (no reload) sends the queue.
    context.set_offline(True)
    jump(page, 6).click()
    question, token = choose(page, 3)
    answers[question] = [token]
    expect(page.locator("#jump button.wait")).to_have_count(1)
    context.set_offline(False)
    wait_for_answers(page, context, site, attempt_id, answers)

    # Submitting with no prediction: the dialog warns and leads back to the field.
    page.locator("#finish").click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-missing")).to_be_visible()
    expect(page.locator("#confirm-missing")).to_contain_text("Bạn chưa trả lời câu hỏi dự đoán.")
    assert_tap_targets(page)
    page.get_by_role("button", name="Điền dự đoán").click()
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.get_by_label(re.compile("Câu hỏi dự đoán"))).to_be_focused()
    page.get_by_label(re.compile("Câu hỏi dự đoán")).fill("1234")
    page.get_by_label(re.compile("Câu hỏi dự đoán")).press("Enter")
    expect(page.locator("#sync")).to_have_text("✓ Đã lưu")

    page.locator("#finish").click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("Bạn còn 14 câu chưa trả lời")
    expect(page.locator("#confirm-missing")).to_be_hidden()
    expect(page.locator("#confirm-prediction")).to_have_text("Dự đoán của bạn: 1.234")
    page.locator("#confirm-yes").click()
    page.wait_for_url(f"{attempt_url}/result")
    attempt = context.request.get(f"{site}/api/v1/attempts/{attempt_id}").json()
    assert attempt["status"] == "submitted" and attempt["prediction"] == 1234
    # The demo round counts the best of 3 attempts: score and key wait for its close.
    assert attempt["result"] is None and "correct" not in attempt["questions"][0]
    expect(page.get_by_text("Số câu đúng và đáp án sẽ được công bố sau khi vòng thi kết thúc")).to_be_visible()
    expect(page.get_by_role("heading", name="Đáp án và giải thích")).to_have_count(0)
    assert page.evaluate(f"localStorage.getItem('quizapp.attempt.{attempt_id}')") is None


def test_taker_pages_have_44_px_tap_targets_and_sign_out_away_from_the_timer(site, context):
    expect = sync_api.expect
    page = context.new_page()
    page.goto(f"{site}/contests/")
    assert_tap_targets(page)  # a visitor's header: "Đăng nhập", "Đăng ký"
    # The sign-in and password-reset pages' links ("Quên mật khẩu?", "Đăng ký dự thi", "Gửi lại mã").
    for path in ("/auth/login", "/auth/password-reset", "/auth/password-reset/confirm"):
        page.goto(f"{site}{path}")
        assert_tap_targets(page)
    register(page, site, "0987654324")
    assert_tap_targets(page)
    page.get_by_role("link", name=re.compile("cuộc thi mẫu")).first.click()
    contest_url = page.url
    assert_tap_targets(page)

    # The confirmation: what the attempt is, before any clock runs; "Để sau" starts nothing.
    page.get_by_role("link", name="Bắt đầu thi").first.click()
    confirmation = page.locator("#start-confirm")
    expect(confirmation).to_contain_text("20 câu")
    expect(confirmation).to_contain_text("lượt 1/3; còn 3 lượt kể cả lượt này")
    expect(confirmation).to_contain_text("Đồng hồ bắt đầu chạy ngay khi bạn bấm «Bắt đầu»")
    assert_tap_targets(page)
    page.get_by_role("link", name="Để sau").click()
    page.wait_for_url(contest_url)
    expect(page.get_by_text("Bạn đã thi 0/3 lượt.").first).to_be_visible()

    start_timed(page)
    assert_tap_targets(page)
    # "Đăng xuất" is not in the header above the timer, but at the foot of the page.
    expect(page.locator("header.site").get_by_role("button", name="Đăng xuất")).to_have_count(0)
    logout = page.locator("footer.site").get_by_role("button", name="Đăng xuất")
    expect(logout).to_have_count(1)
    assert logout.bounding_box()["y"] > page.locator("#finish").bounding_box()["y"] + 44
    assert logout.bounding_box()["height"] >= 44
    attempt_url = page.url.split("?")[0]

    page.goto(f"{attempt_url}/submit")  # the confirmation page without the script
    expect(page.locator("#prediction-missing")).to_be_visible()
    assert_tap_targets(page)
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url(f"{attempt_url}/result")
    assert_tap_targets(page)
    page.goto(contest_url)
    assert_tap_targets(page)  # now with "Các lượt thi của bạn" and its links


def test_without_javascript_the_start_is_confirmed_and_an_empty_prediction_warned(site, browser):
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        register(page, site, "0987654325")
        page.get_by_role("link", name=re.compile("cuộc thi mẫu")).first.click()
        start_timed(page)
        expect(page.locator("#qnum")).to_have_text("Câu 1/20")
        page.locator("#options label").first.click()
        page.get_by_role("button", name="Nộp bài").click()  # saves the answer, then asks
        page.wait_for_url(re.compile(r"/submit$"))
        expect(page.locator("#prediction-missing")).to_contain_text("Bạn chưa trả lời câu hỏi dự đoán.")
        page.get_by_label(re.compile("Câu hỏi dự đoán")).fill("77")
        page.get_by_role("button", name="Nộp bài").click()
        page.wait_for_url(re.compile(r"/result$"))
        expect(page.locator(".facts")).to_contain_text("Dự đoán của bạn77")
        expect(page.locator(".facts")).to_contain_text("1/20")
    finally:
        context.close()


def test_countdown_follows_the_server_clock_and_submits_at_zero(app, site, context):
    with app.app_context():
        now = datetime.now(UTC)
        save_contest(validate_contest({
            "slug": "nhanh", "title": "Cuộc thi bốn giây",
            "rounds": [{"number": 1, "title": "Vòng nhanh", "opens_at": (now - timedelta(hours=1)).isoformat(),
                        "closes_at": (now + timedelta(hours=1)).isoformat(), "time_limit_seconds": 4,
                        "draw": [{"bank": "nghi-quyet", "count": 3}], "tie_breakers": ["correct_desc"],
                        "review": "after_submit"}],
        }))
        db.session.commit()
    # The phone's clock is an hour fast: a countdown on it alone would be over before it began.
    context.clock.install(time=datetime.now(UTC) + timedelta(hours=1))
    page = context.new_page()
    register(page, site, "0987654322")
    page.goto(f"{site}/contests/nhanh")
    start_timed(page, "4 giây: bắt đầu làm bài?")
    sync_api.expect(page.locator("#timer")).to_have_text(re.compile(r"^Còn 0:0[1-4]$"))
    sync_api.expect(page.locator("#alert")).to_contain_text("Còn 1 phút")
    choose(page, 0)
    page.wait_for_url(re.compile(r"/result$"), timeout=15_000)
    sync_api.expect(page.locator(".facts")).to_contain_text("1/3")


def test_each_question_shows_its_own_picture_as_the_taker_moves_through_the_attempt(app, site, context):
    import io

    from PIL import Image
    from sqlalchemy import select

    from quizapp.banks import services as banks
    from quizapp.banks.models import Bank, Question

    with app.app_context():
        now = datetime.now(UTC)
        bank_id = db.session.scalar(select(Bank.id).where(Bank.slug == "nghi-quyet"))
        questions = db.session.scalars(select(Question).where(Question.bank_id == bank_id)).all()
        for index, question in enumerate(questions):
            if index % 2 == 0:
                buffer = io.BytesIO()
                Image.new("RGB", (800 + index, 600), (index % 256, 90, 160)).save(buffer, "PNG")
                banks.set_picture(question, buffer.getvalue())
        save_contest(validate_contest({
            "slug": "co-hinh", "title": "Cuộc thi có hình",
            "rounds": [{"number": 1, "title": "Vòng có hình", "opens_at": (now - timedelta(hours=1)).isoformat(),
                        "closes_at": (now + timedelta(hours=1)).isoformat(), "time_limit_seconds": 600,
                        "draw": [{"bank": "nghi-quyet", "count": 6}], "tie_breakers": ["correct_desc"],
                        "review": "after_submit"}],
        }))
        db.session.commit()
    page = context.new_page()
    register(page, site, "0987654323")
    page.goto(f"{site}/contests/co-hinh")
    start_timed(page, "10 phút: bắt đầu làm bài?")
    attempt_id = re.search(r"/attempts/(\d+)", page.url).group(1)
    shown = context.request.get(f"{site}/api/v1/attempts/{attempt_id}").json()["questions"]
    assert any(question["picture"] for question in shown) and not all(question["picture"] for question in shown)
    for number, question in enumerate(shown, 1):
        if number > 1:
            page.get_by_role("button", name="Câu sau").click()
        sync_api.expect(page.locator("#qnum")).to_have_text(f"Câu {number}/6")
        picture = page.locator("#qpicture")
        if question["picture"] is None:
            sync_api.expect(picture).to_have_count(0)
            continue
        sync_api.expect(picture).to_have_attribute("src", question["picture"])
        sync_api.expect(picture).to_have_attribute("loading", "lazy")
        assert picture.get_attribute("width") == str(question["picture_width"])
        page.wait_for_function("() => document.getElementById('qpicture').complete")
        # Loaded and shown (the page's CSP allows it), within the phone's width.
        assert picture.evaluate("img => img.naturalWidth") == question["picture_width"]
        assert picture.evaluate("img => img.getBoundingClientRect().width") <= 360


def test_a_busy_start_waits_and_tries_again_by_itself(site, context, monkeypatch):
    """Admission control refuses the first two tries; the waiting screen posts again, with jitter,
    until the attempt starts, and nothing was written by the refused tries."""
    from quizapp.attempts import services as service
    from quizapp.attempts.admission import StartsBusy

    refusals = iter([StartsBusy(retry_after=1), StartsBusy(retry_after=1)])

    def busy_then_free():
        refusal = next(refusals, None)
        if refusal is not None:
            raise refusal

    monkeypatch.setattr(service, "admit_start", busy_then_free)
    expect = sync_api.expect
    page = context.new_page()
    register(page, site, "0987654322")
    page.get_by_role("link", name=re.compile("cuộc thi mẫu")).first.click()
    page.get_by_role("link", name="Bắt đầu thi").first.click()

    page.get_by_role("button", name="Bắt đầu", exact=True).click()

    expect(page.get_by_role("heading", name="Rất đông người đang vào thi")).to_be_visible()
    expect(page.locator("#wait-seconds")).to_have_text(re.compile(r"^[1-4]$"))
    page.wait_for_url(re.compile(r"/contests/attempts/\d+"), timeout=15_000)
    expect(page.locator("#qnum")).to_have_text("Câu 1/20")
    assert next(refusals, None) is None  # both refusals were used: it waited twice


def test_a_busy_sign_in_tries_again_by_itself_without_the_password_in_any_page(site, context):
    """Every password-hashing slot is held by another process: the sign-in page shows that it
    will try again, does so after Retry-After, and signs in once a slot is free, with no second
    tap; the password never comes back in a page."""
    from tests.slot_support import SlotHolder

    expect = sync_api.expect
    page = context.new_page()
    register(page, site, "0987654323")
    page.get_by_role("button", name="Đăng xuất").click()
    seen: list[str] = []
    page.on("response", lambda response: seen.append(response.status) if "/auth/login" in response.url else None)
    page.goto(f"{site}/auth/login?next=/contests/")
    page.get_by_label("Số điện thoại").fill("0987654323")
    page.get_by_label("Mật khẩu").fill(PASSWORD)

    holder = SlotHolder()
    try:
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.locator(".busy-status")).to_contain_text("tự thử lại", timeout=5_000)
        time.sleep(1.5)
    finally:
        holder.release()
    page.wait_for_url(f"{site}/contests/", timeout=15_000)

    assert seen.count(503) >= 1
    assert PASSWORD not in page.content()


def test_a_taker_types_a_commune_without_diacritics_picks_it_and_registers(app, site, context):
    """The unit picker at 360×740: typing "tan lap dan" lists both communes of that name, each
    with its district, as 44 px rows; the keyboard picks the second, and the account gets it."""
    from tests.unit_support import province_csv

    with app.app_context():
        load_units_csv(province_csv(400, 20), "units.csv")
        db.session.commit()
    expect = sync_api.expect
    page = context.new_page()
    page.goto(f"{site}/auth/register")
    page.get_by_label("Số điện thoại").fill("0987654324")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_label("Họ và tên").fill("Nguyễn Văn Chọn")
    box = page.get_by_role("combobox", name="Đơn vị", exact=True)
    expect(page.get_by_role("button", name="Xem đơn vị trực thuộc")).to_have_count(0)
    box.press_sequentially("tan lap dan", delay=30)
    options = page.get_by_role("listbox", name="Đơn vị").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("Xã Tân Lập")
    expect(options.nth(0)).to_contain_text("Huyện Đan Phượng — Thành phố Hà Nội")
    expect(options.nth(1)).to_contain_text("Huyện Đan Phượng 2 — Thành phố Hà Nội")
    for index in range(2):
        area = options.nth(index).bounding_box()
        assert area["height"] >= 44 and area["x"] >= 0 and area["x"] + area["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"-1$"))
    box.press("Enter")
    expect(box).to_have_value("Xã Tân Lập — Huyện Đan Phượng 2 — Thành phố Hà Nội")
    expect(page.get_by_role("listbox", name="Đơn vị")).to_be_hidden()
    expect(page.locator(".unit-status")).to_contain_text("Đã chọn")
    page.get_by_label("Tôi đã đọc và đồng ý").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(f"{site}/")
    user = context.request.get(f"{site}/api/v1/session").json()["user"]
    assert user["unit"]["name"] == "Xã Tân Lập" and user["unit"]["code"] == "HN-17-0001"
@pytest.fixture
def outbox(app, tmp_path):
    """Text messages go to a file (the file backend), where the test reads the codes."""
    path = tmp_path / "sms.jsonl"
    app.extensions["quizapp.sms"] = FileBackend(str(path))
    return path


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_forgotten_password_is_reset_by_sms_code_without_javascript(app, site, outbox, browser, context):
    old_phone = context.new_page()
    register(old_phone, site, "0987654324")
    # Another phone, with JavaScript off: the forms work as plain forms.
    plain = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", java_script_enabled=False)
    plain.set_default_timeout(10_000)
    page = plain.new_page()
    page.goto(f"{site}/auth/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("Số điện thoại").fill("0987 654 324")
    page.get_by_role("button", name="Gửi mã xác nhận").click()
    # The phone is carried by the session, never in the URL (access logs, a shared phone's history).
    page.wait_for_url(re.compile(r"/auth/password-reset/confirm$"))
    sync_api.expect(page.locator(".flash")).to_contain_text("mã xác nhận sẽ được gửi qua SMS")
    sync_api.expect(page.get_by_label("Số điện thoại")).to_have_value("0987654324")
    assert fits_the_screen(page)
    code = last_code(app, outbox, "0987654324")

    page.get_by_label("Mã xác nhận").fill("000000" if code != "000000" else "111111")
    page.get_by_label("Mật khẩu mới", exact=True).fill("mat-khau-moi-9")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mat-khau-moi-9")
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    sync_api.expect(page.locator("#code-error")).to_contain_text("không đúng hoặc đã hết hạn")
    assert fits_the_screen(page)
    page.get_by_label("Mã xác nhận").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("mat-khau-moi-9")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mat-khau-moi-9")
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.wait_for_url(f"{site}/")
    sync_api.expect(page.locator(".flash")).to_contain_text("Đã đặt lại mật khẩu")
    plain.close()

    # The phone that was signed in before is signed out.
    old_phone.goto(f"{site}/auth/profile")
    old_phone.wait_for_url(re.compile(r"/auth/login"))


def test_a_contest_that_needs_a_verified_phone_leads_through_registration_and_the_sms_code(app, site, outbox,
                                                                                             context):
    with app.app_context():
        db.session.scalar(db.select(Contest).where(Contest.slug == "demo-hcm")).require_verified_phone = True
        db.session.commit()
    page = context.new_page()
    page.goto(f"{site}/contests/demo-hcm")
    page.get_by_role("link", name="Đăng ký và xác minh số điện thoại").click()
    sync_api.expect(page.locator("main")).to_contain_text("yêu cầu xác minh số điện thoại")
    page.get_by_label("Số điện thoại").fill("0987654325")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_label("Họ và tên").fill("Trần Thị Xác Minh")
    page.get_by_label("Tôi đã đọc và đồng ý").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/auth/phone-verification\?next="))
    assert fits_the_screen(page)
    page.get_by_role("button", name="Gửi mã").click()
    sync_api.expect(page.locator(".flash")).to_contain_text("Mã xác minh sẽ được gửi qua SMS")
    page.get_by_label("Mã xác nhận").fill(last_code(app, outbox, "0987654325"))
    page.get_by_role("button", name="Xác minh").click()
    page.wait_for_url(f"{site}/contests/demo-hcm")
    sync_api.expect(page.locator(".flash")).to_contain_text("Đã xác minh số điện thoại")
    page.get_by_role("button", name="Bắt đầu thi").first.click()
    page.wait_for_url(re.compile(r"/contests/attempts/\d+"))
    assert fits_the_screen(page)


def test_the_readme_screenshots_render(tmp_path):
    """docs/screenshots/render.py still drives the real pages (it runs in a process of its own:
    it builds its own app and database)."""
    import struct
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "render.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,  # noqa: S603
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    def size(name: str) -> tuple[int, int]:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        return struct.unpack(">II", data[16:24])

    assert size("attempt-phone.png") == (720, 1480)  # 360x740 at the phone's pixel ratio of 2
    assert size("dashboard.png")[0] == 1280 and size("dashboard.png")[1] > 900
    assert size("judge-ranking.png") == (1280, 900)


def test_the_guardian_section_appears_when_the_birth_date_is_a_childs(app, site, context):
    """At 360 px with JavaScript: no guardian section for an adult, one for a 12-year-old, and
    the child registers with a guardian's consent; nothing wider than the phone."""
    expect = sync_api.expect
    page = context.new_page()
    page.goto(f"{site}/auth/register")
    guardian = page.get_by_role("group", name="Cha, mẹ hoặc người giám hộ đồng ý")
    expect(guardian).to_be_hidden()
    page.get_by_label("Số điện thoại").fill("0987654326")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_label("Họ và tên").fill("Lê Văn Nhỏ")
    page.get_by_label("Ngày sinh").fill("1990-01-01")
    expect(guardian).to_be_hidden()
    twelve = date.today().replace(year=date.today().year - 12, day=1)
    page.get_by_label("Ngày sinh").fill(twelve.isoformat())
    expect(guardian).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Cha, mẹ hoặc người giám hộ (họ tên đầy đủ)").fill("Lê Thị Mẹ")
    page.get_by_label("Điện thoại của cha, mẹ hoặc người giám hộ").fill("0987 654 327")
    page.get_by_label("Tôi là cha, mẹ hoặc người giám hộ").check()
    page.get_by_label("Tôi đã đọc và đồng ý").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(f"{site}/")
    with app.app_context():
        consent = db.session.scalar(db.select(Consent))
        assert (consent.guardian_name, consent.guardian_phone, consent.how) == ("Lê Thị Mẹ", "0987654327", "web")


def test_results_pages_fit_a_360_px_phone(app, context, tmp_path):
    """Issue 15: the public results page was 584 px wide on a 360 px phone (its table and the
    checksum ran off the screen). It and "Kết quả của tôi" now fit, with 44 px tap targets."""
    from tests.attempt_support import CLOSES, import_bank, install_clock, load_contest, round_definition, sign_up
    from tests.attempt_support import simple_questions as questions_of
    from tests.conftest import PASSWORD as TAKER_PASSWORD
    from tests.conftest import Accounts, csrf_token

    clock = install_clock(app)
    import_bank(app, tmp_path, "hep", questions_of("hep", 3))
    (round_id,) = load_contest(app, tmp_path, "ket-qua-hep", [
        round_definition(1, bank="hep", count=3)
        | {"awards": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Khuyến khích", "count": 2}]}])
    units = "code,name,parent_code\nMTTQ-TX,Ủy ban Mặt trận Tổ quốc Việt Nam xã Thanh Xuân Bắc huyện Thanh Oai,\n"
    with app.app_context():
        load_units_csv(units.encode(), "don-vi.csv")
        db.session.commit()
    takers = [sign_up(app, full_name=f"Nguyễn Thị Phương Thảo Hoàng Ngọc Bích {number}", unit_code="MTTQ-TX")
              for number in range(3)]
    for right, taker in enumerate(takers):
        attempt = taker.started(round_id)
        for question in attempt["questions"][:right + 1]:
            taker.save(attempt["id"], question["id"], [next(option["id"] for option in question["options"]
                                                             if "phương án A" in option["text"])])
        taker.submit(attempt["id"])
    clock.set(CLOSES + timedelta(minutes=1))
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    judge.post(f"/judging/rounds/{round_id}/lock", data={"csrf_token": csrf_token(judge), "confirm": "yes"})

    with serving(app) as site:
        page = context.new_page()
        page.goto(f"{site}/contests/ket-qua-hep/rounds/1/results")
        sync_api.expect(page.locator("#checksum")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.locator("#checksum").bounding_box()["width"] <= 360
        assert_tap_targets(page)

        page.goto(f"{site}/auth/login?next=/me/results")
        page.get_by_label("Số điện thoại").fill(takers[2].phone)
        page.get_by_label("Mật khẩu", exact=True).fill(TAKER_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{site}/me/results")
        sync_api.expect(page.locator(".result-line").first).to_contain_text("Bạn xếp hạng 1/3 — Giải Nhất")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_tap_targets(page)
        page.goto(f"{site}/contests/ket-qua-hep")
        page.get_by_role("link", name="Xem kết quả ›").click()
        page.wait_for_url(f"{site}/contests/ket-qua-hep/rounds/1/results")
