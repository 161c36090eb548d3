"""Overall standings across a contest's rounds, against a plain Python sum of each round's ranking."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from quizapp.attempts.services import finalise_expired
from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.judging.materialised import keep, keep_totals, kept, kept_totals, totals_rounds
from quizapp.judging.models import StandingBuild, StandingTotal
from quizapp.judging.ranking import rank
from quizapp.judging.standings import keep_rounds, page, standings
from tests import job_support
from tests.attempt_support import (
    CLOSES,
    DURING,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    simple_questions,
)
from tests.conftest import Accounts

QUESTIONS = 5


def three_rounds(app, tmp_path) -> list[int]:
    """Two timed rounds that count differently, and a practice round that never counts."""
    install_clock(app)
    import_bank(app, tmp_path, "chung", simple_questions("chung", QUESTIONS))
    first = round_definition(1, bank="chung", count=QUESTIONS, max_attempts=None)
    second = {**round_definition(2, bank="chung", count=QUESTIONS, max_attempts=None), "counting_attempt": "last",
              "tie_breakers": ["correct_desc", "submitted_at_asc"]}
    practice = round_definition(3, bank="chung", count=QUESTIONS, time_limit=None, max_attempts=None, practice=True)
    return load_contest(app, tmp_path, "tong-hop", [first, second, practice])


def generate(app, round_ids: list[int], people: int = 300) -> None:
    """People in some of the rounds, a few attempts each, ties on scores and durations."""
    rng = random.Random(7)
    with app.app_context():
        db.session.execute(insert(User), [{"phone": f"0955{number:06d}", "password_hash": "x",
                                           "full_name": f"Người {number}"} for number in range(people)])
        users = list(db.session.scalars(select(User.id).where(User.phone.like("0955%"))))
        rows = []
        for user_id in users:
            for round_id in round_ids:
                if rng.random() < 0.3:
                    continue
                count = rng.randint(1, 3)
                for number in range(1, count + 1):
                    is_open = number == count and rng.random() < 0.05
                    started = DURING + timedelta(minutes=rng.choice([0, 10, 20]))
                    rows.append({
                        "round_id": round_id, "user_id": user_id, "number": number, "max_attempts": None,
                        "status": "open" if is_open else "submitted", "started_at": started,
                        "deadline": started + timedelta(minutes=10), "question_count": QUESTIONS,
                        "submitted_at": None if is_open else started + timedelta(minutes=rng.choice([1, 2])),
                        "correct_count": None if is_open else rng.choice([2, 3, 4, 4, 5]),
                        "duration_ms": None if is_open else rng.choice([60_000, 90_000, 120_000, 180_000]),
                        "expired": False, "disqualified": not is_open and rng.random() < 0.05,
                    })
        db.session.execute(insert(Attempt), rows)
        db.session.commit()


def oracle(round_ids: list[int]) -> list[tuple[int, int, int, int, tuple]]:
    """Each timed round's ranking (already checked against tests/ranking_oracle.py) added up in Python."""
    totals: dict[int, dict] = {}
    for index, round_id in enumerate(round_ids):
        for row in rank(round_id):
            person = totals.setdefault(row.user_id, {"correct": 0, "duration": 0, "taken": 0,
                                                     "rounds": [None] * len(round_ids)})
            person["correct"] += row.correct_count
            person["duration"] += row.duration_ms
            person["taken"] += 1
            person["rounds"][index] = row.correct_count
    ordered = sorted(totals.items(), key=lambda item: (-item[1]["correct"], item[1]["duration"], -item[1]["taken"],
                                                       item[0]))
    return [(user_id, person["correct"], person["duration"], person["taken"], tuple(person["rounds"]))
            for user_id, person in ordered]


def test_the_standings_add_up_each_rounds_counting_attempt(app, tmp_path):
    first, second, practice = three_rounds(app, tmp_path)
    generate(app, [first, second, practice])
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "tong-hop"))
        got = [(s.user_id, s.correct, s.duration_ms, s.rounds_taken, s.per_round) for s in standings(contest)]
        places = [s.place for s in standings(contest)]
        expected = oracle([first, second])
    assert len(expected) > 150 and any(row[3] == 1 for row in expected) and any(row[3] == 2 for row in expected)
    assert got == expected
    # Every key of the order decides somewhere: equal totals with more rounds taken come first.
    assert any(a[1:3] == b[1:3] and a[3] > b[3] for a, b in zip(got, got[1:], strict=False))
    assert places == list(range(1, len(got) + 1))


