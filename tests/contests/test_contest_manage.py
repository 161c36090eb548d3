"""Organiser pages for contests and rounds: create, edit, refuse what the banks cannot fill."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from quizapp.auth.passwords import verify_password as check_password
from quizapp.banks.models import Question
from quizapp.contests.forms import COUNTING_LABELS, REGISTRATION_LABELS, REVIEW_LABELS, TIE_BREAKER_LABELS, TRUTH_LABELS
from quizapp.contests.models import (
    COUNTING,
    REGISTRATION_FIELDS,
    REVIEWS,
    TIE_BREAKERS,
    TRUTHS,
    Attempt,
    Contest,
    Round,
)
from quizapp.extensions import db
from tests.conftest import csrf_token

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SLUG = "hcm-2024"


def _bank_csv() -> str:
    rows = ["Chủ đề,Câu hỏi,A,B,C,D,Đáp án"]
    rows += [f"Lịch sử,Câu lịch sử số {n}?,Một,Hai,Ba,Bốn,A" for n in range(1, 8)]
    rows += [f"Địa lý,Câu địa lý số {n}?,Một,Hai,Ba,Bốn,B" for n in range(1, 4)]
    return "\n".join(rows) + "\n"


@pytest.fixture
def bank(runner, tmp_path) -> str:
    """A bank "lich-su": 7 questions in topic "Lịch sử", 3 in "Địa lý"."""
    path = tmp_path / "lich-su.csv"
    path.write_text(_bank_csv(), encoding="utf-8")
    result = runner.invoke(args=["banks", "import", str(path)])
    assert result.exit_code == 0, result.output
    return "lich-su"


def round_form(prefix: str = "", *, draw=None, awards=None, tie_breakers=None, **fields) -> dict[str, str]:
    """What a browser posts for the round form: every row, blank ones included."""
    data = {
        "number": "1", "title": "Tuần 1", "opens_at": "2024-05-06T10:00", "closes_at": "2024-05-13T09:00",
        "time_limit": "20", "max_attempts": "3", "counting_attempt": "best", "review": "after_close",
        "prediction_prompt": "Có bao nhiêu người trả lời đúng tất cả?", "prediction_truth": "participants_all_correct",
        **fields,
    }
    draw = [("lich-su", "Lịch sử", "5"), ("lich-su", "Địa lý", "2")] if draw is None else draw
    awards = [("Giải Nhất", "1"), ("Giải Nhì", "2")] if awards is None else awards
    breakers = ["correct_desc", "prediction_error_asc", "duration_asc"] if tie_breakers is None else tie_breakers
    for index in range(8):
        bank, topic, count = draw[index] if index < len(draw) else ("", "", "")
        data.update({f"draw-{index}-bank": bank, f"draw-{index}-topic": topic, f"draw-{index}-count": count})
    for index in range(6):
        name, count = awards[index] if index < len(awards) else ("", "")
        data.update({f"awards-{index}-name": name, f"awards-{index}-count": count})
    for index in range(5):
        data[f"tie_breakers-{index}"] = breakers[index] if index < len(breakers) else ""
    pre = f"{prefix}-" if prefix else ""
    return {pre + key: value for key, value in data.items() if value is not None}


def contest_form(**fields) -> dict:
    return {"slug": SLUG, "title": "Tìm hiểu tư tưởng Hồ Chí Minh năm 2024",
            "description": "Thể lệ:\nMỗi tuần một vòng.", "registration_fields": ["birth_date", "unit_code"], **fields}


def post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def create_contest(client, **round_fields):
    response = post(client, "/contests/manage/new", {**contest_form(), **round_form("round", **round_fields)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def snapshot(app) -> list:
    """Every stored contest and round, column by column."""
    with app.app_context():
        return [db.session.execute(select(table).order_by(table.c.id)).all()
                for table in (Contest.__table__, Round.__table__)]


def stored_round(app, number: int = 1) -> Round:
    with app.app_context():
        round_ = db.session.scalar(select(Round).join(Contest).where(Contest.slug == SLUG, Round.number == number))
        db.session.expunge(round_)
        return round_


def error_next_to(html: str, field_id: str, message: str) -> bool:
    return re.search(rf'id="{re.escape(field_id)}-error">\s*{re.escape(message)}', html) is not None


def summary_links(html: str) -> list[tuple[str, str]]:
    """The error summary's items that link to a field: (field id, text)."""
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "no error summary"
    return [(target, unescape(text)) for target, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group(0))]


