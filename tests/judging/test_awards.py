"""Awards down the ranking: to eligible people only, tier by tier, one per person when the
contest says so."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select, update

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.judging.locking import lock_round
from quizapp.judging.ranking import rank
from tests.attempt_support import CLOSES
from tests.ranking_support import generate_round

TIERS = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}, {"name": "Giải Ba", "count": 3}]


def exported_awards(runner, round_id: int, path) -> dict[int, str]:
    result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))[1:]
    return {int(row[11]): row[9] for row in rows if len(row) > 11 and row[9]}


def test_tiers_go_down_the_ranking_to_eligible_people(app, runner, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=40)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        round_.awards = TIERS
        round_.contest.registration_fields = ["birth_date"]
        ranked = rank(round_id)
        # Everyone has a birth date but the first and the fourth of the ranking.
        db.session.execute(update(User).values(birth_date=date(1990, 1, 1)))
        missing = {ranked[0].user_id, ranked[3].user_id}
        db.session.execute(update(User).where(User.id.in_(missing)).values(birth_date=None))
        db.session.commit()
        eligible = [row.attempt_id for row in ranked if row.user_id not in missing]

    awards = exported_awards(runner, round_id, tmp_path / "giai.csv")

    expected = dict(zip(eligible, ["Giải Nhất", "Giải Nhì", "Giải Nhì", "Giải Ba", "Giải Ba", "Giải Ba"], strict=False))
    assert awards == expected


def test_one_award_per_person_passes_over_earlier_winners(app, runner, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=30)
    with app.app_context():
        first = db.session.get(Round, round_id)
        first.awards = [{"name": "Giải Nhất", "count": 1}]
        contest = db.session.get(Contest, first.contest_id)
        contest.one_award_per_person = True
        second = Round(contest=contest, number=2, title="Tuần 2", opens_at=first.opens_at,
                       closes_at=first.closes_at, time_limit_seconds=600, max_attempts=None,
                       counting_attempt="best", draw=first.draw, tie_breakers=first.tie_breakers,
                       awards=[{"name": "Giải Nhất", "count": 1}], review="after_close")
        db.session.add(second)
        db.session.commit()
        # The same people, the same attempts, copied into round 2: the same ranking.
        for attempt in db.session.scalars(select(Attempt).where(Attempt.round_id == round_id)).all():
            columns = [column.key for column in Attempt.__table__.columns if column.key != "id"]
            copy = {key: getattr(attempt, key) for key in columns}
            db.session.add(Attempt(**{**copy, "round_id": second.id}))
        db.session.commit()
        second_id = second.id
        ranked = rank(second_id)
        app.extensions["quizapp.clock"].set(CLOSES + timedelta(minutes=1))
        lock_round(db.session.get(Round, round_id), None)
        db.session.commit()

    first_awards = exported_awards(runner, round_id, tmp_path / "v1.csv")
    second_awards = exported_awards(runner, second_id, tmp_path / "v2.csv")

    (winner_attempt,) = first_awards
    assert list(second_awards) == [ranked[1].attempt_id]  # round 1's winner is passed over
    assert second_awards[ranked[1].attempt_id] == "Giải Nhất" and winner_attempt != ranked[1].attempt_id


def test_a_judges_override_stands_above_the_rules_and_is_audited(app, runner, tmp_path):
    from quizapp.audit import AuditEvent
    from tests.conftest import Accounts, csrf_token

    round_id, _rows = generate_round(app, tmp_path, people=30)
    with app.app_context():
        db.session.get(Round, round_id).awards = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}]
        db.session.commit()
        ranked = rank(round_id)
        phones = {user.id: user.phone for user in db.session.scalars(select(User))}
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    url = f"/judging/rounds/{round_id}/awards/override"
    decide = lambda phone, award, reason: judge.post(url, data={  # noqa: E731
        "csrf_token": csrf_token(judge), "phone": phone, "award": award, "reason": reason}, follow_redirects=True)

    assert "Cần ghi lý do" in decide(phones[ranked[0].user_id], "", "").get_data(as_text=True)
    assert "Giải phải là một trong" in decide(phones[ranked[0].user_id], "Giải Vàng", "x").get_data(as_text=True)
    decide(phones[ranked[0].user_id], "", "Không đúng đối tượng dự thi")
    decide(phones[ranked[9].user_id], "Giải Nhì", "Hội đồng quyết định")
    awards = exported_awards(runner, round_id, tmp_path / "sua.csv")

    assert awards == {ranked[1].attempt_id: "Giải Nhất", ranked[2].attempt_id: "Giải Nhì",
                      ranked[9].attempt_id: "Giải Nhì"}
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "award.overridden")))
    assert [event.after["reason"] for event in events] == ["Không đúng đối tượng dự thi", "Hội đồng quyết định"]
