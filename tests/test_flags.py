"""Suspicion flags with their evidence, judges' decisions, the audit log, and the ranking
without disqualified attempts. Each flag is raised on a constructed case and not on a normal one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.judging.models import Flag
from quizapp.units.models import Unit
from tests.attempt_support import install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, Accounts, csrf_token


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


@pytest.fixture
def clock(app):
    return install_clock(app)


def take(taker, round_id, clock, *, seconds_per_answer: float, right: bool = True) -> dict:
    """Start, answer every question (the first option, which the banks mark right) a fixed
    time apart, and submit."""
    attempt = taker.started(round_id)
    for question in attempt["questions"]:
        clock.advance(seconds=seconds_per_answer)
        option = next(o for o in question["options"] if ("phương án A" in o["text"]) == right)
        assert taker.save(attempt["id"], question["id"], [option["id"]]).status_code == 200
    clock.advance(seconds=1)
    assert taker.submit(attempt["id"]).status_code == 200
    return attempt


def flags_of(app, attempt_id: int) -> dict[str, dict]:
    with app.app_context():
        flags = db.session.scalars(select(Flag).where(Flag.attempt_id == attempt_id))
        return {flag.kind: flag.evidence for flag in flags}


def test_too_fast_is_raised_with_its_evidence_and_not_on_a_normal_attempt(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, "nhanh", questions=simple_questions("nhanh", 8))
    fast = take(sign_up(app), round_id, clock, seconds_per_answer=1)
    normal = take(sign_up(app), round_id, clock, seconds_per_answer=20)

    evidence = flags_of(app, fast["id"])["too_fast"]
    assert evidence["median_seconds_per_answer"] == 1.0 and evidence["answered"] == 8
    assert evidence["duration_seconds"] < 60
    assert "too_fast" not in flags_of(app, normal["id"])


def test_duplicate_person_is_raised_across_accounts_of_one_person(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, "trung", questions=simple_questions("trung", 4))
    with app.app_context():
        db.session.add(Unit(code="XA-01", name="Xã Một"))
        db.session.commit()
    first = sign_up(app, full_name="Nguyễn Văn An", birth_date=_date("1990-01-02"), unit_code="XA-01")
    second = sign_up(app, full_name="  nguyễn   văn AN ", birth_date=_date("1990-01-02"), unit_code="XA-01")
    namesake = sign_up(app, full_name="Nguyễn Văn An", birth_date=_date("1991-05-06"), unit_code="XA-01")
    take(first, round_id, clock, seconds_per_answer=20)
    duplicate = take(second, round_id, clock, seconds_per_answer=20)
    other = take(namesake, round_id, clock, seconds_per_answer=20)

    evidence = flags_of(app, duplicate["id"])["duplicate_person"]
    assert [account["user_id"] for account in evidence["other_accounts"]] == [first.user_id]
    assert evidence["other_accounts"][0]["phone"].startswith("09") and "xx" in evidence["other_accounts"][0]["phone"]
    assert "duplicate_person" not in flags_of(app, other["id"])


def test_shared_device_is_raised_past_the_threshold(app, tmp_path, clock):
    round_id = one_round(app, tmp_path, "may", questions=simple_questions("may", 4), max_attempts=None)
    takers = [sign_up(app) for _ in range(4)]
    for taker in takers:
        taker.client.set_cookie("quizapp_device", "mot-thiet-bi-dung-chung")
    attempts = [take(taker, round_id, clock, seconds_per_answer=20) for taker in takers]

    assert "shared_device" not in flags_of(app, attempts[2]["id"])  # three accounts: allowed (a family)
    assert flags_of(app, attempts[3]["id"])["shared_device"]["accounts_on_device"] == 4


def test_burst_ip_is_shown_and_never_enough_to_disqualify(make_app, tmp_path, auth):
    app = make_app(FLAG_BURST_ACCOUNTS=5, **GENEROUS_LIMITS)
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "ip", questions=simple_questions("ip", 4))
    early = take(sign_up(app), round_id, clock, seconds_per_answer=20)  # alone, minutes before the burst
    takers = [sign_up(app) for _ in range(5)]
    burst = [taker.started(round_id) for taker in takers]  # five accounts, one IP, one second
    for taker, attempt in zip(takers, burst, strict=True):
        assert taker.submit(attempt["id"]).status_code == 200

    assert flags_of(app, burst[-1]["id"])["burst_ip"]["accounts_starting"] == 5
    assert "burst_ip" not in flags_of(app, early["id"])
    judge = judge_client(app, round_id)
    refused = judge.post(f"/judging/attempts/{burst[-1]['id']}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "disqualify", "reason": "Nghi vấn", "round_id": round_id},
        follow_redirects=True)
    assert "chỉ để tham khảo" in refused.get_data(as_text=True)
    assert not attempt_disqualified(app, burst[-1]["id"])


def test_a_disqualified_attempt_leaves_the_ranking_and_the_decision_is_audited(app, tmp_path, clock, auth):
    round_id = one_round(app, tmp_path, "loai", questions=simple_questions("loai", 8), review="after_submit")
    cheat_taker, honest_taker = sign_up(app), sign_up(app)
    cheat = take(cheat_taker, round_id, clock, seconds_per_answer=1)
    take(honest_taker, round_id, clock, seconds_per_answer=20, right=False)
    judge = judge_client(app, round_id)
    before = judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)

    decided = judge.post(f"/judging/attempts/{cheat['id']}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "disqualify", "reason": "20 câu trong 10 giây",
        "round_id": round_id})
    after = judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)
    result = cheat_taker.client.get(f"/contests/attempts/{cheat['id']}/result").get_data(as_text=True)

    assert decided.status_code == 302
    assert ranking_rows(before)[0] == cheat_taker.phone and ranking_rows(after) == [honest_taker.phone]
    assert "không đủ điều kiện xét giải" in result
    assert cheat_taker.attempt(cheat["id"]).get_json()["result"]["eligible"] is False
    assert honest_taker.attempt(honest_taker.log[0][3]["id"]).get_json()["result"]["eligible"] is True
    assert "too_fast" not in result and "quá nhanh" not in result  # never how it was found
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attempt.disqualified")).one()
        judge_user = db.session.scalars(select(User).where(User.role == "judge")).one()
        assert (event.actor_id, event.target_id) == (judge_user.id, str(cheat["id"]))
        assert event.before["disqualified"] is False and event.after["reason"] == "20 câu trong 10 giây"
        assert {flag.decision for flag in db.session.scalars(select(Flag).where(Flag.attempt_id == cheat["id"]))} \
            == {"disqualified"}


def test_disqualifying_needs_a_reason_and_clearing_reinstates(app, tmp_path, clock, auth):
    round_id = one_round(app, tmp_path, "xet", questions=simple_questions("xet", 8))
    cheat = take(sign_up(app), round_id, clock, seconds_per_answer=1)
    judge = judge_client(app, round_id)
    decide = lambda decision, reason="": judge.post(f"/judging/attempts/{cheat['id']}/decision", data={  # noqa: E731
        "csrf_token": csrf_token(judge), "decision": decision, "reason": reason, "round_id": round_id},
        follow_redirects=True)

    assert "Cần ghi lý do" in decide("disqualify").get_data(as_text=True)
    assert not attempt_disqualified(app, cheat["id"])
    decide("disqualify", "Gian lận")
    assert attempt_disqualified(app, cheat["id"])
    decide("clear")
    assert not attempt_disqualified(app, cheat["id"])


def test_only_judges_and_admins_see_the_review(app, tmp_path, clock, auth, client):
    round_id = one_round(app, tmp_path, "quyen", questions=simple_questions("quyen", 4))
    # tests/test_access.py holds the whole matrix; here: who sees the flagged attempts' evidence.
    for role, assigned, status in (("taker", False, 403), ("organiser", False, 403), ("judge", False, 403),
                                   ("judge", True, 200), ("admin", False, 200)):
        auth.login_as(role, round_id=round_id if assigned else None)
        assert client.get(f"/judging/rounds/{round_id}").status_code == status, (role, assigned)
        auth.logout()
    auth.login_as("admin")
    assert client.get("/admin/audit").status_code == 200


def test_a_scan_raises_flags_on_attempts_closed_at_their_deadline(app, tmp_path, clock, auth):
    round_id = one_round(app, tmp_path, "quet", questions=simple_questions("quet", 6), time_limit=30)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    for question in attempt["questions"]:
        clock.advance(seconds=1)
        taker.save(attempt["id"], question["id"], [question["options"][0]["id"]])
    clock.advance(seconds=120)  # never submitted: closed at its deadline when next read
    judge = judge_client(app, round_id)

    judge.post(f"/judging/rounds/{round_id}/scan", data={"csrf_token": csrf_token(judge)})

    assert "too_fast" in flags_of(app, attempt["id"])


# --- helpers ------------------------------------------------------------------------------


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def judge_client(app, round_id: int):
    """A client signed in as a judge of the round's contest."""
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def attempt_disqualified(app, attempt_id: int) -> bool:
    from quizapp.contests.models import Attempt

    with app.app_context():
        return db.session.get(Attempt, attempt_id).disqualified


def ranking_rows(html: str) -> list[str]:
    import re

    section = html[html.index("Xếp hạng theo thể lệ"):]
    return re.findall(r"<tr><td>\d+</td><td>[^<]*</td><td>(0\d{9})</td>", section)

