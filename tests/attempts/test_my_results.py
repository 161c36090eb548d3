"""Takers learn their results (issue 15): ``GET /api/v1/me/results`` and "Kết quả của tôi" show
the counting attempt when the review policy lets the taker see their score, rank and award only
once the judges lock the round; the contest page links a locked round's public results and says
that a closed one waits for them; the result page says the rank and award."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from quizapp.contests.models import Round
from quizapp.extensions import db
from tests.attempt_support import (
    CLOSES,
    answer_key,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.conftest import GENEROUS_LIMITS
from tests.judging.test_locking import judge_of, lock

QUESTIONS = 4
TIERS = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Khuyến khích", "count": 1}]


def text_of(response) -> str:
    """The page's text as a reader sees it: no tags, spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(strong|a|em|span)\b[^>]*>", "", html)  # inline: no break in the sentence
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def take(app, taker, round_id: int, right: int, clock) -> dict:
    """One attempt with ``right`` questions answered correctly, submitted a minute later."""
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    for question in attempt["questions"][:right]:
        taker.save(attempt["id"], question["id"], sorted(key[question["id"]]))
    clock.advance(minutes=1)
    assert taker.submit(attempt["id"]).status_code == 200
    return attempt


def results_of(taker) -> dict[int, dict]:
    response = taker.call("GET", "/me/results")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return {item["round"]["id"]: item for item in response.get_json()}


def setup(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    clock = install_clock(app)
    import_bank(app, tmp_path, "bank-kq", simple_questions("kq", QUESTIONS))
    week, quick = load_contest(app, tmp_path, "ket-qua", [
        round_definition(1, bank="bank-kq", count=QUESTIONS) | {"awards": TIERS},
        round_definition(2, bank="bank-kq", count=QUESTIONS, review="after_submit"),
    ])
    return app, clock, week, quick


def test_results_follow_the_review_policy_and_the_lock(make_app, tmp_path):
    app, clock, week, quick = setup(make_app, tmp_path)
    first, second, third = (sign_up(app, full_name=name) for name in ("Người Thứ Nhất", "Người Thứ Hai", "Người Ba"))
    take(app, first, week, 1, clock)
    best = take(app, first, week, 4, clock)
    take(app, second, week, 2, clock)
    take(app, third, week, 1, clock)
    quick_attempt = take(app, first, quick, 3, clock)

    # While the week is open, after_close hides the score; after_submit shows it at once.
    mine = results_of(first)
    assert mine[week]["attempt"] is None and mine[week]["score_hidden"] is True
    assert mine[week]["attempts_used"] == 2 and mine[week]["rank"] is None and mine[week]["award"] is None
    assert mine[quick]["attempt"]["id"] == quick_attempt["id"] and mine[quick]["attempt"]["correct_count"] == 3
    assert [item["round"]["id"] for item in results_of(first).values()] == [quick, week]  # later close first
    page = text_of(first.client.get("/me/results"))
    assert "Số câu đúng sẽ được công bố sau khi vòng thi kết thúc" in page and "3/4" in page

    # Closed, not yet locked: the score and the counting attempt (the better one), no rank.
    clock.set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))
    week_result = results_of(first)[week]
    assert week_result["attempt"]["id"] == best["id"] and week_result["attempt"]["correct_count"] == 4
    assert week_result["provisional"] is True and week_result["locked"] is False
    assert (week_result["rank"], week_result["award"], week_result["results_url"]) == (None, None, None)
    page = text_of(first.client.get("/me/results"))
    assert page.count("Đã đóng, chờ công bố kết quả.") == 2 and "Bạn xếp hạng" not in page
    contest_page = first.client.get("/contests/ket-qua")
    assert text_of(contest_page).count("Đã đóng, chờ công bố kết quả.") == 2
    assert "/contests/ket-qua/rounds/1/results" not in contest_page.get_data(as_text=True)
    assert "Bạn xếp hạng" not in text_of(first.client.get(f"/contests/attempts/{best['id']}/result"))

    lock(judge_of(app, week), week)

    locked = {name: results_of(taker)[week] for name, taker in
              (("first", first), ("second", second), ("third", third))}
    assert [(item["rank"], item["ranked_count"], item["award"]) for item in locked.values()] == [
        (1, 3, "Giải Nhất"), (2, 3, "Giải Khuyến khích"), (3, 3, None)]
    assert all(item["locked"] and not item["provisional"] and item["locked_at"] for item in locked.values())
    assert locked["first"]["results_url"] == "/contests/ket-qua/rounds/1/results"
    # A winner downloads their certificate; a person without an award has none to download.
    assert locked["first"]["certificate_url"] == f"/certificates/rounds/{week}.pdf"
    assert locked["second"]["certificate_url"] == f"/certificates/rounds/{week}.pdf"
    assert locked["third"]["certificate_url"] is None
    certificate = first.client.get(locked["first"]["certificate_url"])
    assert certificate.status_code == 200 and certificate.data.startswith(b"%PDF")
    assert third.client.get(f"/certificates/rounds/{week}.pdf").status_code == 404
    assert locked["first"]["attempt"]["id"] == best["id"]

    page = text_of(first.client.get("/me/results"))
    assert "Bạn xếp hạng 1/3 — Giải Nhất" in page
    assert page.count("Đã đóng, chờ công bố kết quả.") == 1  # the other round, not locked yet
    assert "Bạn xếp hạng 3/3" in text_of(third.client.get("/me/results"))
    assert "không nằm trong danh sách đạt giải" in text_of(third.client.get("/me/results"))
    result_page = text_of(first.client.get(f"/contests/attempts/{best['id']}/result"))
    assert "Bạn xếp hạng 1/3 — Giải Nhất." in result_page
    other_attempt = next(item for item in _attempt_ids(app, week, first.user_id) if item != best["id"])
    assert "Lượt được tính của bạn là lượt 2: xếp hạng 1/3." in text_of(
        first.client.get(f"/contests/attempts/{other_attempt}/result"))
    assert "Bạn xếp hạng 2/3 — Giải Khuyến khích" in text_of(second.client.get("/me/results"))
    contest_page = first.client.get("/contests/ket-qua")
    assert 'href="/contests/ket-qua/rounds/1/results">Xem kết quả' in contest_page.get_data(as_text=True)
    assert text_of(contest_page).count("Đã đóng, chờ công bố kết quả.") == 1  # round 2 only
    assert app.test_client().get("/contests/ket-qua/rounds/1/results").status_code == 200


