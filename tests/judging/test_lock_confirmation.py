"""Locking is deliberate (issue 11): the judges' page leads to a confirmation that counts the
undecided flags and the award overrides; the lock needs that confirmation, and while flags are
undecided it needs a reason too, which the audit log keeps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.judging.models import RoundResult
from tests.attempt_support import CLOSES, install_clock, one_round, sign_up, simple_questions
from tests.conftest import GENEROUS_LIMITS, csrf_token
from tests.flag_support import judge_client, take
from tests.judging.test_locking import after_close, judge_of
from tests.ranking_support import generate_round


@pytest.fixture
def app(make_app):
    return make_app(**GENEROUS_LIMITS)


def locked(app, round_id: int) -> bool:
    with app.app_context():
        return db.session.scalar(select(RoundResult.id).where(RoundResult.round_id == round_id)) is not None


def post_lock(judge, round_id: int, **fields: str):
    return judge.post(f"/judging/rounds/{round_id}/lock", data={"csrf_token": csrf_token(judge), **fields},
                      follow_redirects=True)


def test_locking_with_undecided_flags_needs_confirmation_and_an_audited_reason(app, tmp_path):
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "khoa", questions=simple_questions("khoa", 8))
    cheat, honest = sign_up(app, full_name="Người Nhanh"), sign_up(app, full_name="Người Thường")
    take(cheat, round_id, clock, seconds_per_answer=1)
    take(honest, round_id, clock, seconds_per_answer=20)
    with app.app_context():
        db.session.get(Round, round_id).awards = [{"name": "Giải Nhất", "count": 1}]
        db.session.commit()
    judge = judge_client(app, round_id)
    judge.post(f"/judging/rounds/{round_id}/awards/override", data={
        "csrf_token": csrf_token(judge), "phone": honest.phone, "award": "Giải Nhất", "reason": "Hội đồng quyết"})
    clock.set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))

    round_page = judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)
    assert f'href="/judging/rounds/{round_id}/lock"' in round_page
    assert f'action="/judging/rounds/{round_id}/lock"' not in round_page  # no one-click lock
    confirm = judge.get(f"/judging/rounds/{round_id}/lock")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and confirm.headers["Cache-Control"] == "no-store"
    assert re.search(r'id="undecided">\s*1 dấu hiệu chưa quyết định', page) and "Người Nhanh" in page
    assert re.search(r'id="overrides">\s*1 quyết định về giải', page) and "Người Thường" in page
    assert "Hội đồng quyết" in page and "không thể hoàn tác" in page

    unconfirmed = post_lock(judge, round_id, reason="Đã xem xét").get_data(as_text=True)
    assert not locked(app, round_id) and "Cần đánh dấu xác nhận" in unconfirmed
    no_reason = post_lock(judge, round_id, confirm="yes", reason="  ").get_data(as_text=True)
    assert not locked(app, round_id) and "cần ghi lý do" in no_reason
    assert 'id="undecided"' in no_reason  # back on the confirmation, with the counts

    done = post_lock(judge, round_id, confirm="yes", reason="Hội đồng đã xem, giữ nguyên kết quả").get_data(
        as_text=True)
    assert locked(app, round_id) and "Đã khóa kết quả" in done
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.locked")).one()
        assert event.after["reason"] == "Hội đồng đã xem, giữ nguyên kết quả"
        assert event.after["undecided_flags"] == 1 and event.after["award_overrides"] == 1


def test_informational_flags_alone_need_no_reason_but_the_lock_still_needs_confirmation(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=5)
    with app.app_context():
        attempt = db.session.scalars(select(Attempt).where(Attempt.round_id == round_id)).first()
        db.session.add(Flag(round_id=round_id, attempt_id=attempt.id, user_id=attempt.user_id, kind="burst_ip",
                            evidence={"ip": "10.0.0.1", "accounts": 12}))
        db.session.commit()
    judge = judge_of(app, round_id)
    after_close(app)

    page = judge.get(f"/judging/rounds/{round_id}/lock").get_data(as_text=True)
    assert re.search(r'id="undecided">\s*Không còn dấu hiệu nào chưa quyết định', page)
    assert not locked(app, round_id) and "Cần đánh dấu xác nhận" in post_lock(judge, round_id).get_data(as_text=True)
    assert "Đã khóa kết quả" in post_lock(judge, round_id, confirm="yes").get_data(as_text=True)
    assert locked(app, round_id)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.locked")).one()
        assert event.after["reason"] is None and event.after["undecided_flags"] == 0
