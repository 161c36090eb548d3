"""Judges' decisions on flagged attempts: disqualifying (with a reason, audit-logged) takes an
attempt out of the ranking and tells its taker only that it is not eligible; clearing reinstates
it; only the contest's judges and admins see the evidence."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.flags.models import Flag
from tests.attempt_support import install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, csrf_token
from tests.flag_support import attempt_disqualified, judge_client, ranking_rows, take


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


@pytest.fixture
def clock(app):
    return install_clock(app)


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
