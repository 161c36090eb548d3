"""While a round still takes attempts the contest's standings are provisional: a snapshot
computed at most once in PROVISIONAL_STANDINGS_SECONDS, shown with its time, equal to the exact
standings of that moment, and never shown once every round has finished (judging/provisional.py)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import event, func, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.judging import provisional
from quizapp.judging.materialised import counted_rounds
from quizapp.judging.models import ProvisionalBuild
from quizapp.judging.ranking import rank
from quizapp.judging.standings import page as standings_page
from quizapp.judging.standings import standings
from quizapp.privacy.erasure import erase_person
from tests.attempt_support import (
    CLOSES,
    DURING,
    answer_key,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    run_together,
    sign_up,
)
from tests.attempt_support import simple_questions as questions
from tests.conftest import Accounts, csrf_token
from tests.job_support import run_jobs
from tests.judging.test_standings import QUESTIONS, generate, oracle

SLUG = "tuan-le"
PAGE = f"/judging/contests/{SLUG}/standings"
SECOND_OPENS = CLOSES + timedelta(hours=1)
SECOND_CLOSES = SECOND_OPENS + timedelta(days=7)


def weekly(app, tmp_path):
    """Two weekly rounds, the second opening after the first closes and counting differently;
    the clock at the first's second hour. The clock and the rounds' ids."""
    clock = install_clock(app, DURING)
    import_bank(app, tmp_path, "tuan", questions("tuan", QUESTIONS))
    first = round_definition(1, bank="tuan", count=QUESTIONS, max_attempts=None)
    second = {**round_definition(2, bank="tuan", count=QUESTIONS, max_attempts=None, opens=SECOND_OPENS,
                                 closes=SECOND_CLOSES),
              "counting_attempt": "last", "tie_breakers": ["correct_desc", "submitted_at_asc"]}
    return clock, load_contest(app, tmp_path, SLUG, [first, second])


def newcomer(app, round_id: int, phone: str, *, correct: int = QUESTIONS, duration_ms: int = 1_000) -> str:
    """A person who submits one attempt in the round now (best of everyone by default); their name."""
    name = f"Người mới {phone}"
    with app.app_context():
        user = User(phone=phone, password_hash="x", full_name=name)
        db.session.add(user)
        db.session.flush()
        started = app.extensions["quizapp.clock"]() - timedelta(seconds=duration_ms / 1000)
        db.session.add(Attempt(round_id=round_id, user_id=user.id, number=1, max_attempts=None, status="submitted",
                               started_at=started, deadline=started + timedelta(minutes=10),
                               submitted_at=started + timedelta(seconds=duration_ms / 1000),
                               question_count=QUESTIONS, correct_count=correct, duration_ms=duration_ms,
                               expired=False, disqualified=False))
        db.session.commit()
    return name


def exact(app) -> list[tuple]:
    """The standings computed from the attempts now (every round ranked by its own rules)."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        return [(s.place, s.user_id, s.correct, s.duration_ms, s.rounds_taken, s.per_round)
                for s in standings(contest)]


def summed(app, round_ids: list[int]) -> list[tuple]:
    """Each round's ranking added up in Python (tests/judging/test_standings.py ``oracle``)."""
    with app.app_context():
        return oracle(round_ids)