def visible_text(html: str) -> str:
    """What a reader sees: no tags, no attributes (ids and names keep the file's keys)."""
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


# --- creating and editing ----------------------------------------------------------------------


def test_organiser_creates_a_contest_and_its_rounds(client, app, auth, bank):
    auth.login_as("organiser")
    page = client.get("/contests/manage/new")
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)

    response = post(client, "/contests/manage/new", {
        **contest_form(one_award_per_person="y", password="mat-khau-1"), **round_form("round")})
    assert response.status_code == 302 and response.headers["Location"] == "/contests/manage/"

    with app.app_context():
        contest = db.session.scalar(select(Contest))
        assert (contest.slug, contest.title, contest.timezone) == (
            SLUG, "Tìm hiểu tư tưởng Hồ Chí Minh năm 2024", "Asia/Ho_Chi_Minh")
        assert contest.description == "Thể lệ:\nMỗi tuần một vòng."
        assert contest.registration_fields == ["birth_date", "unit_code"]
        assert contest.one_award_per_person is True
        assert check_password(contest.password_hash, "mat-khau-1")
        assert contest.owner.role == "organiser"
        [round_] = contest.rounds
        # Entered in Asia/Ho_Chi_Minh (UTC+7), stored as the same instant in UTC.
        assert round_.opens_at == datetime(2024, 5, 6, 3, 0, tzinfo=UTC) == datetime(2024, 5, 6, 10, 0, tzinfo=HCM)
        assert round_.closes_at == datetime(2024, 5, 13, 2, 0, tzinfo=UTC)
        assert (round_.number, round_.title, round_.time_limit_seconds, round_.max_attempts) == (1, "Tuần 1", 1200, 3)
        assert (round_.counting_attempt, round_.review, round_.practice) == ("best", "after_close", False)
        assert round_.draw == [{"bank": "lich-su", "topic": "Lịch sử", "count": 5},
                               {"bank": "lich-su", "topic": "Địa lý", "count": 2}]
        assert (round_.prediction_prompt, round_.prediction_truth, round_.prediction_locked) == (
            "Có bao nhiêu người trả lời đúng tất cả?", "participants_all_correct", False)
        assert round_.tie_breakers == ["correct_desc", "prediction_error_asc", "duration_asc"]
        assert round_.awards == [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}]

    # A second round: an untimed practice round drawing from the whole bank, unlimited attempts.
    assert client.get(f"/contests/manage/{SLUG}/rounds/new").status_code == 200
    response = post(client, f"/contests/manage/{SLUG}/rounds/new", round_form(
        number="2", title="Thi thử", time_limit="", max_attempts="", practice="y", review="after_submit",
        prediction_prompt="", draw=[("lich-su", "", "10")], awards=[], tie_breakers=["correct_desc"],
        counting_attempt="last"))
    assert response.status_code == 302, response.get_data(as_text=True)
    practice = stored_round(app, 2)
    assert (practice.time_limit_seconds, practice.max_attempts, practice.practice) == (None, None, True)
    assert practice.draw == [{"bank": "lich-su", "count": 10}]
    assert (practice.prediction_prompt, practice.awards, practice.counting_attempt) == (None, [], "last")

    listing = client.get("/contests/manage/").get_data(as_text=True)
    assert "06/05/2024 10:00" in listing and "13/05/2024 09:00" in listing
    assert "Thi thử" in listing and "Ngày sinh, Đơn vị" in listing


