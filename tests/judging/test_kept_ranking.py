"""A finished round's kept ranking (quizapp/judging/materialised.py) against the plain Python
oracle, and against the ranking computed live: the same rows in the same places, with ties on
every key; forgotten whenever an attempt of the round changes."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from itertools import islice

from openpyxl import load_workbook
from sqlalchemy import delete, insert, select, update

from quizapp.attempts.services import finalise_expired
from quizapp.auth.models import User
from quizapp.auth.search import PersonQuery
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging import services
from quizapp.judging.locking import lock_round
from quizapp.judging.materialised import keep, keep_finished_rounds, kept
from quizapp.judging.models import RankedAttempt, RankingBuild
from quizapp.judging.rows import page_of_ranking, ranking_rows, search_kept
from tests.attempt_support import CLOSES, install_clock
from tests.ranking_oracle import Row, oracle_rank
from tests.ranking_support import generate_round

KEYS = ("correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc", "attempts_used_asc")


def finished_round(app, tmp_path, people: int = 900) -> int:
    round_id, _rows = generate_round(app, tmp_path, people=people)
    install_clock(app, CLOSES + timedelta(hours=1))
    with app.app_context():
        finalise_expired(round_id=round_id)
        db.session.commit()
    return round_id


def oracle_rows(round_id: int) -> list[Row]:
    return [Row(a.id, a.user_id, a.number, a.status, a.disqualified, a.correct_count, a.question_count,
                a.prediction, a.duration_ms, a.submitted_at)
            for a in db.session.scalars(select(Attempt).where(Attempt.round_id == round_id))]


def kept_places(round_id: int) -> list[tuple[int, int]]:
    return list(db.session.execute(select(RankedAttempt.place, RankedAttempt.attempt_id)
                                   .where(RankedAttempt.round_id == round_id).order_by(RankedAttempt.place)).tuples())


def set_rules(round_id: int, order, counting: str, truth: str | None, locked: bool) -> Round:
    db.session.execute(update(Round).where(Round.id == round_id).values(
        tie_breakers=list(order), counting_attempt=counting, prediction_truth=truth or "participants",
        prediction_prompt="Bao nhiêu?" if truth else None, prediction_locked=locked))
    db.session.commit()
    return db.session.get(Round, round_id)


def test_the_kept_ranking_matches_the_oracle_for_every_rule(app, tmp_path):
    round_id = finished_round(app, tmp_path)
    orders = [KEYS, KEYS[::-1], *((first, *(key for key in KEYS if key != first)) for first in KEYS[1:4])]
    with app.app_context():
        rows = oracle_rows(round_id)
        for order, counting, truth, locked in itertools.product(
                orders, ("best", "first", "last"), ("participants_all_correct", "attempts", None), (False, True)):
            round_ = set_rules(round_id, order, counting, truth, locked)
            build = keep(round_)
            db.session.commit()
            expected = oracle_rank(rows, list(order), counting, truth, locked)
            assert build.rows == len(expected)
            assert kept_places(round_id) == expected, (order, counting, truth, locked)


def test_a_change_to_an_attempt_forgets_the_kept_ranking(app, tmp_path):
    round_id = finished_round(app, tmp_path, people=200)
    with app.app_context():
        round_ = set_rules(round_id, KEYS, "best", "participants_all_correct", True)
        keep(round_)
        db.session.commit()
        winner = kept_places(round_id)[0][1]
        judge = db.session.scalar(select(User).limit(1))
        # A judge's decision (an ORM flush) forgets it; the next reader ranks without the attempt.
        services.decide(winner, "disqualify", "Gian lận", judge)
        db.session.commit()
        assert kept(round_) is None
        keep(round_)
        db.session.commit()
        assert winner not in {attempt_id for _place, attempt_id in kept_places(round_id)}
        assert kept_places(round_id) == oracle_rank(oracle_rows(round_id), list(KEYS), "best",
                                                    "participants_all_correct", True)
        # So does an UPDATE statement (closing attempts, scoring them, a re-score).
        db.session.execute(update(Attempt).where(Attempt.id == kept_places(round_id)[0][1]).values(correct_count=0))
        db.session.commit()
        assert kept(round_) is None
        # And an INSERT that names its round, as a start's does (a round its organiser reopened).
        keep(round_)
        db.session.commit()
        first = db.session.get(Attempt, kept_places(round_id)[0][1])
        db.session.execute(insert(Attempt).values(
            round_id=round_id, user_id=first.user_id, number=first.number + 100, status="open",
            started_at=first.started_at, question_count=0).execution_options(attempt_rounds={round_id}))
        db.session.commit()
        assert kept(round_) is None


def test_a_page_of_the_kept_ranking_is_the_live_rankings_page_awards_included(app, tmp_path):
    round_id = finished_round(app, tmp_path, people=300)
    with app.app_context():
        round_ = set_rules(round_id, KEYS, "best", "participants", False)
        round_.awards = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2},
                         {"name": "Giải Khuyến khích", "count": 70}]
        # Only people with a birth date may win: the tiers reach past the first pages.
        round_.contest.registration_fields = ["birth_date"]
        for user in db.session.scalars(select(User).where(User.phone.like("0966%"))):
            if user.id % 3 == 0:
                user.birth_date = date(1990, 1, 1)
        db.session.commit()
        live = list(ranking_rows(round_))
        assert kept(round_) is None and keep(round_) is not None
        db.session.commit()
        awarded = [row for row in live if row[9]]
        assert len(awarded) == 73 and awarded[-1][0] > 150
        for start in (0, 50, 100, 150, 250):
            assert page_of_ranking(round_, start, 50) == live[start:start + 50], start
        found, total = search_kept(round_, PersonQuery.parse("096600001"), 5, 5)
        matching = [row for row in live if "096600001" in row[2]]
        assert total == len(matching) and found == matching[5:10]
        assert list(islice(ranking_rows(round_), 400)) == live


def test_finished_rounds_are_kept_by_the_periodic_task_the_lock_and_the_cli(app, tmp_path):
    round_id = finished_round(app, tmp_path, people=120)
    with app.app_context():
        # Before the close and its grace nothing is kept: attempts may still come in.
        install_clock(app, CLOSES)
        assert keep_finished_rounds() == []
        install_clock(app, CLOSES + timedelta(hours=1))
        assert keep_finished_rounds() == [round_id]
        build = kept(db.session.get(Round, round_id))
        assert build is not None and build.rows == len(kept_places(round_id))
        assert keep_finished_rounds() == []  # already kept by its rules
        # A decision forgets it; the lock keeps it again as it takes its snapshot.
        judge = db.session.scalar(select(User).limit(1))
        services.decide(kept_places(round_id)[0][1], "disqualify", "Gian lận", judge)
        db.session.commit()
        assert kept(db.session.get(Round, round_id)) is None
        lock_round(db.session.get(Round, round_id), judge, reason="Đủ rồi")
        db.session.commit()
        assert kept(db.session.get(Round, round_id)) is not None
        # Locked rounds show their snapshot: the periodic task passes them over.
        db.session.execute(delete(RankingBuild))
        db.session.commit()
        assert keep_finished_rounds() == []
    result = app.test_cli_runner().invoke(args=["rankings", "keep"])
    assert result.exit_code == 0 and "0 vòng" in result.output


def test_the_cli_export_keeps_the_ranking_it_reads(app, tmp_path):
    round_id = finished_round(app, tmp_path, people=60)
    output = tmp_path / "xep-hang.xlsx"
    result = app.test_cli_runner().invoke(args=["rankings", "export", str(round_id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert kept(db.session.get(Round, round_id)) is not None
        assert len(list(load_workbook(output, read_only=True).active.iter_rows())) == len(kept_places(round_id)) + 1