def snapshot(app) -> tuple[str | None, list[tuple]]:
    """The kept snapshot's time (UTC, ISO) and every row of it, as the page reads them."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        rounds = counted_rounds(contest)
        build = db.session.scalar(select(ProvisionalBuild).where(ProvisionalBuild.contest_id == contest.id))
        if build is None:
            return None, []
        rows, total = provisional.page(build, rounds, 10**6)
        assert total == len(rows)
        return build.computed_at.isoformat(), [(s.place, s.user_id, s.correct, s.duration_ms, s.rounds_taken,
                                                s.per_round) for s in rows]


def expired_open(app, round_id: int) -> int:
    """How many attempts of the round are still open past their deadline."""
    with app.app_context():
        return db.session.scalar(select(func.count()).where(
            Attempt.round_id == round_id, Attempt.status == "open",
            Attempt.deadline < app.extensions["quizapp.clock"]() - timedelta(seconds=30)))


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_round_open_the_page_shows_a_snapshot_with_its_time_until_the_round_closes(app, tmp_path):
    clock, (first, second) = weekly(app, tmp_path)
    generate(app, [first])
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=SLUG)

    page = text_of(judge.get(PAGE))
    assert "Tạm tính lúc 12:00:00 (giờ Việt Nam)" in page and "Vòng 1" in page
    taken_at, rows = snapshot(app)
    assert len(rows) > 150 and rows == exact(app)

    # Someone submits the best attempt of all; within the minute the page shows the same snapshot.
    early = newcomer(app, first, "0966000001")
    clock.advance(seconds=30)
    assert early not in text_of(judge.get(PAGE))
    refused = judge.post(f"{PAGE}/refresh", data={"csrf_token": csrf_token(judge)})
    assert refused.status_code == 303
    told = text_of(judge.get(refused.headers["Location"]))
    assert "vừa được tính lúc 12:00:00; có thể tính lại từ 12:01:00" in told and early not in told
    assert snapshot(app) == (taken_at, rows)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0

    # A minute on, the next view computes it again (a small contest: in the request).
    clock.advance(seconds=31)
    page = text_of(judge.get(PAGE))
    assert "Tạm tính lúc 12:01:01 (giờ Việt Nam)" in page and early in page
    _taken_at, rows = snapshot(app)
    assert rows == exact(app) and rows[0][1:3] == (rows[0][1], QUESTIONS) and len(rows) == len(exact(app))

    # One more submits before the close; once the round is over the standings are exact, the
    # snapshot is never shown again, and a refresh is not offered as one.
    late = newcomer(app, first, "0966000002", duration_ms=900)
    clock.set(CLOSES + timedelta(minutes=5))
    final = text_of(judge.get(PAGE))
    assert "Tạm tính" not in final and late in final and early in final
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        assert provisional.live_rounds(counted_rounds(contest)) == []
        # The second round has no attempt yet: the page is read by place from the kept totals,
        # nothing ranked or added up (no window function in any statement).
        statements = []
        listen = lambda _conn, _cursor, statement, *_rest: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            shown, total = standings_page(contest, 50)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        assert total == len(exact(app)) and [s.user_id for s in shown] == [row[1] for row in exact(app)[:50]]
        assert statements and not [statement for statement in statements if "OVER" in statement.upper()]
    assert [row[1:] for row in exact(app)] == summed(app, [first, second])
    assert exact(app)[0][1:3] == (exact(app)[0][1], QUESTIONS)
    after = judge.post(f"{PAGE}/refresh", data={"csrf_token": csrf_token(judge)})
    assert "Mọi vòng thi đã kết thúc" in text_of(judge.get(after.headers["Location"]))


def test_after_takers_submit_and_let_attempts_expire_each_snapshot_is_the_standings_of_its_moment(app, tmp_path):
    clock, (first, second) = weekly(app, tmp_path)
    rng = random.Random(13)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=SLUG)
    takers = [sign_up(app) for _ in range(8)]
    for _step in range(3):
        for taker in takers:
            if rng.random() < 0.4:
                continue
            attempt = taker.started(first)
            key = answer_key(app, attempt)
            for question in attempt["questions"]:
                wrong = [option["id"] for option in question["options"] if option["id"] not in key[question["id"]]]
                chosen = sorted(key[question["id"]]) if rng.random() < 0.7 else [rng.choice(wrong)]
                assert taker.save(attempt["id"], question["id"], chosen).status_code == 200
            if rng.random() < 0.7:  # else left open, to be closed at its deadline
                assert taker.submit(attempt["id"]).status_code == 200
            clock.advance(seconds=rng.randint(5, 40))
        clock.advance(minutes=11)  # past the deadline of every attempt left open, and the minute
        assert "Tạm tính lúc" in text_of(judge.get(PAGE))
        assert expired_open(app, first) == 0
        _taken_at, rows = snapshot(app)
        assert rows and rows == exact(app) and [row[1:] for row in rows] == summed(app, [first, second])


def test_the_snapshot_closes_expired_attempts_first_and_follows_changes_to_finished_rounds(app, tmp_path):
    clock, (first, second) = weekly(app, tmp_path)
    generate(app, [first, second])
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=SLUG)
    clock.set(SECOND_OPENS + timedelta(hours=2))  # the first round finished, the second open
    assert expired_open(app, second) > 0

    page = text_of(judge.get(PAGE))
    assert "Tạm tính lúc" in page and "Vòng 2" in page
    # Attempts past their deadline were closed before anything was ranked (DESIGN §3 rule 1).
    assert expired_open(app, second) == 0 and expired_open(app, first) == 0
    taken_at, rows = snapshot(app)
    assert [row[1:] for row in rows] == summed(app, [first, second])
    # The exact standings too add up the open round beside the finished one's kept totals.
    assert rows == exact(app)

    # A judge disqualifies an attempt that counts in the finished round: ten seconds later the
    # snapshot no longer adds up what the standings add up, so it is computed again.
    with app.app_context():
        counted = next(row for row in rank(first) if row.correct_count == QUESTIONS)
        db.session.get(Attempt, counted.attempt_id).disqualified = True
        db.session.commit()
    clock.advance(seconds=10)
    text_of(judge.get(PAGE))
    again_at, again = snapshot(app)
    assert again_at != taken_at and [row[1:] for row in again] == summed(app, [first, second]) and again != rows

    # The organiser changes how the open round counts: computed again as well.
    with app.app_context():
        db.session.get(Round, second).counting_attempt = "best"
        db.session.commit()
    clock.advance(seconds=10)
    text_of(judge.get(PAGE))
    best_at, best = snapshot(app)
    assert best_at != again_at and [row[1:] for row in best] == summed(app, [first, second])

    # The second round closes too: exact standings of both, whatever the snapshot said.
    clock.set(SECOND_CLOSES + timedelta(minutes=5))
    final = text_of(judge.get(PAGE))
    assert "Tạm tính" not in final
    assert [row[1:] for row in exact(app)] == summed(app, [first, second])


def test_a_big_contest_computes_its_snapshot_in_a_job_and_shows_the_older_one_meanwhile(make_app, tmp_path):
    app = make_app(RANKING_INLINE_MAX_ATTEMPTS=10)
    clock, (first, _second) = weekly(app, tmp_path)
    generate(app, [first], people=60)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=SLUG)

    first_view = judge.get(PAGE)
    assert first_view.status_code == 303 and "job=" in first_view.headers["Location"]
    progress = first_view.headers["Location"]
    assert "Đang chờ đến lượt" in text_of(judge.get(progress))
    assert snapshot(app) == (None, [])  # nothing computed in the request
    assert judge.get(PAGE).headers["Location"] == progress  # a second view joins the same job
    assert run_jobs(app)
    done = judge.get(progress)
    assert done.status_code == 303
    assert "Tạm tính lúc 12:00:00" in text_of(judge.get(done.headers["Location"]))
    _taken_at, rows = snapshot(app)
    assert rows == exact(app)

    # A minute on, a view starts the job and shows the older snapshot meanwhile, saying so.
    name = newcomer(app, first, "0966000003")
    clock.advance(seconds=61)
    page = text_of(judge.get(PAGE))
    assert "Tạm tính lúc 12:00:00" in page and "Đang tính lại" in page and name not in page
    assert run_jobs(app)
    page = text_of(judge.get(PAGE))
    assert "Tạm tính lúc 12:01:01" in page and "Đang tính lại" not in page and name in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Job.kind == "judging.provisional")) == 2

    # A judge's refresh a minute later waits for the job on its progress page.
    clock.advance(seconds=60)
    asked = judge.post(f"{PAGE}/refresh", data={"csrf_token": csrf_token(judge)})
    assert asked.status_code == 303 and "job=" in asked.headers["Location"]
    assert run_jobs(app)
    back = judge.get(asked.headers["Location"])
    assert "Tạm tính lúc 12:02:01" in text_of(judge.get(back.headers["Location"]))


def test_erasing_a_person_forgets_the_snapshots_that_list_them(app, tmp_path):
    _clock, (first, _second) = weekly(app, tmp_path)
    generate(app, [first], people=40)
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=SLUG)
    text_of(judge.get(PAGE))
    _taken_at, rows = snapshot(app)
    with app.app_context():
        erase_person(db.session.get(User, rows[0][1]), "deletion")
        db.session.commit()
    assert snapshot(app) == (None, [])
    text_of(judge.get(PAGE))
    _taken_at, again = snapshot(app)
    assert rows[0][1] not in [row[1] for row in again] and again == exact(app)


def test_two_refreshes_at_once_compute_one_snapshot(app, tmp_path):
    _clock, (first, _second) = weekly(app, tmp_path)
    generate(app, [first], people=120)
    install_clock(app, DURING, ticking=True)  # a second computation would say a later time

    def refresh():
        with app.app_context():
            build = provisional.refresh(db.session.scalar(select(Contest).where(Contest.slug == SLUG)))
            db.session.commit()
            taken = build.computed_at, build.rows
            db.session.remove()
            return taken

    # The second waits for the first (PostgreSQL: an advisory lock; SQLite: its one writer) and
    # finds a snapshot computed within the minute: it computes nothing.
    first_result, second_result = run_together([refresh, refresh])
    assert first_result == second_result
    _taken_at, rows = snapshot(app)
    assert len(rows) == first_result[1] and rows == exact(app)