def test_edit_form_shows_times_as_entered_and_saves_changes(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client, opens_at="2024-05-06T10:00", closes_at="2024-05-13T09:00")
    before = stored_round(app)

    html = client.get(f"/contests/manage/{SLUG}/rounds/1/edit").get_data(as_text=True)
    assert 'value="2024-05-06T10:00"' in html and 'value="2024-05-13T09:00"' in html
    assert 'type="datetime-local"' in html
    assert 'name="time_limit"' in html and 'value="20"' in html
    assert 'value="Lịch sử"' in html and 'value="Giải Nhì"' in html
    # The topic box suggests the topics of the row's bank (a datalist: no script needed).
    datalist = re.search(r'id="draw-0-topic" list="(topics-\d+)"', html).group(1)
    assert datalist in re.findall(r'<datalist id="([^"]+)"', html)

    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(
        title="Tuần 1 (sửa)", opens_at="2024-05-20T08:30", closes_at="2024-05-26T23:59", time_limit="1,5",
        max_attempts="", review="score_only", prediction_locked="y",
        draw=[("lich-su", "", "4")], awards=[("Giải Nhất", "1"), ("Giải Ba", "3")]))
    assert response.status_code == 302, response.get_data(as_text=True)

    after = stored_round(app)
    assert after.id == before.id
    assert after.opens_at == datetime(2024, 5, 20, 1, 30, tzinfo=UTC)
    assert after.closes_at == datetime(2024, 5, 26, 16, 59, tzinfo=UTC)
    assert (after.title, after.time_limit_seconds, after.max_attempts, after.review) == (
        "Tuần 1 (sửa)", 90, None, "score_only")
    assert after.prediction_locked is True
    assert after.draw == [{"bank": "lich-su", "count": 4}]
    assert after.awards == [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Ba", "count": 3}]

    html = client.get(f"/contests/manage/{SLUG}/rounds/1/edit").get_data(as_text=True)
    assert 'value="2024-05-20T08:30"' in html and 'value="2024-05-26T23:59"' in html
    assert 'value="1.5"' in html


def test_a_round_can_be_renumbered_and_keeps_its_id(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    before = stored_round(app)
    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(number="3"))
    assert response.status_code == 302
    assert stored_round(app, 3).id == before.id
    assert client.get(f"/contests/manage/{SLUG}/rounds/1/edit").status_code == 404


def test_edit_contest_settings_and_password(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    path = f"/contests/manage/{SLUG}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'name="slug"' not in html and "Tìm hiểu tư tưởng Hồ Chí Minh năm 2024" in html

    def contest() -> Contest:
        with app.app_context():
            return db.session.scalar(select(Contest))

    def verify_password(stored_hash, password) -> bool:
        with app.app_context():
            return check_password(stored_hash, password)

    edit = {"title": "Cuộc thi đã đổi tên", "description": "", "registration_fields": ["gender", "id_number"]}
    assert post(client, path, {**edit, "password": "mk-dau-tien"}).status_code == 302
    first = contest()
    assert (first.title, first.description, first.registration_fields, first.slug) == (
        "Cuộc thi đã đổi tên", None, ["gender", "id_number"], SLUG)
    assert verify_password(first.password_hash, "mk-dau-tien")

    assert post(client, path, edit).status_code == 302  # empty password: unchanged
    assert contest().password_hash == first.password_hash
    assert post(client, path, {**edit, "password": "mk-thu-hai"}).status_code == 302
    assert verify_password(contest().password_hash, "mk-thu-hai")

    both = post(client, path, {**edit, "password": "mk-thu-ba", "remove_password": "y"})
    assert both.status_code == 422 and error_next_to(both.get_data(as_text=True), "remove_password",
                                                     "Hoặc đặt mật khẩu mới, hoặc bỏ mật khẩu")
    short = post(client, path, {**edit, "password": "abc"})
    assert short.status_code == 422
    assert error_next_to(short.get_data(as_text=True), "password", "Mật khẩu cuộc thi cần ít nhất 4 ký tự.")
    assert verify_password(contest().password_hash, "mk-thu-hai")

    assert post(client, path, {**edit, "remove_password": "y"}).status_code == 302
    assert contest().password_hash is None


# --- refusing ----------------------------------------------------------------------------------


def test_a_draw_the_topic_cannot_fill_is_refused_next_to_its_row(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    before = snapshot(app)

    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(
        title="Không được lưu", draw=[("lich-su", "Địa lý", "1"), ("lich-su", "Lịch sử", "10")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(html, "draw-1-count", "Chủ đề Lịch sử: cần 10 câu, chỉ có 7 câu đang dùng.")
    assert 'aria-describedby="draw-1-count-error"' in html
    assert "draw-0-count-error" not in html
    assert snapshot(app) == before

    # The same blueprint in a new contest creates nothing at all.
    response = post(client, "/contests/manage/new", {
        **contest_form(slug="khac"), **round_form("round", draw=[("lich-su", "Lịch sử", "10")])})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "round-draw-0-count",
                         "Chủ đề Lịch sử: cần 10 câu, chỉ có 7 câu đang dùng.")
    assert snapshot(app) == before


def test_every_error_is_shown_next_to_its_field_and_nothing_is_saved(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    before = snapshot(app)
    response = post(client, f"/contests/manage/{SLUG}/rounds/new", round_form(
        number="2", title="", opens_at="", closes_at="2024-05-20T09:00", time_limit="",
        prediction_prompt="", awards=[("Giải Nhất", "1"), ("Giải Nhì", "")],
        draw=[("lich-su", "Không có", "1"), ("", "", "3")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(html, "title", "Nhập tên vòng thi.")
    assert error_next_to(html, "opens_at", "Nhập thời điểm mở vòng thi, ví dụ 06/05/2024 10:00.")
    assert error_next_to(html, "time_limit", "Nhập thời gian làm bài (phút). Chỉ vòng thi thử mới được để trống.")
    assert error_next_to(html, "awards-1-count", "Nhập số giải, từ 1 trở lên.")
    assert error_next_to(html, "draw-0-topic", "Ngân hàng lich-su không có chủ đề “Không có”.")
    assert error_next_to(html, "draw-1-bank", "Chọn ngân hàng câu hỏi.")
    assert "Tiêu chí “Sai số dự đoán” cần câu hỏi dự đoán" in html
    assert "Chưa có thay đổi nào được lưu" in html
    # The form speaks the organiser's words, not the file's keys and types.
    for code in ("opens_at", "practice", "prediction_error_asc", "chuỗi ký tự", "null", "(bắt buộc)"):
        assert code not in visible_text(html), code
    assert snapshot(app) == before


def test_the_error_summary_links_each_error_to_its_field(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    response = post(client, f"/contests/manage/{SLUG}/rounds/new", round_form(
        number="2", opens_at="2024-05-20T10:00", closes_at="2024-05-20T09:00", prediction_prompt="",
        awards=[("Giải Nhất", "1"), ("Giải Nhì", "")]))
    html = response.get_data(as_text=True)

    assert summary_links(html) == [
        ("closes_at", "Đóng lúc: Thời điểm đóng phải sau thời điểm mở."),
        ("tie_breakers-0", "Xếp hạng khi bằng nhau: Tiêu chí “Sai số dự đoán” cần câu hỏi dự đoán: "
                           "nhập câu hỏi dự đoán, hoặc bỏ tiêu chí này."),
        ("awards-1-count", "Giải thưởng, dòng 2: Nhập số giải, từ 1 trở lên."),
    ]
    # Every link leads to a field on the page, and the summary is what the focus lands on first.
    for target, _text in summary_links(html):
        assert f'id="{target}"' in html
    assert re.search(r'<div class="error-summary" role="alert"[^>]*tabindex="-1"', html)
    assert "/static/error-summary.js" in html


def test_the_new_contest_summary_links_into_both_forms(client, auth, bank):
    auth.login_as("organiser")
    response = post(client, "/contests/manage/new", {
        **contest_form(title="  "), **round_form("round", time_limit="0")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_links(html) == [
        ("title", "Nhập tên cuộc thi."),
        ("round-time_limit", "Thời gian làm bài (phút): Thời gian làm bài phải lớn hơn 0 phút."),
    ]


def test_a_contest_edit_is_refused_while_a_stored_round_cannot_be_drawn(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)  # round 1 draws 5 from "Lịch sử", which has 7
    with app.app_context():
        db.session.execute(update(Question).where(Question.text.in_(
            [f"Câu lịch sử số {n}?" for n in (1, 2, 3)])).values(is_active=False))
        db.session.commit()
    before = snapshot(app)
    response = post(client, f"/contests/manage/{SLUG}/edit", {"title": "Tên mới"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vòng 1 (Tuần 1): Chủ đề Lịch sử: cần 5 câu, chỉ có 4 câu đang dùng." in html
    assert f'href="/contests/manage/{SLUG}/rounds/1/edit">sửa vòng này' in html
    assert snapshot(app) == before


def test_a_taken_slug_or_round_number_is_refused(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    before = snapshot(app)
    response = post(client, "/contests/manage/new", {**contest_form(title="Trùng mã"), **round_form("round")})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "slug", f"Mã {SLUG} đã có cuộc thi khác dùng")

    response = post(client, f"/contests/manage/{SLUG}/rounds/new", round_form(number="1", title="Đè vòng 1"))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "number", "Cuộc thi đã có vòng 1")
    assert snapshot(app) == before


def test_bad_input_is_refused_before_the_validator(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    before = snapshot(app)
    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(
        opens_at="thứ hai", max_attempts="ba", time_limit="NaN", counting_attempt="most"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(html, "opens_at", "Thời điểm không hợp lệ")
    assert error_next_to(html, "max_attempts", "Vui lòng nhập một số nguyên.")
    assert error_next_to(html, "time_limit", "Vui lòng nhập số phút")
    assert error_next_to(html, "counting_attempt", "Lựa chọn không hợp lệ.")
    assert snapshot(app) == before


def test_an_unknown_bank_is_reported_next_to_its_row(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(draw=[("khong-co", "", "1")]))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "draw-0-bank", "Không có ngân hàng câu hỏi mã “khong-co”.")


def test_a_shortfall_after_an_invalid_row_is_shown_on_its_own_row(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(
        draw=[("", "", "3"), ("lich-su", "Lịch sử", "10")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and error_next_to(html, "draw-0-bank", "Chọn ngân hàng câu hỏi.")
    assert error_next_to(html, "draw-1-count", "Chủ đề Lịch sử: cần 10 câu, chỉ có 7 câu đang dùng.")


def test_a_form_without_csrf_token_is_refused(client, app, auth, bank):
    auth.login_as("organiser")
    response = client.post("/contests/manage/new", data={**contest_form(), **round_form("round")})
    assert response.status_code == 400
    assert snapshot(app) == [[], []]


# --- who may ---------------------------------------------------------------------------------


MANAGE_PAGES = [
    "/contests/manage/",
    "/contests/manage/new",
    f"/contests/manage/{SLUG}/edit",
    f"/contests/manage/{SLUG}/rounds/new",
    f"/contests/manage/{SLUG}/rounds/1/edit",
]


@pytest.mark.parametrize("role", ["taker", "judge"])
def test_takers_and_judges_get_403_on_every_manage_page(client, app, auth, bank, role):
    auth.login_as("organiser")
    create_contest(client)
    auth.logout()
    before = snapshot(app)
    auth.login_as(role)
    for path in MANAGE_PAGES:
        assert client.get(path).status_code == 403, path
        if path != "/contests/manage/":
            data = {**contest_form(), **round_form(), **round_form("round")}
            assert post(client, path, data).status_code == 403, path
    assert snapshot(app) == before


def test_anonymous_visitors_are_sent_to_login(client):
    for path in MANAGE_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), path


def test_admins_may_manage_contests(client, auth, bank):
    auth.login_as("admin")
    assert client.get("/contests/manage/").status_code == 200
    create_contest(client)
    assert client.get(f"/contests/manage/{SLUG}/rounds/1/edit").status_code == 200


def test_unknown_contest_or_round_is_404(client, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    assert client.get("/contests/manage/khong-co/edit").status_code == 404
    assert client.get(f"/contests/manage/{SLUG}/rounds/9/edit").status_code == 404


# --- the list --------------------------------------------------------------------------------


def test_list_shows_round_state_and_attempts_started(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    post(client, f"/contests/manage/{SLUG}/rounds/new", round_form(
        number="2", title="Tuần 2", opens_at="2024-05-13T10:00", closes_at="2024-05-20T09:00"))
    takers = [auth.create("taker"), auth.create("taker")]
    round_ = stored_round(app)
    with app.app_context():
        for user_id in takers:
            db.session.add(Attempt(round_id=round_.id, user_id=user_id, number=1, max_attempts=3, status="submitted",
                                   started_at=datetime(2024, 5, 8, 2, 0, tzinfo=UTC), question_count=7))
        db.session.commit()
    app.extensions["quizapp.clock"] = lambda: datetime(2024, 5, 8, 12, 0, tzinfo=UTC)

    html = client.get("/contests/manage/").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d+)</td>.*?</tr>", html, re.S)
    assert rows == ["1", "2"]
    first, second = re.findall(r"<tr>\s*<td class=\"num\">\d+</td>(.*?)</tr>", html, re.S)
    assert "Đang mở" in first and re.search(r'<td class="num">2</td>', first)
    assert "Chưa mở" in second and re.search(r'<td class="num">0</td>', second)
    assert "13/05/2024 10:00" in second and "20/05/2024 09:00" in second


def test_a_new_round_starts_as_a_copy_of_the_last_one_a_week_later(client, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    html = client.get(f"/contests/manage/{SLUG}/rounds/new").get_data(as_text=True)
    assert 'value="2024-05-13T10:00"' in html and 'value="2024-05-20T09:00"' in html
    assert re.search(r'name="number"[^>]*value="2"', html)


def test_every_choice_has_a_vietnamese_label():
    for labels, keys in ((REGISTRATION_LABELS, REGISTRATION_FIELDS), (COUNTING_LABELS, COUNTING),
                         (REVIEW_LABELS, REVIEWS), (TRUTH_LABELS, TRUTHS), (TIE_BREAKER_LABELS, TIE_BREAKERS)):
        assert set(labels) == set(keys)


# --- warnings after saving (DESIGN §3 rule 2) -------------------------------------------------


def flashed_warnings(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", text) for text in re.findall(r'class="flash flash-warning"[^>]*>(.*?)</p>', html, re.S)]


def test_a_round_that_shows_the_key_at_submit_is_saved_and_the_organiser_is_warned(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    assert flashed_warnings(client.get("/contests/manage/").get_data(as_text=True)) == []

    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(review="after_submit"))
    assert response.status_code == 302, response.get_data(as_text=True)
    (warning,) = flashed_warnings(client.get(response.headers["Location"]).get_data(as_text=True))

    assert stored_round(app).review == "after_submit"
    assert warning.startswith("Cảnh báo — Vòng 1 (Tuần 1): Xem đáp án ngay sau khi nộp cho người thi thấy đáp án")
    assert "after_submit" not in warning and "score_only" not in warning
    assert "người khác vẫn đang làm bài" in warning and "mỗi người được thi 3 lượt" in warning
    assert "giữ kín đáp án cho đến khi không còn vòng thi nào có thể rút câu hỏi đó" in warning


def test_a_new_contest_whose_first_round_shows_the_key_at_submit_is_warned_about(client, auth, bank):
    auth.login_as("organiser")
    response = create_contest(client, review="after_submit", max_attempts="1")
    (warning,) = flashed_warnings(client.get(response.headers["Location"]).get_data(as_text=True))
    assert warning.startswith("Cảnh báo — Vòng 1 (Tuần 1):") and "lượt sau" not in warning


def test_a_criterion_chosen_twice_is_refused_in_words(client, app, auth, bank):
    auth.login_as("organiser")
    create_contest(client)
    response = post(client, f"/contests/manage/{SLUG}/rounds/1/edit", round_form(
        tie_breakers=["correct_desc", "duration_asc", "correct_desc"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("tie_breakers-0", "Xếp hạng khi bằng nhau: Mỗi tiêu chí chỉ chọn một lần.") in summary_links(html)
