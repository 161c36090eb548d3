"""Render the README's screenshots: the organiser's dashboard, the attempt page on a phone
(360x740), the judge's ranking, the round's item analysis (a question whose key was mistyped
flagged "Có thể sai đáp án"), a winner's certificate (its PDF's page as a picture) and its
verification page on a phone, into docs/screenshots/.

    make screenshots        (or: .venv/bin/python docs/screenshots/render.py)

Needs Playwright for Python (requirements-dev.txt) and Debian's chromium (/usr/bin/chromium;
`apt-get install chromium`). It builds a throwaway SQLite database with the demo data
(`flask demo`: units, sample banks, the demo contest and its accounts), adds a week of
generated takers and attempts so the charts have something to show, serves the real app on
127.0.0.1 from a thread and drives the browser through the pages as the demo organiser,
judge and taker would; then it moves the app's clock past the round's close, locks the round
as a judge would, and makes the first winner's certificate. Nothing outside the temporary
directory is touched but the PNGs.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from quizapp import clock, create_app  # noqa: E402
from quizapp.attempts.services import draw_questions  # noqa: E402
from quizapp.attempts.tokens import canonical  # noqa: E402
from quizapp.auth.models import User  # noqa: E402
from quizapp.auth.passwords import hash_password  # noqa: E402
from quizapp.banks.models import Bank, Option, Question, QuestionVersion  # noqa: E402
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round  # noqa: E402
from quizapp.contests.services import save_contest, validate_contest  # noqa: E402
from quizapp.demo import (  # noqa: E402
    DEMO_CONTEST,
    DEMO_JUDGE,
    DEMO_ORGANISER,
    DEMO_PASSWORD,
    demo_contest_definition,
    load_demo,
    load_demo_contest,
    load_sample_banks,
)
from quizapp.extensions import db  # noqa: E402
from quizapp.judging.certificates import services as certificates  # noqa: E402
from quizapp.judging.certificates.layout import render as render_pdf  # noqa: E402
from quizapp.judging.locking import lock_round  # noqa: E402
from quizapp.judging.models import locked_result  # noqa: E402
from quizapp.units.models import Unit  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
DEMO_TAKER = "0900000004"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Thị Thu", "Minh", "Ngọc", "Quang", "Thanh", "Hữu", "Thị Hồng"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vân", "Yến"]


def build_site(directory: Path):
    """The app on a fresh SQLite database in ``directory``, with the demo and a week of attempts."""
    app = create_app({
        "SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": f"sqlite:///{directory / 'demo.db'}",
        "REDIS_URL": None, "RATELIMIT_ENABLED": False, "ADMISSION_STARTS_PER_SECOND": 0,
        "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST_KIB": 8,
    })
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo()
        load_sample_banks()
        db.session.commit()
        # The demo contest, its weekly round opened six days ago, so the charts show a week.
        load_demo_contest()
        contest = db.session.scalar(select(Contest).where(Contest.slug == DEMO_CONTEST))
        save_contest(validate_contest(demo_contest_definition(clock.now() - timedelta(days=5))))
        db.session.commit()
        generate_attempts(contest)
    return app


def generate_attempts(contest: Contest) -> None:
    """Takers in the demo units with one to three attempts each, more of them in the
    round's first days, scores mostly high, a handful of attempts still open."""
    rng = random.Random(2025)
    now = clock.now()
    weekly = next(round_ for round_ in contest.rounds if not round_.practice)
    password = hash_password("khong-dung-" + secrets.token_hex(4))
    # Each unit takes part at its own rate (a third to nine tenths of its headcount).
    homes = [unit_id for unit_id, headcount in db.session.execute(
        select(Unit.id, Unit.headcount).where(Unit.headcount.is_not(None)))
        for _ in range(round(headcount * rng.uniform(0.35, 0.9)))]
    homes += [None] * (len(homes) // 40)  # a few never chose their unit
    db.session.execute(insert(User), [{
        "phone": f"097{number:07d}", "password_hash": password, "role": "taker",
        "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}", "unit_id": unit_id,
    } for number, unit_id in enumerate(homes)])
    people = list(db.session.scalars(select(User.id).where(User.phone.like("097%"))))
    span = (now - weekly.opens_at).total_seconds()
    rows = []
    for user_id in people:
        first = weekly.opens_at + timedelta(seconds=span * rng.betavariate(1.1, 1.8))
        for number in range(1, rng.choice([1, 1, 2, 2, 3]) + 1):
            started = min(first + timedelta(hours=rng.uniform(0, 30) * (number - 1)), now - timedelta(minutes=25))
            seconds = rng.randint(150, 1150)
            is_open = number == 1 and rng.random() < 0.01
            if is_open:
                started = now - timedelta(minutes=rng.randint(1, 15))
            rows.append({
                "round_id": weekly.id, "user_id": user_id, "number": number, "max_attempts": weekly.max_attempts,
                "status": "open" if is_open else "submitted", "started_at": started,
                "deadline": started + timedelta(seconds=weekly.time_limit_seconds),
                "submitted_at": None if is_open else started + timedelta(seconds=seconds),
                "question_count": 20, "correct_count": None if is_open else min(20, int(rng.triangular(6, 21, 17))),
                "duration_ms": None if is_open else seconds * 1000,
                "prediction": rng.choice([None, 120, 150, 180, 200, 240, 300]), "expired": False,
                "disqualified": False,
            })
    db.session.execute(insert(Attempt), rows)
    db.session.commit()
    answer_sheets(weekly, rng)


def mistype_a_key(round_: Round) -> tuple[int, int]:
    """Mistype one single-choice question's key in the bank, as organisers do: a wrong option
    marked right and the right one wrong. Returns the question and its truly right option."""
    banks = [entry["bank"] for entry in round_.draw]
    version = db.session.scalars(
        select(QuestionVersion).join(Question, Question.id == QuestionVersion.question_id)
        .join(Bank, Bank.id == Question.bank_id)
        .where(Bank.slug.in_(banks), QuestionVersion.multiple.is_(False)).order_by(QuestionVersion.id)).first()
    right = next(option["id"] for option in version.options if option["correct"])
    typo = next(option["id"] for option in version.options if not option["correct"])
    version.options = [{**option, "correct": option["id"] == typo} for option in version.options]
    for option in db.session.scalars(select(Option).where(Option.question_id == version.question_id)):
        option.is_correct = option.id == typo
    db.session.commit()
    return version.question_id, right


def answer_sheets(round_: Round, rng: random.Random) -> None:
    """Each attempt's questions, drawn as the round draws them, answered by a taker of some
    skill, and its score from them; one question's key is mistyped (``mistype_a_key``) and the
    able takers choose the truly right option, so the item analysis has something to catch."""
    mistyped, truly_right = mistype_a_key(round_)
    attempts = db.session.execute(select(Attempt.id, Attempt.status).where(Attempt.round_id == round_.id)).all()
    items, scores = [], {}
    for attempt_id, status in attempts:
        skill = rng.betavariate(5, 2)
        questions = draw_questions(round_)
        correct = 0
        for position, version in enumerate(questions):
            shown = list(version.options)
            if not version.fixed_order:
                rng.shuffle(shown)
            key = [index for index, (_option, right) in enumerate(shown) if right]
            # What an able taker knows to be right: the key, but for the mistyped question.
            known = ([index for index, (option, _right) in enumerate(shown) if option == truly_right]
                     if version.question_id == mistyped else key)
            guesses = [index for index in range(len(shown)) if index not in known]
            pick = known if rng.random() < skill or not guesses else [rng.choice(guesses)]
            chosen = None if status == "open" or rng.random() < 0.03 else canonical(pick)
            correct += chosen == canonical(key)
            items.append({"attempt_id": attempt_id, "position": position, "question_id": version.question_id,
                          "question_revision": version.revision, "multiple": version.multiple,
                          "option_count": len(shown), "option_ids": [option for option, _right in shown],
                          "correct_key": canonical(key), "chosen": chosen})
        scores[attempt_id] = (None if status == "open" else correct, len(questions))
    db.session.execute(insert(AttemptItem.__table__), items)
    for attempt_id, (correct, count) in scores.items():
        db.session.execute(Attempt.__table__.update().where(Attempt.id == attempt_id)
                           .values(correct_count=correct, question_count=count))
    db.session.commit()


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


def watched(page, failures: list[str]):
    """``page``, with every answer of 400 or more noted in ``failures`` (a picture of an error
    page is no picture of the product)."""
    page.on("response", lambda response: failures.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return page


def log_in(page, site: str, phone: str, next_path: str) -> None:
    page.goto(f"{site}/auth/login?next={next_path}")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{site}{next_path}")


def render(out: Path) -> list[Path]:
    """Write the screenshots into ``out``; returns their paths."""
    shots = [out / name for name in ("dashboard.png", "judge-ranking.png", "attempt-phone.png", "certificate.png",
                                     "certificate-check.png", "item-analysis.png")]
    with tempfile.TemporaryDirectory() as directory:
        app = build_site(Path(directory))
        with app.app_context():
            weekly = db.session.scalar(select(Round.id).join(Contest).where(
                Contest.slug == DEMO_CONTEST, Round.practice.is_(False)))
        server, thread, site = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                desk = {"viewport": {"width": 1280, "height": 900}, "locale": "vi-VN",
                        "timezone_id": "Asia/Ho_Chi_Minh"}

                failures: list[str] = []
                organiser = watched(browser.new_context(**desk).new_page(), failures)
                log_in(organiser, site, DEMO_ORGANISER, f"/contests/manage/{DEMO_CONTEST}/dashboard")
                organiser.screenshot(path=str(shots[0]), full_page=True)

                judge = watched(browser.new_context(**desk).new_page(), failures)
                log_in(judge, site, DEMO_JUDGE, f"/judging/rounds/{weekly}/ranking")
                judge.screenshot(path=str(shots[1]))
                # The round's questions on a phone, the mistyped key first.
                analyst = watched(browser.new_context(
                    viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
                    locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page(), failures)
                log_in(analyst, site, DEMO_JUDGE, f"/judging/rounds/{weekly}/questions")
                analyst.locator("article.item").first.screenshot(path=str(shots[5]))

                phone = watched(browser.new_context(
                    viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
                    locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page(), failures)
                log_in(phone, site, DEMO_TAKER, f"/contests/{DEMO_CONTEST}")
                phone.get_by_role("link", name="Bắt đầu thi").first.click()  # a timed round: confirm first
                phone.get_by_role("button", name="Bắt đầu", exact=True).click()
                phone.wait_for_url(f"{site}/contests/attempts/**")
                for option in (1, 0):
                    phone.locator("#options label").nth(option).click()
                    phone.locator("#qmark").filter(has_text="Đã lưu").wait_for()
                    phone.get_by_role("button", name="Câu sau").click()
                phone.locator("#options label").nth(2).click()
                phone.locator("#qmark").filter(has_text="Đã lưu").wait_for()
                phone.screenshot(path=str(shots[2]))

                code = certificate(app, weekly, shots[3])
                # Whoever scans the paper, signed in or not.
                scanner = watched(browser.new_context(
                    viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
                    locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page(), failures)
                scanner.goto(f"{site}/certificates/{code}")
                scanner.screenshot(path=str(shots[4]), full_page=True)
                browser.close()
                if failures:
                    raise SystemExit("pages answered with errors: " + ", ".join(failures))
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
    return shots


def certificate(app, round_id: int, path: Path) -> str:
    """Close and lock the weekly round (the app's clock a day past its close), give the demo
    contest a letterhead as its organiser would, write the first winner's certificate as a
    picture of its PDF's page to ``path`` (printed with the README's example address, not this
    run's port); returns its code."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        closes = round_.closes_at
        app.extensions["quizapp.clock"] = lambda: closes + timedelta(days=1)
        contest = round_.contest
        contest.organising_body, contest.parent_body = "Ban Tuyên giáo Tỉnh ủy", "Tỉnh ủy Nam Định"
        contest.document_place, contest.document_heading = "Nam Định", "party"
        contest.signers = [{"on_behalf": "T/M BAN TỔ CHỨC", "title": "Trưởng ban", "name": "Trần Văn Bình"}]
        lock_round(round_, None, reason="Ảnh minh hoạ")
        result = locked_result(round_id)
        [(_winner, issued)] = certificates.issue(round_, [next(certificates.recipients(round_, result))])
        db.session.commit()
        data = render_pdf(certificates.sheet(issued, round_, result, "https://thi.example.vn"))
    pypdfium2.PdfDocument(data)[0].render(scale=1.6).to_pil().save(path, optimize=True)
    return issued.code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory for the PNGs (default: this one)")
    for path in render(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
