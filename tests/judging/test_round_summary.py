"""The printable round summary for the department's report: the answer key, participation
figures and the winners, with masked phones and no birth date or ID number (DESIGN §3 rule 7),
for the contest's organisers and judges only."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import distinct, func, select, update

from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.locking import lock_round
from quizapp.judging.models import RoundResult
from quizapp.units.models import Unit
from tests.attempt_support import (
    CLOSES,
    Question,
    answer_key,
    install_clock,
    load_contest,
    one_round,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.conftest import GENEROUS_LIMITS, Accounts

QUESTIONS = [*simple_questions("bc", 3), Question(
    text="Câu hỏi 4 của bộ bc: chọn các phương án đúng?",
    options=tuple(f"bc câu 4 phương án {letter}" for letter in "ABCD"), answer="A,C", multiple=True)]
AWARDS = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}, {"name": "Giải Ba", "count": 2}]
BIRTH_DATE = date(1987, 3, 4)
WARNING = "Kết quả chưa khóa — danh sách có thể thay đổi"
# By the scenario below: the best of each taker, the disqualified one out, ties on the number
# of correct answers broken by the shorter time.
EXPECTED_WINNERS = [("Giải Nhất", 0), ("Giải Nhì", 3), ("Giải Nhì", 2), ("Giải Ba", 6), ("Giải Ba", 1)]


def reported_round(app, tmp_path):
    """A round of 8 takers in two units, 10 attempts: taker n gets n % 4 + 1 of the 4 questions
    right, taker 0 then gets everything right in a second attempt, taker 1 leaves a second
    attempt open (closed at its deadline later), taker 7 is disqualified."""
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "bao-cao", questions=QUESTIONS, max_attempts=None)
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == round_id).values(awards=AWARDS))
        db.session.add_all([Unit(code="P1", name="Phường Một"), Unit(code="P2", name="Phường Hai")])
        db.session.commit()
    takers = [sign_up(app, full_name=f"Người Báo Cáo {n}", unit_code="P1" if n % 3 else "P2",
                      birth_date=BIRTH_DATE, id_number=f"00108700{n:04d}") for n in range(8)]
    for n, taker in enumerate(takers):
        answer(app, clock, taker, round_id, right=n % 4 + 1, seconds=10 + n)
    answer(app, clock, takers[0], round_id, right=4, seconds=10)
    takers[1].started(round_id)
    with app.app_context():
        db.session.execute(update(Attempt).where(Attempt.user_id == takers[7].user_id).values(
            disqualified=True, disqualify_reason="Làm bài hộ"))
        db.session.commit()
    return round_id, clock, takers


def answer(app, clock, taker, round_id: int, *, right: int, seconds: int) -> None:
    """One submitted attempt: the first ``right`` questions right, the others wrong, each
    answer ``seconds`` after the one before."""
    attempt = taker.started(round_id)
    key = answer_key(app, attempt)
    for index, question in enumerate(attempt["questions"]):
        clock.advance(seconds=seconds)
        correct = key[question["id"]]
        wrong = next(option["id"] for option in question["options"] if option["id"] not in correct)
        chosen = sorted(correct) if index < right else [wrong]
        assert taker.save(attempt["id"], question["id"], chosen).status_code == 200
    assert taker.submit(attempt["id"]).status_code == 200


def staff_client(app, role: str, round_id: int | None = None):
    """A signed-in client whose account has ``role``, and holds it in the round's contest when
    ``round_id`` is given."""
    client = app.test_client()
    Accounts(app, client).login_as(role, round_id=round_id)
    return client


def winner_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table id="winners">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def masked(phone: str) -> str:
    return f"{phone[:2]}xx xxx {phone[-3:]}"


def assert_expected_winners(html: str, takers) -> None:
    rows = winner_rows(html)
    assert [(row[0], row[2]) for row in rows] == [(award, f"Người Báo Cáo {n}") for award, n in EXPECTED_WINNERS]
    assert [row[3] for row in rows] == [masked(takers[n].phone) for _, n in EXPECTED_WINNERS]
    assert [int(row[1]) for row in rows] == [1, 2, 3, 4, 5]  # the places, in ranking order
    assert rows[0][5] == "4/4" and rows[-1][5] == "2/4"


def assert_no_personal_data(html: str, takers, checksum: str = "") -> None:
    # A hex checksum may hold a run of ten digits by chance: it is no phone number.
    scanned = html.replace(checksum, "") if checksum else html
    assert not re.search(r"0\d{9}", scanned), "a full phone number (or an ID number) is on the summary"
    assert not any(taker.phone in html for taker in takers)
    assert "1987" not in html  # no birth date, however written


def test_a_locked_round_summary_has_the_key_the_figures_and_the_winners(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, clock, takers = reported_round(app, tmp_path)
    clock.set(CLOSES + timedelta(minutes=1))
    with app.app_context():
        lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
        checksum = db.session.scalar(select(RoundResult.checksum).where(RoundResult.round_id == round_id))

    page = staff_client(app, "judge", round_id).get(f"/judging/rounds/{round_id}/summary")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Cuộc thi bao-cao" in html and "Vòng 1: Tuần 1" in html
    assert "từ 10:00 06/05/2030 đến 09:00 13/05/2030 (giờ Việt Nam)" in html  # Asia/Ho_Chi_Minh, not UTC
    assert f'<code id="checksum">{checksum}</code>' in html and WARNING not in html
    key = re.search(r'<ol class="answer-key" id="answer-key">(.*?)</ol>', html, re.S).group(1)
    assert key.count("<li>") == len(QUESTIONS)
    for question in QUESTIONS:
        right = "; ".join(option for option in question.options if option in question.correct_texts)
        assert f"<li>{question.text}<br><strong>Đáp án: {right}</strong></li>" in key
    assert "Đáp án: bc câu 4 phương án A; bc câu 4 phương án C<" in key  # both options of the multiple choice

    submitted = (Attempt.round_id == round_id, Attempt.status == "submitted")
    valid = (*submitted, Attempt.disqualified.is_(False))
    with app.app_context():
        figures = {
            "people": db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(*valid)),
            "started": db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.round_id == round_id)),
            "submitted": db.session.scalar(select(func.count()).select_from(Attempt).where(*submitted)),
            "valid": db.session.scalar(select(func.count()).select_from(Attempt).where(*valid)),
            "all-correct": db.session.scalar(select(func.count(distinct(Attempt.user_id))).where(
                *valid, Attempt.correct_count == Attempt.question_count)),
        }
        in_p1 = db.session.scalar(select(func.count(distinct(Attempt.user_id))).join(User).join(Unit)
                                  .where(*valid, Unit.code == "P1"))
    assert figures == {"people": 7, "started": 10, "submitted": 10, "valid": 9, "all-correct": 2}
    for name, count in figures.items():
        assert f'id="{name}">{count}<' in html
    assert f"Phường Một: {in_p1} người" in html

    assert_expected_winners(html, takers)
    assert_no_personal_data(html, takers, checksum)


def test_an_unlocked_closed_round_lists_the_current_awards_with_a_warning(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, clock, takers = reported_round(app, tmp_path)
    clock.set(CLOSES + timedelta(minutes=1))

    page = staff_client(app, "organiser", round_id).get(f"/judging/rounds/{round_id}/summary")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count(WARNING) == 2  # in the header and over the list
    assert 'id="checksum"' not in html
    assert_expected_winners(html, takers)
    assert "bc câu 1 phương án A" in html
    assert_no_personal_data(html, takers)


def test_an_open_round_names_no_winners_and_keeps_its_answer_key(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, _clock, takers = reported_round(app, tmp_path)

    page = staff_client(app, "judge", round_id).get(f"/judging/rounds/{round_id}/summary")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Người đạt giải được xác định sau khi vòng thi kết thúc" in html and WARNING in html
    assert 'id="winners"' not in html and "Người Báo Cáo" not in html
    assert not any(question.text in html or question.options[0] in html for question in QUESTIONS)
    assert 'id="started">10<' in html and 'id="submitted">9<' in html  # taker 1's second attempt is open
    assert_no_personal_data(html, takers)


def test_only_the_contests_organisers_and_judges_see_the_summary(make_app, tmp_path):
    app = make_app()
    install_clock(app)
    round_id = one_round(app, tmp_path, "bao-cao", questions=simple_questions("bc", 2))
    other_round = one_round(app, tmp_path, "cuoc-thi-khac", questions=simple_questions("kh", 2))
    url = f"/judging/rounds/{round_id}/summary"

    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    taker = app.test_client()
    Accounts(app, taker).login_as("taker")
    assert taker.get(url).status_code == 403
    assert staff_client(app, "judge").get(url).status_code == 403  # a judge of no contest
    assert staff_client(app, "judge", other_round).get(url).status_code == 403
    assert staff_client(app, "organiser", other_round).get(url).status_code == 403
    assert staff_client(app, "organiser", round_id).get(url).status_code == 200
    assert staff_client(app, "admin").get(url).status_code == 200
    judge = staff_client(app, "judge", round_id)
    assert judge.get(url).status_code == 200
    assert judge.get("/judging/rounds/999999/summary").status_code == 404
    assert f'href="{url}"' in judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)


def test_a_finished_rounds_summary_holds_back_the_key_another_contests_round_still_draws(make_app, tmp_path):
    """The summary is printed and circulated: it keeps back what a timed round can still ask."""
    app = make_app(**GENEROUS_LIMITS)
    round_id, clock, _takers = reported_round(app, tmp_path)
    later = round_definition(1, bank="bank-bao-cao", count=4, opens=CLOSES, closes=CLOSES + timedelta(days=7))
    load_contest(app, tmp_path, "tinh-ban", [later])
    clock.set(CLOSES + timedelta(minutes=1))

    html = staff_client(app, "judge", round_id).get(f"/judging/rounds/{round_id}/summary").get_data(as_text=True)

    key = re.search(r'<ol class="answer-key" id="answer-key">(.*?)</ol>', html, re.S).group(1)
    assert all(question.text in key for question in QUESTIONS)
    assert "<strong>Đáp án:" not in key
    assert not any(option in key for question in QUESTIONS for option in question.options)
    assert key.count("Đáp án sẽ được công bố sau 09:00 ngày 20/05/2030") == len(QUESTIONS)
