""""Dữ liệu của tôi" (quizapp/privacy/): what a person sees of what is kept about them, as the API,
the page and the download, and that nobody sees another person's."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import event, insert, select

from quizapp.auth.models import User
from quizapp.auth.services import update_account
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.judging.locking import lock_round
from quizapp.judging.services import decide
from quizapp.privacy.consent_lookup import consents_of
from quizapp.privacy.mydata import snapshot_rows_of
from quizapp.privacy.notice import VERSION
from tests.attempt_support import (
    API,
    CLOSES,
    OPENS,
    answer_key,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.conftest import Accounts

CCCD = "001090123445"
AFTER_CLOSE = CLOSES + timedelta(minutes=5)


def _answer_all(taker, attempt: dict, app) -> int:
    """Answer every question correctly but the first; submit; the number right."""
    key = answer_key(app, attempt)
    for index, question in enumerate(attempt["questions"]):
        wrong = [option["id"] for option in question["options"] if option["id"] not in key[question["id"]]][:1]
        chosen = wrong if index == 0 else sorted(key[question["id"]])
        assert taker.save(attempt["id"], question["id"], chosen).status_code == 200
    assert taker.submit(attempt["id"]).status_code == 200
    return len(attempt["questions"]) - 1


def _two_rounds(app, tmp_path, **contest) -> tuple[int, int]:
    """A contest whose round 1 shows the score at submit and round 2 only after its close."""
    import_bank(app, tmp_path, "rieng", simple_questions("rieng", 4))
    first = {**round_definition(1, bank="rieng", count=4, review="after_submit"),
             "awards": [{"name": "Giải Nhất", "count": 1}]}
    second = round_definition(2, bank="rieng", count=4, review="after_close")
    return tuple(load_contest(app, tmp_path, "rieng-tu", [first, second], **contest))


def _mine(taker) -> dict:
    response = taker.call("GET", "/me/data")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_the_api_shows_the_profile_with_the_cccd_and_scores_only_when_the_round_allows(app, tmp_path):
    clock = install_clock(app)
    shown_now, after_close = _two_rounds(app, tmp_path)
    taker = sign_up(app, full_name="Trần Thị Riêng", id_number=CCCD, birth_date=date(1995, 3, 4), gender="female")
    scores = {}
    for round_id in (shown_now, after_close):
        scores[round_id] = _answer_all(taker, taker.started(round_id), app, )
    data = _mine(taker)
    profile = data["profile"]
    assert (profile["full_name"], profile["phone"], profile["id_number"]) == ("Trần Thị Riêng", taker.phone, CCCD)
    assert (profile["birth_date"], profile["gender"]) == ("1995-03-04", "female")
    assert [(consent["version"], consent["how"]) for consent in data["consents"]] == [(VERSION, "paper")]
    attempts = {item["round_id"]: item for item in data["attempts"]}
    assert set(attempts) == {shown_now, after_close}
    assert attempts[shown_now]["correct_count"] == scores[shown_now] == 3
    assert attempts[shown_now]["score_visible"] is True
    # after_close: nothing of the score until the round has closed.
    assert attempts[after_close]["correct_count"] is None and attempts[after_close]["score_visible"] is False
    for item in attempts.values():
        assert item["contest"] == "Cuộc thi rieng-tu" and item["status"] == "submitted"
        # ISO 8601 with the offset: the API's times are UTC.
        assert datetime.fromisoformat(item["started_at"]).utcoffset() == timedelta(0)
        assert datetime.fromisoformat(item["submitted_at"]) >= datetime.fromisoformat(item["started_at"])
    assert [item["current"] for item in data["sessions"]] == [True]

    clock.set(AFTER_CLOSE)
    later = {item["round_id"]: item for item in _mine(taker)["attempts"]}
    assert later[after_close]["correct_count"] == scores[after_close] == 3
    assert later[after_close]["score_visible"] is True


def test_an_open_attempt_shows_no_score(app, tmp_path):
    install_clock(app)
    shown_now, _ = _two_rounds(app, tmp_path)
    taker = sign_up(app)
    taker.started(shown_now)
    (item,) = _mine(taker)["attempts"]
    assert (item["status"], item["correct_count"], item["submitted_at"]) == ("open", None, None)


def test_nobody_sees_anothers_data_and_strangers_see_nothing(app, tmp_path):
    install_clock(app)
    shown_now, _ = _two_rounds(app, tmp_path)
    mine = sign_up(app, full_name="Lê Văn Một", id_number="001090000001")
    other = sign_up(app, full_name="Phạm Thị Hai", id_number="079190000002")
    _answer_all(mine, mine.started(shown_now), app)
    theirs = other.started(shown_now)
    data = _mine(mine)
    whole = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["id"] == mine.user_id
    assert [item["id"] for item in data["attempts"]] != [theirs["id"]]
    assert theirs["id"] not in [item["id"] for item in data["attempts"]]
    for secret in ("Phạm Thị Hai", "079190000002", other.phone):
        assert secret not in whole
    page = mine.client.get("/me/data").get_data(as_text=True)
    download = mine.client.get("/me/data.json").get_data(as_text=True)
    for body in (page, download):
        assert "001090000001" in body
        for secret in ("Phạm Thị Hai", "079190000002", other.phone):
            assert secret not in body
    # No URL takes an id: a query string naming the other account changes nothing.
    assert mine.call("GET", f"/me/data?user_id={other.user_id}").get_json() == data

    stranger = app.test_client()
    refused = stranger.get(f"{API}/me/data")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "login_required"
    assert refused.headers["Cache-Control"] == "no-store"
    for url in ("/me/data", "/me/data.json"):
        response = stranger.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_download_is_the_same_data_as_an_attachment_named_with_the_vietnam_date(app, tmp_path):
    # 18:30 UTC on 6 May is already 7 May in Vietnam.
    clock = install_clock(app, OPENS + timedelta(hours=15, minutes=30))
    shown_now, _ = _two_rounds(app, tmp_path)
    taker = sign_up(app, id_number=CCCD)
    _answer_all(taker, taker.started(shown_now), app)
    response = taker.client.get("/me/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="du-lieu-cua-toi-2030-05-07.json"'
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.get_data(as_text=True)) == _mine(taker)
    clock.set(datetime(2030, 5, 6, 16, 59, tzinfo=UTC))
    assert "du-lieu-cua-toi-2030-05-06.json" in taker.client.get("/me/data.json").headers["Content-Disposition"]


def test_the_page_shows_times_in_vietnam_and_links_corrections_and_the_download(app, auth, tmp_path):
    install_clock(app, datetime(2030, 5, 6, 17, 30, tzinfo=UTC))
    shown_now, after_close = _two_rounds(app, tmp_path)
    taker = sign_up(app, full_name="Đỗ Thị Trang", id_number=CCCD, birth_date=date(1995, 3, 4))
    _answer_all(taker, taker.started(shown_now), app)
    _answer_all(taker, taker.started(after_close), app)
    response = taker.client.get("/me/data")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Dữ liệu của tôi" in page and CCCD in page and "Đỗ Thị Trang" in page and "04/03/1995" in page
    # Started at 17:30 UTC: 00:30 on 7 May in Vietnam.
    assert "00:30 07/05/2030" in page and "17:30" not in page
    assert 'href="/auth/profile"' in page and 'href="/me/data.json"' in page
    assert "3/4" in page  # the round that shows its score
    assert "Chưa được xem (theo quy định của vòng thi)" in page  # the after_close round
    profile = taker.client.get("/auth/profile").get_data(as_text=True)
    assert profile.count('href="/me/data"') == 2  # the header's account links and the profile's own


def test_a_locked_rounds_rank_and_award_come_from_the_snapshot(app, tmp_path):
    clock = install_clock(app)
    shown_now, after_close = _two_rounds(app, tmp_path)
    winner, runner_up = sign_up(app), sign_up(app)
    attempt = winner.started(shown_now)
    _answer_all(winner, attempt, app)
    runner_up.started(shown_now)  # expires unanswered: ranked below
    before = _mine(winner)
    assert before["awards"] == [] and before["attempts"][0]["rank"] is None
    clock.set(AFTER_CLOSE)
    with app.app_context():
        lock_round(db.session.get(Round, shown_now), None, reason="Kiểm thử")
        db.session.commit()
    data = _mine(winner)
    (award,) = data["awards"]
    assert (award["award"], award["rank"], award["attempt_id"], award["round_id"]) == ("Giải Nhất", 1, attempt["id"],
                                                                                       shown_now)
    assert data["attempts"][0]["rank"] == 1
    other = _mine(runner_up)
    assert other["awards"] == [] and other["attempts"][0]["rank"] == 2
    assert "Giải Nhất" in winner.client.get("/me/data").get_data(as_text=True)


def test_snapshot_rows_are_found_by_their_attempt_id_only():
    header = ",".join(["h"] * 12)
    rows = [f"1,An,0912000001,Đơn vị,4,,,10.5,07:00 07/05/2030,Giải Nhất,1,{7}",
            f"2,\"Bình, 17\",0912000002,,3,,,11.0,07:01 07/05/2030,,2,{17}",
            f"3,Chi,0912000003,,2,,,12.0,07:02 07/05/2030,,1,{117}"]
    canonical = "\r\n".join([header, *rows, ""]).encode()
    found = snapshot_rows_of(canonical, [17, 117, 5])
    assert set(found) == {17, 117}
    assert found[17][1] == "Bình, 17" and found[117][0] == "3"
    assert snapshot_rows_of(canonical, [7])[7][9] == "Giải Nhất"


def test_flags_are_listed_with_kind_and_decision_but_not_their_evidence(app, tmp_path):
    install_clock(app)
    shown_now, _ = _two_rounds(app, tmp_path)
    taker, twin = sign_up(app), sign_up(app)
    attempt = taker.started(shown_now)
    with app.app_context():
        db.session.add(Flag(round_id=shown_now, attempt_id=attempt["id"], user_id=taker.user_id, kind="shared_device",
                            evidence={"others": [{"phone": twin.phone, "attempt_id": 999}],
                                      "device": "thiet-bi-bi-mat"}))
        db.session.commit()
    data = _mine(taker)
    (flag,) = data["flags"]
    assert (flag["kind"], flag["decision"], flag["attempt_id"]) == ("shared_device", None, attempt["id"])
    assert flag["label"] == "Nhiều tài khoản trên một thiết bị"
    whole = json.dumps(data) + taker.client.get("/me/data").get_data(as_text=True)
    assert twin.phone not in whole and "thiet-bi-bi-mat" not in whole
    assert "Chưa xem xét" in taker.client.get("/me/data").get_data(as_text=True)
    assert _mine(twin)["flags"] == []


def test_audit_events_about_the_person_say_what_changed_and_when_but_not_who_on_staff(app, tmp_path):
    install_clock(app)
    taker, other = sign_up(app, full_name="Tên Cũ"), sign_up(app, full_name="Người Khác")
    admin_phone = "0933000111"
    Accounts(app, app.test_client()).create("admin", admin_phone)
    with app.app_context():
        for user_id, name in ((taker.user_id, "Tên Mới"), (other.user_id, "Người Khác Nữa")):
            user = db.session.get(User, user_id)
            update_account(user, full_name=name, phone=user.phone, unit_code=None)
        db.session.commit()
    events = _mine(taker)["audit_events"]
    (edit,) = [item for item in events if item["action"] == "user.updated"]
    assert edit["before"] == {"full_name": "Tên Cũ"} and edit["after"] == {"full_name": "Tên Mới"}
    assert edit["by"] == "system" and edit["label"] == "Sửa thông tin cá nhân"
    assert datetime.fromisoformat(edit["at"]).utcoffset() == timedelta(0)
    assert "Người Khác" not in json.dumps(events, ensure_ascii=False)
    assert admin_phone not in json.dumps(events)
    page = taker.client.get("/me/data").get_data(as_text=True)
    assert "Sửa thông tin cá nhân" in page and "Họ và tên: Tên Cũ → Tên Mới" in page


def test_a_judges_decision_on_an_attempt_shows_the_outcome_not_the_reason(app, tmp_path):
    clock = install_clock(app)
    shown_now, _ = _two_rounds(app, tmp_path)
    taker = sign_up(app)
    attempt = taker.started(shown_now)
    _answer_all(taker, attempt, app)
    clock.set(AFTER_CLOSE)
    judge_id = Accounts(app, app.test_client()).create("judge")
    # As on the judges' page: the judge is the signed-in user of the request.
    with app.test_request_context("/judging/"):
        db.session.add(Flag(round_id=shown_now, attempt_id=attempt["id"], user_id=taker.user_id, kind="too_fast",
                            evidence={"seconds": 3}))
        judge = g._login_user = db.session.get(User, judge_id)
        decide(attempt["id"], "disqualify", "Lý do nội bộ của giám khảo", judge)
        db.session.commit()
    data = _mine(taker)
    (decision,) = [item for item in data["audit_events"] if item["action"] == "attempt.disqualified"]
    assert decision["after"] == {"disqualified": True} and decision["by"] == "staff"
    assert data["attempts"][0]["disqualified"] is True and data["flags"][0]["decision"] == "disqualified"
    assert "Lý do nội bộ" not in json.dumps(data, ensure_ascii=False)
    page = taker.client.get("/me/data").get_data(as_text=True)
    assert "Ban giám khảo loại lượt thi" in page and "Bị loại: không → có" in page and "Lý do nội bộ" not in page


def test_the_consents_given_are_listed_with_how_and_the_guardian(app, tmp_path):
    from quizapp.privacy.models import Consent
    from quizapp.privacy.notice import VERSION

    taker = sign_up(app)
    with app.app_context():
        given = [(row.version, row.how) for row in db.session.scalars(
            select(Consent).where(Consent.user_id == taker.user_id))]
        db.session.add(Consent(user_id=taker.user_id, version="2026-01", how="web", guardian_name="Trần Văn Bố",
                               guardian_phone="0912000111", guardian_consent=True,
                               given_at=datetime(2030, 5, 6, 3, 0, tzinfo=UTC)))
        db.session.commit()
    assert [version for version, _how in given] == [VERSION]
    consents = _mine(taker)["consents"]
    assert [(consent["version"], consent["how"]) for consent in consents][:1] == given
    assert consents[-1] == {"version": "2026-01", "given_at": "2030-05-06T03:00:00+00:00", "how": "web",
                            "guardian_name": "Trần Văn Bố", "guardian_phone": "0912000111"}
    assert "Trần Văn Bố" in taker.client.get("/me/data").get_data(as_text=True)
    with app.app_context():
        assert len(consents_of(taker.user_id)) == 2


@pytest.mark.parametrize("count", [5, 500])
def test_many_attempts_cost_a_few_queries_not_one_each(app, tmp_path, count):
    install_clock(app)
    first, second = _two_rounds(app, tmp_path)
    extra = load_contest(app, tmp_path, "nhieu", [round_definition(number, bank="rieng", count=4, max_attempts=None)
                                                  for number in range(1, 6)])
    taker = sign_up(app)
    rng = random.Random(3)
    rounds = [first, second, *extra]
    with app.app_context():
        db.session.execute(insert(Attempt), [
            {"round_id": rounds[index % len(rounds)], "user_id": taker.user_id, "number": index // len(rounds) + 1,
             "max_attempts": None, "status": "submitted", "started_at": OPENS + timedelta(minutes=index),
             "deadline": OPENS + timedelta(minutes=index + 10), "submitted_at": OPENS + timedelta(minutes=index + 4),
             "expired": False, "question_count": 4, "correct_count": rng.randrange(5), "duration_ms": 60_000,
             "prediction": None, "disqualified": False}
            for index in range(count)])
        db.session.commit()
    statements = []

    def counted(*_args) -> None:
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        data = _mine(taker)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert len(data["attempts"]) == count
    # The session and account, then one read per kind of data: no read per attempt.
    assert len(statements) <= 14, len(statements)
    with app.app_context():
        mine = db.session.scalar(select(User).where(User.id == taker.user_id))
        assert mine is not None
