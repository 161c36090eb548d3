"""Takers' pages under /contests, without JavaScript: the list, a contest, starting and resuming,
the attempt as one form per question, submitting, the result and the review per policy, and the
attempt page's weight on a 3G phone."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from quizapp.attempts.display import attempt_json
from quizapp.attempts.tokens import option_tokens
from quizapp.banks.models import Option, Question
from quizapp.banks.services import import_bank_file
from quizapp.contests.models import Attempt, AttemptItem, Contest
from quizapp.contests.services import save_contest, validate_contest
from quizapp.demo import load_demo_contest, load_sample_banks
from quizapp.extensions import db
from tests.conftest import csrf_token

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
OPTION = re.compile(r'name="option" value="([A-Za-z0-9_-]{10})"( checked)?')
MULTIPLE_CSV = (
    "Chủ đề,Câu hỏi,A,B,C,D,Đáp án,Giải thích\n"
    'Chung,Những thành phố nào trực thuộc Trung ương?,Hà Nội,Vinh,Huế,Nha Trang,"A,C",Hà Nội và Huế.\n'
).encode()


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def demo(app) -> dict[str, int]:
    """The demo contest: round 1 timed (20 questions, 20 minutes, 3 attempts), round 2 practice."""
    with app.app_context():
        load_sample_banks()
        contest = load_demo_contest()
        db.session.commit()
        return {"timed": contest.rounds[0].id, "practice": contest.rounds[1].id}


def make_contest(app, slug: str, rounds: list[dict], **fields) -> list[int]:
    """A contest over the sample banks; each round entry overrides an open 10-minute round."""
    now = datetime.now(UTC)
    base = {"title": "Vòng thử", "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(), "time_limit_seconds": 600,
            "max_attempts": 3, "draw": [{"bank": "nghi-quyet", "count": 3}], "tie_breakers": ["correct_desc"],
            "review": "after_submit"}
    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Question)) == 0:
            load_sample_banks()
        contest = save_contest(validate_contest({
            "slug": slug, "title": f"Cuộc thi {slug}",
            "rounds": [{**base, "number": number, **entry} for number, entry in enumerate(rounds, 1)], **fields,
        }))
        db.session.commit()
        return [round_.id for round_ in contest.rounds]


def hours(n: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=n)).isoformat()


def start(client, round_id: int):
    return client.post(f"/contests/rounds/{round_id}/start", data={"csrf_token": csrf_token(client)})


def start_attempt(client, round_id: int) -> int:
    response = start(client, round_id)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r"/contests/attempts/(\d+)", response.headers["Location"]).group(1))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def data_block(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="attempt-data">(.*?)</script>', html).group(1))


def shown_question(html: str) -> tuple[int, list[str]]:
    question = int(re.search(r'name="question" id="question-id" value="(\d+)"', html).group(1))
    return question, [token for token, _checked in OPTION.findall(html)]


def answer(client, attempt_id: int, question: int, options: list[str], **fields):
    return client.post(f"/contests/attempts/{attempt_id}/answer", data={
        "csrf_token": csrf_token(client), "question": question, "option": options, **fields,
    })


def clock(app, moment: datetime) -> None:
    app.extensions["quizapp.clock"] = lambda: moment


def item(app, attempt_id: int, question_id: int) -> AttemptItem:
    with app.app_context():
        return db.session.scalar(select(AttemptItem).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.question_id == question_id))


def assert_no_answer_key(app, attempt_id: int, html: str) -> None:
    """Nothing in ``html`` tells which option is correct: no "correct" anywhere (key, class or
    comment), no explanation (each would name the answer)."""
    assert "correct" not in html.lower()
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        questions = [entry.question for entry in attempt.items]
        shown = " ".join(question.text + " ".join(option.text for option in question.options) for question in questions)
        for question in questions:
            if question.explanation and question.explanation not in shown:
                assert question.explanation not in html


# --- the list and the contest page -----------------------------------------------------------


def test_home_and_nav_link_to_the_contests(client):
    assert page(client, "/").count('href="/contests/"') == 2


def test_anonymous_visitors_see_the_rounds_and_a_login_link(client, app, demo):
    html = page(client, "/contests/")
    with app.app_context():
        contest = db.session.scalar(select(Contest))
        opens = contest.rounds[0].opens_at.astimezone(HCM).strftime("%H:%M %d/%m/%Y")
    assert "Tìm hiểu tư tưởng, đạo đức, phong cách Hồ Chí Minh (cuộc thi mẫu)" in html
    assert f"Từ {opens} đến" in html and "(giờ Việt Nam)" in html
    assert "Tuần 1" in html and "20 câu" in html and "20 phút" in html and "3 lượt thi" in html
    assert "Thi thử" in html and "không giới hạn thời gian" in html and "thi thử, không tính giải" in html
    assert 'href="/auth/login?next=' in html and "/start" not in html


def test_round_states_attempts_used_and_start_or_resume(client, app, auth):
    upcoming, open_, closed = make_contest(app, "ba-vong", [
        {"opens_at": hours(1), "closes_at": hours(2)}, {}, {"opens_at": hours(-3), "closes_at": hours(-2)},
    ])
    auth.login_as()
    html = page(client, "/contests/")
    assert [state for state in re.findall(r'class="state state-(\w+)"', html)] == ["upcoming", "open", "closed"]
    assert "Chưa mở" in html and "Đang mở" in html and "Đã đóng" in html
    assert re.findall(r'/contests/rounds/(\d+)/start', html) == [str(open_)]
    assert "Bạn đã thi <strong>0/3</strong> lượt." in html and "Bắt đầu thi" in html

    first = start_attempt(client, open_)
    html = page(client, "/contests/ba-vong")
    assert "Bạn đã thi <strong>1/3</strong> lượt." in html and "Làm tiếp lượt đang thi" in html
    assert f'href="/contests/attempts/{first}"' in html  # "your attempts" links to the open one
    assert start_attempt(client, open_) == first  # resume: the same attempt
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1

    refused = start(client, upcoming)
    assert refused.headers["Location"] == "/contests/ba-vong"
    assert "Vòng thi chưa mở hoặc đã kết thúc." in page(client, "/contests/ba-vong")


def test_a_timed_start_is_confirmed_first_and_a_resume_is_not(client, app, auth):
    (round_id,) = make_contest(app, "xac-nhan", [{"time_limit_seconds": 1200, "max_attempts": 3,
                                                  "draw": [{"bank": "nghi-quyet", "count": 5}]}])
    auth.login_as()
    confirm_url = f"/contests/rounds/{round_id}/start"
    html = page(client, "/contests/xac-nhan")
    # The contest page's button opens the confirmation page; it starts nothing itself.
    assert f'<a class="button" href="{confirm_url}">Bắt đầu thi</a>' in html
    assert f'action="{confirm_url}"' not in html

    response = client.get(confirm_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "20 phút: bắt đầu làm bài?" in html
    assert "Số câu hỏi</dt><dd>5 câu" in html and "Thời gian</dt><dd>20 phút" in html
    assert "lượt 1/3; còn 3 lượt kể cả lượt này" in html
    assert "Đồng hồ bắt đầu chạy ngay khi bạn bấm «Bắt đầu»" in html
    assert f'<form method="post" action="{confirm_url}"' in html and ">Bắt đầu</button>" in html
    assert '<a class="button secondary" href="/contests/xac-nhan">Để sau</a>' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0  # looking starts nothing

    first = start_attempt(client, round_id)  # "Bắt đầu" posts to the same address
    # An open attempt is resumed at once: the page posts, the confirmation address redirects.
    html = page(client, "/contests/xac-nhan")
    assert f'action="{confirm_url}"' in html and "Làm tiếp lượt đang thi" in html
    assert client.get(confirm_url).headers["Location"] == f"/contests/attempts/{first}"
    client.post(f"/contests/attempts/{first}/submit", data={"csrf_token": csrf_token(client)})

    html = page(client, f"/contests/attempts/{first}/result")
    assert f'<a class="button" href="{confirm_url}">Thi lượt mới</a>' in html
    assert "lượt 2/3; còn 2 lượt kể cả lượt này" in page(client, confirm_url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_an_untimed_round_starts_with_one_tap_and_its_confirmation_says_so(client, app, auth):
    (round_id,) = make_contest(app, "khong-gio", [{"time_limit_seconds": None, "max_attempts": None,
                                                                 "practice": True}])
    auth.login_as()
    assert f'action="/contests/rounds/{round_id}/start"' in page(client, "/contests/khong-gio")
    html = page(client, f"/contests/rounds/{round_id}/start")
    assert "Thời gian</dt><dd>không giới hạn" in html and "không giới hạn số lượt" in html
    assert "Đồng hồ" not in html


@pytest.mark.parametrize(("case", "message"), [
    ("upcoming", "Vòng thi chưa mở hoặc đã kết thúc."),
    ("used_up", "Bạn đã dùng hết số lượt thi của vòng này."),
    ("profile", "Còn thiếu: Ngày sinh."),
    ("password", "Cuộc thi này cần mật khẩu do Ban tổ chức cung cấp."),
])
def test_the_confirmation_page_refuses_what_the_start_would(client, app, auth, case, message):
    round_fields = {"opens_at": hours(1), "closes_at": hours(2)} if case == "upcoming" else {"max_attempts": 1}
    contest_fields = {"registration_fields": ["birth_date"]} if case == "profile" else \
        {"password": "bi-mat-2024"} if case == "password" else {}
    (round_id,) = make_contest(app, "tu-choi", [round_fields], **contest_fields)
    auth.login_as()
    if case == "used_up":
        attempt_id = start_attempt(client, round_id)
        client.post(f"/contests/attempts/{attempt_id}/submit", data={"csrf_token": csrf_token(client)})
    refused = client.get(f"/contests/rounds/{round_id}/start")
    assert refused.status_code == 302 and refused.headers["Location"] == "/contests/tu-choi"
    assert message in page(client, "/contests/tu-choi")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == (1 if case == "used_up" else 0)


def test_the_confirmation_needs_a_login_and_a_real_round(client, auth, demo):
    response = client.get(f"/contests/rounds/{demo['timed']}/start")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    auth.login_as()
    assert client.get("/contests/rounds/999999/start").status_code == 404


def test_start_needs_a_login(client, demo):
    response = start(client, demo["timed"])
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_used_up_attempts_are_refused_with_a_message(client, app, auth):
    (round_id,) = make_contest(app, "mot-luot", [{"max_attempts": 1}])
    auth.login_as()
    attempt_id = start_attempt(client, round_id)
    client.post(f"/contests/attempts/{attempt_id}/submit", data={"csrf_token": csrf_token(client)})
    refused = start(client, round_id)
    assert refused.headers["Location"] == "/contests/mot-luot"
    html = page(client, "/contests/mot-luot")
    assert "Bạn đã dùng hết số lượt thi của vòng này." in html
    assert "/start" not in html.split("Các lượt thi của bạn")[0]


def test_missing_profile_fields_are_listed_with_a_link_to_the_profile(client, app, auth):
    (round_id,) = make_contest(app, "can-ho-so", [{}], registration_fields=["birth_date", "unit_code"])
    auth.login_as()
    html = page(client, "/contests/can-ho-so")
    assert "Còn thiếu: <strong>Ngày sinh, Đơn vị</strong>" in html
    assert 'href="/auth/profile?next=/contests/can-ho-so"' in html
    refused = start(client, round_id)
    assert refused.headers["Location"] == "/contests/can-ho-so"
    assert "Còn thiếu: Ngày sinh, Đơn vị." in page(client, "/contests/can-ho-so")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_completing_the_profile_leads_back_to_the_contest(client, app, auth):
    (round_id,) = make_contest(app, "ve-cuoc-thi", [{}], registration_fields=["birth_date"])
    auth.login_as()
    html = page(client, "/auth/profile?next=%2Fcontests%2Fve-cuoc-thi")
    assert 'action="/auth/profile?next=/contests/ve-cuoc-thi"' in html
    assert '<a class="button secondary" href="/contests/ve-cuoc-thi">Quay lại</a>' in html
    fields = {"full_name": "Nguyễn Văn Thử", "birth_date": "1990-05-01", "gender": "", "unit_code": "",
              "participant_group": "", "id_number": ""}

    # A bad field keeps the taker on the profile page, with the way back still there.
    bad = client.post("/auth/profile?next=%2Fcontests%2Fve-cuoc-thi",
                      data={**fields, "full_name": "", "csrf_token": csrf_token(client)})
    assert bad.status_code == 422
    assert 'action="/auth/profile?next=/contests/ve-cuoc-thi"' in bad.get_data(as_text=True)

    saved = client.post("/auth/profile?next=%2Fcontests%2Fve-cuoc-thi",
                        data={**fields, "csrf_token": csrf_token(client)})
    assert saved.status_code == 302 and saved.headers["Location"] == "/contests/ve-cuoc-thi"
    html = page(client, "/contests/ve-cuoc-thi")
    assert "Đã lưu thông tin cá nhân." in html and "Còn thiếu" not in html
    assert start_attempt(client, round_id)


@pytest.mark.parametrize("target", ["https://evil.example/contests/x", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "contests/x"])
def test_the_profile_goes_back_only_to_a_path_of_this_site(client, auth, target):
    auth.login_as()
    html = page(client, f"/auth/profile?next={quote(target, safe='')}")
    assert 'action="/auth/profile"' in html and "Quay lại" not in html
    saved = client.post(f"/auth/profile?next={quote(target, safe='')}", data={
        "full_name": "Nguyễn Văn Thử", "csrf_token": csrf_token(client)})
    assert saved.status_code == 302 and saved.headers["Location"] == "/auth/profile"


def test_a_contest_password_is_asked_once(client, app, auth):
    (round_id,) = make_contest(app, "kin", [{}], password="bi-mat-2024")
    auth.login_as()
    html = page(client, "/contests/kin")
    assert 'action="/contests/kin/password"' in html and 'type="password"' in html
    start(client, round_id)
    assert "Cuộc thi này cần mật khẩu do Ban tổ chức cung cấp." in page(client, "/contests/kin")

    client.post("/contests/kin/password", data={"password": "sai", "csrf_token": csrf_token(client)})
    assert "Mật khẩu cuộc thi không đúng." in page(client, "/contests/kin")
    client.post("/contests/kin/password", data={"password": "bi-mat-2024", "csrf_token": csrf_token(client)})
    html = page(client, "/contests/kin")
    assert "Mật khẩu đúng." in html and 'action="/contests/kin/password"' not in html
    assert start_attempt(client, round_id)


def test_guessing_a_contest_password_is_limited_per_account(client, app, auth):
    make_contest(app, "kin-dao", [{}], password="bi-mat-2024")
    auth.login_as()
    for _ in range(10):
        client.post("/contests/kin-dao/password", data={"password": "doan", "csrf_token": csrf_token(client)})
    limited = client.post("/contests/kin-dao/password", data={"password": "bi-mat-2024",
                                                             "csrf_token": csrf_token(client)})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "Thao tác quá nhanh" in limited.get_data(as_text=True)


def test_the_page_and_the_api_share_one_password_budget_per_account_and_contest(client, app, auth):
    (round_id,) = make_contest(app, "kin-chung", [{}], password="bi-mat-2024")
    make_contest(app, "kin-khac", [{}], password="bi-mat-khac")
    auth.login_as()

    def api_start(round_: int, password: str):
        return client.post(f"/api/v1/rounds/{round_}/attempts", json={"password": password},
                           headers={"X-CSRFToken": csrf_token(client)})

    guesses = []
    for number in range(10):
        if number % 2:
            guesses.append(api_start(round_id, f"doan-{number}").status_code)
        else:
            guesses.append(client.post("/contests/kin-chung/password", data={
                "password": f"doan-{number}", "csrf_token": csrf_token(client)}).status_code)
    by_api = api_start(round_id, "bi-mat-2024")
    by_page = client.post("/contests/kin-chung/password", data={"password": "bi-mat-2024",
                                                                "csrf_token": csrf_token(client)})

    assert guesses == [302, 403] * 5
    assert (by_api.status_code, by_api.get_json()["error"]["code"]) == (429, "rate_limited")
    assert int(by_api.headers["Retry-After"]) > 0
    assert by_page.status_code == 429 and "Retry-After" in by_page.headers
    assert 'action="/contests/kin-chung/password"' in page(client, "/contests/kin-chung")  # still locked
    # Another contest has a budget of its own.
    client.post("/contests/kin-khac/password", data={"password": "bi-mat-khac", "csrf_token": csrf_token(client)})
    assert 'action="/contests/kin-khac/password"' not in page(client, "/contests/kin-khac")


# --- the attempt, without JavaScript ---------------------------------------------------------


def test_answer_one_question_per_form_then_submit(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    url = f"/contests/attempts/{attempt_id}"
    html = page(client, url)
    assert "Câu 1/20" in html and 'type="radio"' in html and "Hạn nộp:" in html
    question, tokens = shown_question(html)
    assert len(tokens) == 4

    saved = answer(client, attempt_id, question, [tokens[2]], q="1", go="2")
    assert saved.status_code == 302 and saved.headers["Location"] == f"{url}?q=2"
    assert item(app, attempt_id, question).chosen == "2"
    assert "Câu 2/20" in page(client, f"{url}?q=2")

    html = page(client, f"{url}?q=1")
    assert OPTION.findall(html) == [(token, " checked" if index == 2 else "") for index, token in enumerate(tokens)]
    assert "✓ Đã lưu câu trả lời" in html
    # The jump list marks the answered question and the one shown.
    assert ('<button type="submit" name="go" value="1" aria-label="Câu 1, đã trả lời" class="done" '
            'aria-current="step">1</button>') in html
    assert '<button type="submit" name="go" value="2" aria-label="Câu 2">2</button>' in html
    assert 'Đã trả lời <strong id="answered">1</strong>/20 câu.' in html
    # With no q the page opens on the first unanswered question.
    assert "Câu 2/20" in page(client, url)

    # The prediction travels with any answer; "Nộp bài" saves, then asks for confirmation.
    question, tokens = shown_question(page(client, f"{url}?q=20"))
    confirm = answer(client, attempt_id, question, [tokens[0]], q="20", go="submit", prediction="1500")
    assert confirm.headers["Location"] == f"{url}/submit"
    html = page(client, f"{url}/submit")
    assert "Bạn đã trả lời <strong>2/20</strong> câu." in html and "Còn <strong>18 câu chưa trả lời</strong>" in html
    assert 'value="1500"' in html and "prediction-missing" not in html  # the prediction, for a last look
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).prediction == 1500

    done = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client)})
    assert done.headers["Location"] == f"{url}/result"
    again = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client)})  # a double tap
    assert again.headers["Location"] == f"{url}/result"
    assert client.get(url).headers["Location"] == f"{url}/result"
    html = page(client, f"{url}/result")
    assert "Đã nộp bài." in html and "Số câu đã trả lời</dt><dd>2/20" in html and "1.500" in html


def test_the_submit_confirmation_warns_of_an_empty_prediction_and_takes_it(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    url = f"/contests/attempts/{attempt_id}"
    html = page(client, f"{url}/submit")
    assert 'id="prediction-missing" role="alert">Bạn chưa trả lời câu hỏi dự đoán. Câu này dùng để xếp hạng' in html
    assert "Câu hỏi dự đoán: Theo bạn, tuần này có bao nhiêu người" in html
    assert re.search(r'<input id="prediction" name="prediction" type="number"[^>]* value=""', html)

    # Not a number: nothing is submitted, the page says why and asks again.
    refused = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client), "prediction": "nhiều"})
    assert refused.headers["Location"] == f"{url}/submit"
    assert "Dự đoán phải là số nguyên từ 0 đến 1.000.000.000." in page(client, f"{url}/submit")
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == "open"

    done = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client), "prediction": "2.500"})
    assert done.headers["Location"] == f"{url}/result"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.status, attempt.prediction) == ("submitted", 2500)
    assert "2.500" in page(client, f"{url}/result")


def test_the_submit_confirmation_shows_a_given_or_locked_prediction(client, app, auth):
    locked = {"prompt": "Bao nhiêu người dự thi?", "truth": "participants", "locked": True}
    (round_id,) = make_contest(app, "khoa-du-doan", [{"prediction": locked,
                                                      "tie_breakers": ["correct_desc", "prediction_error_asc"]}])
    auth.login_as()
    first = start_attempt(client, round_id)
    question, tokens = shown_question(page(client, f"/contests/attempts/{first}"))
    answer(client, first, question, [tokens[0]], q="1", go="submit", prediction="321")
    html = page(client, f"/contests/attempts/{first}/submit")
    # Locked once given, as the attempt page shows it.
    assert "prediction-missing" not in html and "Dự đoán của bạn: <strong>321</strong>" in html
    client.post(f"/contests/attempts/{first}/submit", data={"csrf_token": csrf_token(client)})

    second = start_attempt(client, round_id)
    html = page(client, f"/contests/attempts/{second}/submit")
    assert "Dự đoán của bạn: <strong>321</strong> (đã ghi nhận ở lượt thi đầu tiên" in html
    assert 'name="prediction"' not in html and "prediction-missing" not in html


def test_a_round_without_prediction_or_with_other_tie_breaks_says_no_more(client, app, auth):
    plain, other = make_contest(app, "it-du-doan", [
        {}, {"prediction": {"prompt": "Bao nhiêu?", "truth": "attempts"}, "tie_breakers": ["correct_desc"]}])
    auth.login_as()
    html = page(client, f"/contests/attempts/{start_attempt(client, plain)}/submit")
    assert "dự đoán" not in html.lower()
    html = page(client, f"/contests/attempts/{start_attempt(client, other)}/submit")
    assert 'role="alert">Bạn chưa trả lời câu hỏi dự đoán.</p>' in html


def test_multiple_select_questions_use_checkboxes(client, app, auth):
    with app.app_context():
        import_bank_file("nhieu.csv", MULTIPLE_CSV, slug="nhieu", title="Nhiều lựa chọn")
        db.session.commit()
    (round_id,) = make_contest(app, "nhieu-lua-chon", [{"draw": [{"bank": "nhieu", "count": 1}]}])
    auth.login_as()
    attempt_id = start_attempt(client, round_id)
    html = page(client, f"/contests/attempts/{attempt_id}")
    assert 'type="checkbox"' in html and "Chọn một hoặc nhiều phương án." in html
    question, tokens = shown_question(html)
    answer(client, attempt_id, question, [tokens[3], tokens[0]], q="1", go="1")
    assert item(app, attempt_id, question).chosen == "0,3"
    answer(client, attempt_id, question, [], q="1", go="1")  # unticking everything clears it
    assert item(app, attempt_id, question).chosen is None


def test_an_option_from_elsewhere_is_refused_with_a_message(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    url = f"/contests/attempts/{attempt_id}"
    first, _ = shown_question(page(client, f"{url}?q=1"))
    _, other_tokens = shown_question(page(client, f"{url}?q=2"))
    refused = answer(client, attempt_id, first, [other_tokens[0]], q="1", go="2")
    assert refused.headers["Location"] == f"{url}?q=1"
    assert "Phương án không thuộc câu hỏi này." in page(client, f"{url}?q=1")
    assert item(app, attempt_id, first).chosen is None


def test_the_attempt_page_reveals_no_answer_key(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    html = page(client, f"/contests/attempts/{attempt_id}")
    assert_no_answer_key(app, attempt_id, html)
    data = data_block(html)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        expected = attempt_json(attempt)
        texts = dict(db.session.execute(select(Option.id, Option.text)).all())
        shown_order = {entry.question_id: [texts[option] for option in entry.option_ids] for entry in attempt.items}
    assert set(data) == set(expected) | {"csrf_token"}
    assert data["questions"] == expected["questions"]
    # The options come in this attempt's shuffled order, under this attempt's opaque ids.
    question, tokens = shown_question(html)
    with app.app_context():
        assert tokens == option_tokens(attempt_id, question, len(tokens))
    assert re.findall(r'name="option" value="[\w-]+"><span>(.*?)</span>', html) == shown_order[question]


def test_another_persons_attempt_is_not_found(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    question, tokens = shown_question(page(client, f"/contests/attempts/{attempt_id}"))
    auth.logout()
    auth.login_as()
    url = f"/contests/attempts/{attempt_id}"
    for path in (url, f"{url}?q=2", f"{url}/submit", f"{url}/result"):
        assert client.get(path).status_code == 404, path
    assert answer(client, attempt_id, question, [tokens[0]], q="1").status_code == 404
    assert client.post(f"{url}/submit", data={"csrf_token": csrf_token(client)}).status_code == 404
    assert item(app, attempt_id, question).chosen is None
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == "open"


def test_an_expired_attempt_shows_as_submitted_at_its_deadline(client, app, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    url = f"/contests/attempts/{attempt_id}"
    question, tokens = shown_question(page(client, url))
    answer(client, attempt_id, question, [tokens[1]], q="1", go="2")
    with app.app_context():
        deadline = db.session.get(Attempt, attempt_id).deadline
    clock(app, deadline + timedelta(seconds=30))

    late = answer(client, attempt_id, question, [tokens[0]], q="1", go="2")
    assert late.headers["Location"] == f"{url}/result"
    assert item(app, attempt_id, question).chosen == "1"
    assert client.get(url).headers["Location"] == f"{url}/result"
    html = page(client, f"{url}/result")
    assert "Lượt thi đã kết thúc; câu trả lời này không được ghi nhận." in html
    local = deadline.astimezone(HCM).strftime("%H:%M:%S %d/%m/%Y")
    assert f"Hết thời gian làm bài: bài được tự động nộp lúc {local}" in html
    assert "Số câu đã trả lời</dt><dd>1/20" in html and "20 phút" in html


@pytest.mark.parametrize("where", ["contest page", "confirmation"])
def test_an_attempt_past_its_time_is_closed_by_the_next_page_that_lists_it(client, app, auth, demo, where):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    question, tokens = shown_question(page(client, f"/contests/attempts/{attempt_id}"))
    answer(client, attempt_id, question, [tokens[1]], q="1", go="2")
    with app.app_context():
        deadline = db.session.get(Attempt, attempt_id).deadline
        slug = db.session.scalar(select(Contest.slug))
    confirmation = f"/contests/rounds/{demo['timed']}/start"
    # Within the grace after the deadline the attempt is still open: the pages resume it.
    clock(app, deadline + timedelta(seconds=4))
    assert "Làm tiếp lượt đang thi" in page(client, f"/contests/{slug}")
    assert client.get(confirmation).headers["Location"] == f"/contests/attempts/{attempt_id}"
    clock(app, deadline + timedelta(seconds=30))
    if where == "contest page":
        html = page(client, f"/contests/{slug}")
        assert "Làm tiếp lượt đang thi" not in html and "Bạn đã thi <strong>1/3</strong> lượt." in html
        assert f'href="/contests/attempts/{attempt_id}/result">xem kết quả' in html
    else:
        assert "lượt 2/3" in page(client, confirmation)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        right = int(item(app, attempt_id, question).correct_key == "1")
        assert (attempt.status, attempt.submitted_at, attempt.expired) == ("submitted", deadline, True)
        assert (attempt.correct_count, attempt.duration_ms) == (right, 20 * 60 * 1000)


def test_a_practice_round_is_untimed(client, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["practice"])
    html = page(client, f"/contests/attempts/{attempt_id}")
    assert "Không giới hạn thời gian" in html and "Câu 1/10" in html and "Hạn nộp" not in html
    client.post(f"/contests/attempts/{attempt_id}/submit", data={"csrf_token": csrf_token(client)})
    assert "<strong>thi thử</strong>" in page(client, f"/contests/attempts/{attempt_id}/result")


# --- the result, per review policy ----------------------------------------------------------


def finished_attempt(client, app, auth, review: str, **round_fields) -> tuple[int, str]:
    (round_id,) = make_contest(app, f"xem-{review.replace('_', '-')}", [{"review": review, **round_fields}])
    auth.login_as()
    attempt_id = start_attempt(client, round_id)
    url = f"/contests/attempts/{attempt_id}"
    question, tokens = shown_question(page(client, url))
    answer(client, attempt_id, question, [tokens[0]], q="1", go="2")
    client.post(f"{url}/submit", data={"csrf_token": csrf_token(client)})
    return attempt_id, f"{url}/result"


def test_after_submit_shows_the_score_and_the_review(client, app, auth):
    # A practice round that no competitive round shares a bank with: nothing holds its key.
    attempt_id, url = finished_attempt(client, app, auth, "after_submit", practice=True, time_limit_seconds=None)
    html = page(client, url)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        correct, explanations = attempt.correct_count, [entry.question.explanation for entry in attempt.items]
    assert re.search(rf'id="score">{correct}/3\s*<span class="score-words">', html)
    assert "Đáp án và giải thích" in html and html.count("Đáp án đúng") >= 3
    assert all(text in html for text in explanations if text)
    assert html.count("Bạn chọn") == 1 and html.count("Chưa trả lời") == 2


@pytest.mark.parametrize(("correct", "band", "words"), [
    (3, "all", "(100 %: đúng tất cả)"), (2, "half", "(67 %: đúng từ một nửa trở lên)"),
    (1, "low", "(33 %: đúng dưới một nửa)"), (0, "low", "(0 %: đúng dưới một nửa)"),
])
def test_the_score_is_coloured_and_worded_by_its_share(client, app, auth, correct, band, words):
    attempt_id, url = finished_attempt(client, app, auth, "score_only")
    with app.app_context():
        db.session.get(Attempt, attempt_id).correct_count = correct
        db.session.commit()
    html = page(client, url)
    assert f'<dd class="score score-{band}" id="score">{correct}/3' in html
    assert f'<span class="score-words">{words}</span>' in html


def test_score_only_shows_the_score_and_no_key(client, app, auth):
    attempt_id, url = finished_attempt(client, app, auth, "score_only")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.prediction = 12345
        correct = attempt.correct_count
        db.session.commit()
    html = page(client, url)
    assert 'id="score">' in html and "chỉ công bố số câu đúng, không công bố đáp án" in html
    assert f'id="score">{correct}/3' in html and "Số câu đã trả lời</dt><dd>1/3" in html
    assert "Dự đoán của bạn</dt><dd>12.345</dd>" in html
    assert_no_answer_key(app, attempt_id, html)
    assert "Đáp án đúng" not in html


def test_after_close_shows_nothing_until_the_round_closes(client, app, auth):
    attempt_id, url = finished_attempt(client, app, auth, "after_close")
    with app.app_context():
        closes = db.session.get(Attempt, attempt_id).round.closes_at
    html = page(client, url)
    local = closes.astimezone(HCM).strftime("%H:%M %d/%m/%Y")
    assert f"Số câu đúng và đáp án sẽ được công bố sau khi vòng thi kết thúc ({local})." in html
    assert 'id="score"' not in html and "Đáp án đúng" not in html
    assert_no_answer_key(app, attempt_id, html)

    clock(app, closes + timedelta(minutes=1))
    html = page(client, url)
    assert 'id="score">' in html and "Đáp án đúng" in html and "Thi lượt mới" not in html


# --- weight -----------------------------------------------------------------------------------


def fetched(client, urls: list[str]) -> list[bytes]:
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.get_data())
        response.close()
    return bodies


def gzipped_size(bodies: list[bytes], what: str) -> int:
    total = sum(len(gzip.compress(body, compresslevel=9)) for body in bodies)
    print(f"{what}: {total} bytes gzip-compressed")
    return total


def test_the_attempt_page_is_light_and_asks_no_other_host(client, auth, demo):
    auth.login_as()
    attempt_id = start_attempt(client, demo["timed"])
    html = page(client, f"/contests/attempts/{attempt_id}")
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    # Each carries its file's version (?v=…), so nginx may let phones cache it for a year.
    assert sorted(asset.split("?v=")[0] for asset in assets) == ["/static/attempt.js", "/static/style.css"]
    bodies = [html.encode(), *fetched(client, assets)]
    assert gzipped_size(bodies, "attempt page + CSS + JS") <= 30_000
    for body in bodies:
        for url in re.findall(rb"https?://[^\s\"'<>)]+", body):
            assert urlsplit(url.decode()).hostname in {"localhost", "127.0.0.1"}, url
    # The CSP allows no inline script or style: the only inline <script> is inert JSON data.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == ['<script type="application/json" id="attempt-data">']
    assert " style=" not in html


def test_the_offline_shell_is_within_the_page_budget(client):
    """What the service worker fetches once and keeps (sw.js, the offline page and its files),
    gzip-compressed, within the attempt page's 30 KB budget, and from this host only."""
    bodies = fetched(client, ["/sw.js", "/static/offline.html", "/static/style.css", "/static/offline.js"])
    assert gzipped_size(bodies, "service worker + offline page + CSS + JS") <= 30_000
    for body in bodies:
        assert not re.findall(rb"https?://", body)
