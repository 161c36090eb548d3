"""Suspicion flags with their evidence, raised at submit and by a judge's scan. Each flag is raised
on a constructed case and not on a normal one. The judges' decisions on them: tests/judging/test_decisions.py."""

from __future__ import annotations

import pytest

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.flags.services import CHECKS
from quizapp.units.models import Unit
from tests.attempt_support import install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, csrf_token
from tests.flag_support import attempt_disqualified, flags_of, judge_client, take


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


@pytest.fixture
def clock(app):
    return install_clock(app)


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


def test_a_fault_in_the_flag_rules_never_costs_the_submit(app, tmp_path, clock, monkeypatch):
    round_id = one_round(app, tmp_path, "loi", questions=simple_questions("loi", 4), review="after_submit")

    def broken(_attempt, _evidence):
        raise ValueError("a rule that fails")

    monkeypatch.setitem(CHECKS, "too_fast", broken)
    attempt = take(sign_up(app), round_id, clock, seconds_per_answer=1)  # its submit answers 200

    assert flags_of(app, attempt["id"]) == {}
    with app.app_context():
        stored = db.session.get(Attempt, attempt["id"])
        assert (stored.status, stored.correct_count) == ("submitted", 4)


# --- helpers ------------------------------------------------------------------------------


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)