def test_a_big_ranking_reads_in_vietnamese_numbers(make_app, tmp_path):
    app, clock, week, _quick = setup(make_app, tmp_path)
    taker = sign_up(app)
    attempt = take(app, taker, week, 4, clock)
    clock.set(CLOSES + timedelta(minutes=1))
    lock(judge_of(app, week), week)
    with app.app_context():
        db.session.get(Round, week).ranked_count = 1393  # as if 1,393 had been ranked
        db.session.commit()

    assert "Bạn xếp hạng 1/1.393 — Giải Nhất" in text_of(taker.client.get(f"/contests/attempts/{attempt['id']}/result"))


def test_results_are_the_callers_own_and_need_a_sign_in(make_app, tmp_path):
    app, clock, week, _quick = setup(make_app, tmp_path)
    taker = sign_up(app)
    take(app, taker, week, 2, clock)
    stranger = sign_up(app)

    assert results_of(stranger) == {}
    assert "Bạn chưa tham gia vòng thi nào." in text_of(stranger.client.get("/me/results"))
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/me/results").status_code == 401
    assert anonymous.get("/me/results").status_code == 302
    # Linked from the navigation, the contest list and the profile.
    assert 'href="/me/results"' in taker.client.get("/contests/").get_data(as_text=True)
    assert taker.client.get("/auth/profile").get_data(as_text=True).count('href="/me/results"') == 2


def test_a_disqualified_taker_is_told_so_and_gets_no_rank(make_app, tmp_path):
    app, clock, week, _quick = setup(make_app, tmp_path)
    cheat, honest = sign_up(app), sign_up(app)
    attempt = take(app, cheat, week, 4, clock)
    take(app, honest, week, 2, clock)
    with app.app_context():
        from quizapp.contests.models import Attempt

        db.session.get(Attempt, attempt["id"]).disqualified = True
        db.session.commit()
    clock.set(CLOSES + timedelta(minutes=1))
    lock(judge_of(app, week), week)

    mine = results_of(cheat)[week]
    assert (mine["eligible"], mine["attempt"], mine["rank"], mine["award"]) == (False, None, None, None)
    assert "Lượt thi của bạn không đủ điều kiện xét giải." in text_of(cheat.client.get("/me/results"))
    assert results_of(honest)[week]["award"] == "Giải Nhất"


def _attempt_ids(app, round_id: int, user_id: int) -> list[int]:
    from sqlalchemy import select

    from quizapp.contests.models import Attempt

    with app.app_context():
        return list(db.session.scalars(select(Attempt.id).where(Attempt.round_id == round_id,
                                                                Attempt.user_id == user_id)))