def test_judges_see_the_standings_and_download_them(app, tmp_path):
    first, second, practice = three_rounds(app, tmp_path)
    generate(app, [first, second, practice], people=80)
    judge, outsider = app.test_client(), app.test_client()
    Accounts(app, judge).login_as("judge", contest="tong-hop")
    Accounts(app, outsider).login_as("judge")

    page = judge.get("/judging/contests/tong-hop/standings")
    download = job_support.download(judge, "/judging/contests/tong-hop/standings.csv")
    data = download.get_data()
    download.close()
    refused = outsider.get("/judging/contests/tong-hop/standings")
    refused_csv = outsider.get("/judging/contests/tong-hop/standings.csv")
    refused_csv.close()

    assert page.status_code == 200 and "Xếp hạng chung" in page.get_data(as_text=True)
    assert download.status_code == 200 and data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:7] == ["Hạng", "Họ và tên", "Số điện thoại", "Đơn vị", "Tổng số câu đúng",
                            "Tổng thời gian (giây)", "Số vòng đã thi"]
    assert table[0][7:] == ["Vòng 1: số câu đúng", "Vòng 2: số câu đúng"]  # the practice round never counts
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "tong-hop"))
        expected = [[str(s.place), s.full_name, s.phone] for s in standings(contest)]
    assert [row[:3] for row in table[1:]] == expected
    assert (refused.status_code, refused_csv.status_code) == (403, 403)


def finished_contest(app, tmp_path) -> list[int]:
    """``three_rounds`` with people, after the close, expired attempts closed (as keep() does)."""
    rounds = three_rounds(app, tmp_path)
    generate(app, rounds)
    install_clock(app, CLOSES + timedelta(hours=1))
    with app.app_context():
        for round_id in rounds[:2]:
            finalise_expired(round_id=round_id)
        db.session.commit()
    return rounds


def test_a_page_and_its_total_come_from_one_pass_with_kept_and_live_rounds(app, tmp_path):
    first, second, _practice = finished_contest(app, tmp_path)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "tong-hop"))
        everyone = list(standings(contest))
        # One round's ranking kept, the other ranked now: the same standings.
        assert keep(db.session.get(Round, first)) is not None
        db.session.commit()
        assert kept(db.session.get(Round, second)) is None
        assert list(standings(contest)) == everyone
        for offset in (0, 50, len(everyone) - 10):
            assert page(contest, 50, offset) == (everyone[offset:offset + 50], len(everyone)), offset
        assert page(contest, 50, len(everyone) + 50) == ([], len(everyone))


def test_kept_totals_give_the_same_standings_and_go_with_any_ranking_they_add_up(app, tmp_path):
    first, second, _practice = finished_contest(app, tmp_path)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "tong-hop"))
        everyone = list(standings(contest))
        assert [(s.user_id, s.correct, s.duration_ms, s.rounds_taken, s.per_round) for s in everyone] == oracle(
            [first, second])

        # The first round kept and added up; the second ranked now beside those totals.
        assert keep(db.session.get(Round, first)) is not None
        totals = keep_totals(contest)
        db.session.commit()
        assert totals is not None and totals_rounds(totals) == [first]
        assert totals.rows == len(list(rank(first)))
        assert list(standings(contest)) == everyone
        assert page(contest, 50, 100) == (everyone[100:150], len(everyone))

        # Both kept: the standings are read by place from the totals alone.
        keep_rounds(contest)
        db.session.commit()
        totals = kept_totals(contest)
        assert totals is not None and totals_rounds(totals) == [first, second] and totals.rows == len(everyone)
        assert list(standings(contest)) == everyone
        for offset in (0, 50, len(everyone) - 10):
            assert page(contest, 50, offset) == (everyone[offset:offset + 50], len(everyone)), offset
        assert page(contest, 50, len(everyone) + 50) == ([], len(everyone))

        # A judge disqualifies an attempt that counts: the round's ranking and the totals go.
        # (one whose only attempt in the round it is, so that no other attempt takes its place)
        single = set(db.session.scalars(select(Attempt.user_id).where(Attempt.round_id == second)
                                        .group_by(Attempt.user_id).having(func.count() == 1)))
        counted = next(row for row in rank(second) if row.correct_count == 5 and row.user_id in single)
        attempt = db.session.get(Attempt, counted.attempt_id)
        attempt.disqualified = True
        db.session.commit()
        assert kept_totals(contest) is None and db.session.scalar(select(func.count()).select_from(StandingTotal)) == 0
        now = [(s.user_id, s.correct, s.duration_ms, s.rounds_taken, s.per_round) for s in standings(contest)]
        expected = oracle([first, second])
        assert len(now) == len(expected)
        assert [a for a, b in zip(now, expected, strict=True) if a != b] == []
        assert now != [(s.user_id, s.correct, s.duration_ms, s.rounds_taken, s.per_round) for s in everyone]

        # Totals of rankings since forgotten and built again are not used: they name the old builds.
        keep_rounds(contest)
        db.session.commit()
        stale = kept_totals(contest).rounds
        db.session.execute(update(StandingBuild).values(rounds=stale.replace("@", "@1999-")))
        db.session.commit()
        assert kept_totals(contest) is None
        assert [(s.user_id, s.correct) for s in standings(contest)] == [row[:2] for row in now]
