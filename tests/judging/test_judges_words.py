"""The judges' pages in people's words (issue 15 item 6): flag evidence as sentences, times in the
contest's zone said as "giờ Việt Nam" (never UTC, never the zone's code), durations and counts as
Vietnamese write them, and no decision button once the round's results are locked."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from quizapp.contests.models import Contest, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.judging.models import RoundResult
from quizapp.units.models import Unit
from tests.attempt_support import install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, Accounts, csrf_token
from tests.flag_support import judge_client, take
from tests.judging.test_locking import after_close

CODE = ("accounts_on_device", "median_seconds_per_answer", "floors", "m1vsxI", "UTC", "Asia/")


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


def a_flagged_round(app, tmp_path, contest: dict | None = None):
    """A round with a too-fast attempt and an honest one that shares a device with others."""
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "loi", questions=simple_questions("loi", 8), contest=contest)
    cheat, honest = sign_up(app, full_name="Người Nhanh"), sign_up(app, full_name="Người Thường")
    take(cheat, round_id, clock, seconds_per_answer=1)
    honest_attempt = take(honest, round_id, clock, seconds_per_answer=20)
    with app.app_context():
        db.session.get(Round, round_id).awards = [{"name": "Giải Nhất", "count": 1}]
        db.session.add(Flag(round_id=round_id, attempt_id=honest_attempt["id"], user_id=honest.user_id,
                            kind="shared_device", evidence={"accounts_on_device": 5, "device": "m1vsxI…"}))
        db.session.commit()
    return round_id, judge_client(app, round_id), honest


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_evidence_reads_as_sentences_and_durations_as_people_say_them(app, tmp_path):
    round_id, judge, _honest = a_flagged_round(app, tmp_path)

    html = page(judge, f"/judging/rounds/{round_id}")

    assert "Trả lời 8 câu (đúng 8 câu) trong 9 giây; trung bình 1 giây mỗi câu, dưới ngưỡng" in html
    assert re.search(r"5 tài khoản đã làm bài vòng này trên cùng một thiết bị \(thiết bị [0-9A-F]{4}\)\.", html)
    assert not [word for word in CODE if word in html]
    # 8 answers 20 s apart and a second to submit: 2 min 41 s, and the fast one's 9 s.
    assert "2 phút 41 giây" in html and "<td>9 giây</td>" in html
    assert html.count('name="decision"') == 4  # clear and disqualify, for each flagged attempt


def test_a_locked_round_offers_no_decision_and_says_since_when_in_vietnams_time(app, tmp_path):
    round_id, judge, honest = a_flagged_round(app, tmp_path)
    judge.post(f"/judging/attempts/{honest.log[0][3]['id']}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "clear"})
    after_close(app)
    locked = judge.post(f"/judging/rounds/{round_id}/lock", data={
        "csrf_token": csrf_token(judge), "confirm": "yes", "reason": "Hội đồng đã xem"}, follow_redirects=True)
    assert locked.status_code == 200
    with app.app_context():
        locked_at = db.session.scalar(select(RoundResult.locked_at).where(RoundResult.round_id == round_id))
    local = locked_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M %d/%m/%Y")
    since = f"đã khóa từ {local} (giờ Việt Nam)"

    review = page(judge, f"/judging/rounds/{round_id}")
    ranking = page(judge, f"/judging/rounds/{round_id}/ranking")
    confirm = page(judge, f"/judging/rounds/{round_id}/lock")

    for html in (review, ranking, confirm):
        assert since in html and not [word for word in CODE if word in html]
    # No decision, no scan, no award override, no lock: the services refuse them, the pages do not offer them.
    assert 'name="decision"' not in review and f"/judging/rounds/{round_id}/scan" not in review
    assert f"/judging/rounds/{round_id}/awards/override" not in ranking
    assert f'action="/judging/rounds/{round_id}/lock"' not in confirm
    assert "không ghi thêm hay sửa được nữa" in review
    # The evidence is still there to read, with the decisions taken before the lock and when.
    assert "trên cùng một thiết bị" in review
    assert re.search(r"\(đã bỏ qua lúc \d\d:\d\d \d\d/\d\d/\d{4}\)", review)
    # The ranking's submit time in the contest's zone without milliseconds, the duration in words.
    assert "Nộp bài (giờ Việt Nam)" in ranking and "2 phút 41 giây" in ranking
    assert re.search(r"<td>\d\d:\d\d:\d\d \d\d/\d\d/\d{4}</td>", ranking)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{3}", ranking)
    # And a decision sent anyway is refused.
    refused = judge.post(f"/judging/attempts/{honest.log[0][3]['id']}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "clear"}, follow_redirects=True)
    assert "Đã ghi quyết định" not in refused.get_data(as_text=True)


def test_a_contest_in_another_zone_names_the_zones_city(app, tmp_path):
    round_id, judge, _honest = a_flagged_round(app, tmp_path, contest={"timezone": "Asia/Bangkok"})
    with app.app_context():
        assert db.session.scalar(select(Contest.timezone)) == "Asia/Bangkok"
    after_close(app)
    judge.post(f"/judging/rounds/{round_id}/lock", data={
        "csrf_token": csrf_token(judge), "confirm": "yes", "reason": "Hội đồng đã xem"})

    html = page(judge, f"/judging/rounds/{round_id}")

    assert "(giờ Bangkok)" in html and "giờ Việt Nam" not in html and "Asia/" not in html


def test_the_lock_time_moves_with_the_zone_not_the_server():
    from quizapp.clock import labelled_time

    moment = datetime(2030, 5, 12, 20, 30, tzinfo=UTC)
    assert labelled_time(moment, "Asia/Ho_Chi_Minh") == "03:30 13/05/2030 (giờ Việt Nam)"
    assert labelled_time(moment, "Asia/Saigon") == "03:30 13/05/2030 (giờ Việt Nam)"
    assert labelled_time(moment, "America/New_York") == "16:30 12/05/2030 (giờ New York)"
    assert labelled_time(None, "Asia/Ho_Chi_Minh") == ""


def test_the_judges_decisions_read_as_sentences_in_the_audit_log(app, tmp_path):
    round_id, judge, honest = a_flagged_round(app, tmp_path)
    cheat_attempt = honest.log[0][3]["id"] - 1
    judge.post(f"/judging/attempts/{cheat_attempt}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "disqualify", "reason": "8 câu trong 9 giây"})
    judge.post(f"/judging/rounds/{round_id}/awards/override", data={
        "csrf_token": csrf_token(judge), "phone": honest.phone, "award": "Giải Nhất", "reason": "Hội đồng quyết"})
    after_close(app)
    judge.post(f"/judging/rounds/{round_id}/lock", data={
        "csrf_token": csrf_token(judge), "confirm": "yes", "reason": "Hội đồng đã xem"})
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")

    html = page(admin, "/admin/audit?kind=judging")

    assert "Loại lượt thi 1 của Người Nhanh (Cuộc thi loi, " in html and "8 câu trong 9 giây" in html
    assert "Điều chỉnh giải của Người Thường ở Cuộc thi loi, " in html and ": Giải Nhất." in html
    # One row: the disqualified attempt is out of the ranking.
    assert re.search(r"Khóa kết quả Cuộc thi loi, [^:<]+: 1 dòng\.", html) and "Hội đồng đã xem" in html
    assert "(Ban giám khảo, " in html and f'href="/judging/rounds/{round_id}#attempt-{cheat_attempt}"' in html
    assert not [word for word in ("attempt.disqualified", "award.overridden", "round.locked", "{") if word in html]


def test_counts_and_rates_are_written_the_vietnamese_way_on_the_judges_pages(app, tmp_path):
    from tests.judging.test_collective import setup_units

    round_id = setup_units(app, tmp_path)
    with app.app_context():
        db.session.execute(update(Unit).where(Unit.code == "X2").values(headcount=1393))
        db.session.commit()
    judge = judge_client(app, round_id)

    html = page(judge, f"/judging/rounds/{round_id}/collective?by=rate")

    assert '<td class="num">1.393</td>' in html and "1393" not in html
    rates = re.findall(r'<td class="num">([^<]*%)</td>', html)
    assert rates and all(re.fullmatch(r"\d+,\d\d %", rate) for rate in rates), rates
    assert not re.search(r"\d\.\d\d %", html)
    ranking = page(judge, f"/judging/rounds/{round_id}/ranking")
    durations = re.findall(r'<td class="num">([^<]*giây|[^<]*phút)</td>', ranking)
    assert durations and not [duration for duration in durations if "." in duration], durations


def test_no_staff_page_speaks_utc_zone_codes_or_json(app, tmp_path):
    round_id, judge, honest = a_flagged_round(app, tmp_path)
    after_close(app)
    judge.post(f"/judging/rounds/{round_id}/lock", data={
        "csrf_token": csrf_token(judge), "confirm": "yes", "reason": "Hội đồng đã xem"})
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    judges_pages = ["/judging/", f"/judging/rounds/{round_id}", f"/judging/rounds/{round_id}/ranking",
                    f"/judging/rounds/{round_id}/lock", f"/judging/rounds/{round_id}/collective",
                    "/judging/contests/loi/standings", "/contests/manage/loi/dashboard"]
    admin_pages = ["/admin/users", f"/admin/users/{honest.user_id}", "/admin/audit", "/admin/protection"]

    for client, paths in ((judge, judges_pages), (admin, admin_pages)):
        for path in paths:
            html = page(client, path)
            found = [word for word in ("UTC", "Asia/", "&#34;", "{&#39;", "isoformat") if word in html]
            assert not found, (path, found)
