"""Item analysis of a round and judges' key corrections (issue 15 item 5, DESIGN §7).

The scenario: a round of three single-choice questions, all drawn, whose bank marks A correct
in each; question 3's key is mistyped (the true answer is B). Ten takers answer as the table
below says, so every figure is computed by hand in the comments and asserted exactly.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
import time
from datetime import timedelta
from math import sqrt

import pytest
from sqlalchemy import func, select, update

from quizapp.audit import AuditEvent
from quizapp.banks.models import Option, Question
from quizapp.contests.models import Attempt, AttemptItem, Round
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.judging import items
from quizapp.judging.locking import lock_round
from quizapp.judging.models import KeyCorrection, RoundLocked, RoundStillOpen
from tests.attempt_support import (
    CLOSES,
    install_clock,
    load_contest,
    one_round,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.conftest import GENEROUS_LIMITS, Accounts, csrf_token
from tests.job_support import download, run_jobs

QUESTIONS = simple_questions("pt", 3)
# Each taker's letter for questions 1, 2 and 3 (None: left blank). The bank's key is A for all.
#          q1   q2   q3
CHOICES = [("A", "A", "B"),   # taker 0: 2 right
           ("A", "A", "B"),   # 1: 2
           ("A", "A", "B"),   # 2: 2
           ("A", "A", "B"),   # 3: 2
           ("A", "A", "B"),   # 4: 2
           ("A", "D", "B"),   # 5: 1
           ("A", "D", "A"),   # 6: 2
           ("C", "D", "A"),   # 7: 1
           ("C", "D", "C"),   # 8: 0
           ("C", None, "A")]  # 9: 1


def choose(app, clock, taker, round_id: int, letters, *, submit: bool = True) -> int:
    """One attempt answering question n with ``letters[n - 1]``; returns its id."""
    attempt = taker.started(round_id)
    for question in attempt["questions"]:
        number = int(re.search(r"Câu hỏi (\d+)", question["text"]).group(1))
        letter = letters[number - 1]
        if letter is None:
            continue
        option = next(option for option in question["options"] if option["text"].endswith(f"phương án {letter}"))
        clock.advance(seconds=5)
        assert taker.save(attempt["id"], question["id"], [option["id"]]).status_code == 200
    if submit:
        assert taker.submit(attempt["id"]).status_code == 200
    return attempt["id"]


@pytest.fixture
def scenario(make_app, tmp_path):
    return build(make_app(**GENEROUS_LIMITS), tmp_path)


def build(app, tmp_path):
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "phan-tich", questions=QUESTIONS)
    takers = [sign_up(app, full_name=f"Người Dự Thi {n}") for n in range(10)]
    attempts = [choose(app, clock, taker, round_id, letters) for taker, letters in zip(takers, CHOICES, strict=True)]
    with app.app_context():
        ids = {int(re.search(r"Câu hỏi (\d+)", text).group(1)): question_id for question_id, text in
               db.session.execute(select(Question.id, Question.text))}
    return app, clock, round_id, takers, attempts, ids


def judge_client(app, round_id: int):
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def post(client, url: str, data: dict, *, follow: bool = False):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)}, follow_redirects=follow)


def option_id(app, question_id: int, letter: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Option.id).where(Option.question_id == question_id,
                                                         Option.position == "ABCD".index(letter)))


def scores(app, attempt_ids: list[int]) -> list[int]:
    with app.app_context():
        found = dict(db.session.execute(select(Attempt.id, Attempt.correct_count)
                                        .where(Attempt.id.in_(attempt_ids))).all())
        return [found[attempt_id] for attempt_id in attempt_ids]


def test_the_figures_match_the_hand_computed_example(scenario):
    app, _clock, round_id, _takers, _attempts, ids = scenario
    with app.app_context():
        stats = {item.question_id: item for item in items.analyse(round_id)}
        ordered = [item.question_id for item in items.analyse(round_id)]
    # The question that may have a wrong key first, then by discrimination from the lowest.
    assert ordered == [ids[3], ids[2], ids[1]]

    q3 = stats[ids[3]]
    # Right (x) for takers 6, 7, 9; the rest of each score r = 2,2,2,2,2,1,1,0,0,0.
    # n=10, Σx=3, Σr=12, Σr²=22, Σxr=1: (10·1 − 3·12) / √((10·3 − 9)(10·22 − 144)) = −26/√1596.
    assert (q3.drawn, q3.answered, q3.correct) == (10, 10, 3)
    assert q3.facility == pytest.approx(0.3)
    assert q3.discrimination == pytest.approx(-26 / sqrt(1596))
    assert round(q3.discrimination, 2) == -0.65
    assert [(o.letter, o.chosen, o.key) for o in q3.options] == [("A", 3, True), ("B", 6, False), ("C", 1, False),
                                                               ("D", 0, False)]
    assert q3.warning == "Có thể sai đáp án"
    assert len(q3.wrong_key_reasons) == 2 and q3.wrong_key_reasons[1].startswith("Phương án B (không phải đáp án)")
    assert q3.notes == []

    q2 = stats[ids[2]]
    # Taker 9 left it blank: drawn by 10, answered by 9, wrong. r = 1,1,1,1,1,1,2,1,0,1:
    # Σx=5, Σr=10, Σr²=12, Σxr=5: covariance 10·5 − 5·10 = 0.
    assert (q2.drawn, q2.answered, q2.correct) == (10, 9, 5)
    assert q2.discrimination == pytest.approx(0.0)
    assert [(o.letter, o.chosen) for o in q2.options] == [("A", 5), ("B", 0), ("C", 0), ("D", 4)]
    assert q2.warning == "" and q2.wrong_key_reasons == []

    q1 = stats[ids[1]]
    # r = 1,1,1,1,1,0,1,1,0,1: Σx=7, Σr=8, Σr²=8, Σxr=6: (60 − 56) / √(21·16) = 4/√336.
    assert (q1.drawn, q1.answered, q1.correct) == (10, 10, 7)
    assert q1.facility == pytest.approx(0.7)
    assert q1.discrimination == pytest.approx(4 / sqrt(336))
    assert [(o.letter, o.chosen) for o in q1.options] == [("A", 7), ("B", 0), ("C", 3), ("D", 0)]
    assert q1.warning == ""


def test_the_page_shows_the_figures_in_vietnamese_formats(scenario):
    app, _clock, round_id, _takers, _attempts, ids = scenario
    page = judge_client(app, round_id).get(f"/judging/rounds/{round_id}/questions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    card = html[html.index(f'id="q{ids[3]}"'):html.index(f'id="q{ids[2]}"')]
    assert "Có thể sai đáp án" in card
    assert "30,0 %" in card and "-0,65" in card
    assert "60,0 %" in card  # option B: 6 of 10
    assert "Hệ số tương quan" in html and "Moodle" in html  # the page says which index it is


def test_the_correction_form_shows_once_the_round_has_finished_taking_attempts(scenario):
    app, clock, round_id, _takers, _attempts, ids = scenario
    judge = judge_client(app, round_id)
    url = f"/judging/rounds/{round_id}/questions"
    html = judge.get(url).get_data(as_text=True)
    assert "Sửa đáp án câu này" not in html
    assert "Chỉ sửa được đáp án của vòng này sau khi vòng thi kết thúc" in html
    # Closed, but an attempt may still be in its grace period: not yet.
    clock.set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"]))
    assert "Sửa đáp án câu này" not in judge.get(url).get_data(as_text=True)
    clock.advance(seconds=1)
    html = judge.get(url).get_data(as_text=True)
    card = html[html.index(f'id="q{ids[3]}"'):html.index(f'id="q{ids[2]}"')]
    assert "Sửa đáp án câu này" in card and "Chỉ sửa được đáp án" not in html


def test_a_correction_on_an_open_round_is_refused_and_changes_nothing(scenario):
    app, clock, round_id, _takers, attempts, ids = scenario
    judge = judge_client(app, round_id)
    answer = post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                  {"option": option_id(app, ids[3], "B"), "reason": "Đáp án đúng là B"}, follow=True)
    html = answer.get_data(as_text=True)
    # Why (later attempts would draw the bank's key) and what to do (the bank now, this round later).
    assert "Vòng thi chưa kết thúc nên chưa sửa được đáp án" in html
    assert "sửa câu hỏi trong ngân hàng ngay" in html and "sau khi vòng thi kết thúc" in html
    assert scores(app, attempts) == [2, 2, 2, 2, 2, 1, 2, 1, 0, 1]
    with app.app_context():
        assert db.session.scalar(select(KeyCorrection)) is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "question.key_corrected")) == 0
        with pytest.raises(RoundStillOpen):
            items.correct_key(db.session.get(Round, round_id), ids[3], [option_id(app, ids[3], "B")], "Sai", None)
        db.session.rollback()
    # An attempt started now draws the bank's key and is scored with it, as every other one was.
    newcomer = choose(app, clock, sign_up(app), round_id, ("A", "A", "B"))
    assert scores(app, [newcomer]) == [2]


def test_the_csv_has_the_agreed_header_and_a_row_per_question(scenario):
    app, _clock, round_id, _takers, _attempts, ids = scenario
    response = judge_client(app, round_id).get(f"/judging/rounds/{round_id}/questions.csv")
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Câu hỏi", "Số lượt trả lời", "Tỉ lệ đúng", "Độ phân biệt", "Cảnh báo"]
    assert rows[0][-4:] == ["Chọn A", "Chọn B", "Chọn C", "Chọn D"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Câu hỏi"] == QUESTIONS[2].text
    assert (first["Số lượt trả lời"], first["Tỉ lệ đúng"], first["Độ phân biệt"]) == ("10", "30.0", "-0.65")
    assert first["Cảnh báo"].startswith("Có thể sai đáp án; ")
    assert (first["Mã câu hỏi"], first["Đáp án"], first["Chọn B"]) == (str(ids[3]), "A", "6")
    assert len(rows) == 4


def test_a_question_text_that_looks_like_a_formula_is_quoted(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    clock = install_clock(app)
    questions = simple_questions("ct", 1)
    questions = [questions[0].__class__(text="=1+1 là bao nhiêu?", options=("2", "3", "4", "5"), answer="A")]
    round_id = one_round(app, tmp_path, "cong-thuc", questions=questions)
    taker = sign_up(app)
    attempt = taker.started(round_id)
    clock.advance(seconds=5)
    assert taker.submit(attempt["id"]).status_code == 200
    rows = list(csv.reader(io.StringIO(judge_client(app, round_id).get(
        f"/judging/rounds/{round_id}/questions.csv").get_data().decode("utf-8-sig"))))
    assert rows[1][0] == "'=1+1 là bao nhiêu?"


def test_who_may_see_it(scenario):
    app, _clock, round_id, takers, _attempts, ids = scenario
    url = f"/judging/rounds/{round_id}/questions"
    assert takers[0].client.get(url).status_code == 403
    other = app.test_client()
    Accounts(app, other).login_as("judge")  # a judge of no contest
    assert other.get(url).status_code in (403, 404)
    assert other.get(url + ".csv").status_code in (403, 404)
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", round_id=round_id)
    page = organiser.get(url)
    assert page.status_code == 200 and "Sửa đáp án câu này" not in page.get_data(as_text=True)
    refused = post(organiser, f"{url}/{ids[3]}/key", {"option": option_id(app, ids[3], "B"), "reason": "x"})
    assert refused.status_code in (403, 404)


def test_junk_ids_get_404_or_400_never_500(scenario):
    app, _clock, round_id, _takers, _attempts, ids = scenario
    judge = judge_client(app, round_id)
    assert judge.get("/judging/rounds/999999/questions").status_code == 404
    assert judge.get("/judging/rounds/99999999999999999999999/questions.csv").status_code == 404
    assert post(judge, f"/judging/rounds/{round_id}/questions/999999/key",
                {"option": "1", "reason": "Sai"}).status_code == 404
    assert post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                {"option": "B", "reason": "Sai"}).status_code == 400
    assert post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                {"option": "9" * 40, "reason": "Sai"}).status_code == 400
    # Digits that are not ASCII: str.isdigit() holds for them, int() refuses them.
    for value in ("\u00b2", "\u0663", "\uff11", " 1", "+1", "-1"):
        assert post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                    {"option": value, "reason": "Sai"}).status_code == 400, value


def test_a_correction_rescores_the_round_only(tmp_path, scenario):
    app, clock, round_id, takers, attempts, ids = scenario
    # Another contest's round draws the same question; one taker's attempt there.
    (second_id,) = load_contest(app, tmp_path, "cuoc-thi-khac", [round_definition(bank="bank-phan-tich", count=3)])
    other_attempt = choose(app, clock, takers[0], second_id, ("A", "A", "B"))
    # One taker of the first round is still answering: question 3 answered B, not submitted yet.
    late = sign_up(app, full_name="Người Nộp Sau")
    open_attempt = choose(app, clock, late, round_id, ("A", "A", "B"), submit=False)
    assert scores(app, attempts) == [2, 2, 2, 2, 2, 1, 2, 1, 0, 1]

    # Past the close and its grace: the late attempt is not closed yet (that happens lazily).
    clock.set(CLOSES + timedelta(minutes=1))
    judge = judge_client(app, round_id)
    answer = post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                  {"option": option_id(app, ids[3], "B"), "reason": "Đáp án đúng là B theo Nghị quyết."})
    assert answer.status_code == 303
    # 10 drew it; takers 0-5 gain a point, 6, 7 and 9 lose one, taker 8 (C) stays.
    assert "chấm lại 10 bài đã nộp có câu này: 9 bài thay đổi" in judge.get(answer.headers["Location"]).get_data(
        as_text=True)

    # Question 3 now right for takers 0-5 and wrong for 6, 7 and 9.
    assert scores(app, attempts) == [3, 3, 3, 3, 3, 2, 1, 0, 0, 0]
    assert scores(app, [other_attempt]) == [2]  # the other round keeps the bank's key
    # The attempt closed after the correction is scored with the corrected key.
    assert late.submit(open_attempt).status_code == 200
    assert scores(app, [open_attempt]) == [3]
    with app.app_context():
        assert db.session.scalar(select(Option.is_correct).where(Option.id == option_id(app, ids[3], "A")))
        assert not db.session.scalar(select(Option.is_correct).where(Option.id == option_id(app, ids[3], "B")))
        # Every item of question 3 keys B in this round and still A in the other.
        for round_number, order, key in db.session.execute(
                select(Attempt.round_id, AttemptItem.option_ids, AttemptItem.correct_key)
                .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(AttemptItem.question_id == ids[3])):
            letter = "B" if round_number == round_id else "A"
            assert [order[int(index)] for index in key.split(",")] == [option_id(app, ids[3], letter)]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "question.key_corrected"))
        assert event.target_id == str(round_id)
        assert event.before == {"question_id": ids[3], "option_ids": [option_id(app, ids[3], "A")]}
        assert event.after["option_ids"] == [option_id(app, ids[3], "B")]
        assert (event.after["rescored_attempts"], event.after["changed_scores"]) == (10, 9)
        correction = db.session.scalar(select(KeyCorrection))
        assert (correction.round_id, correction.question_id) == (round_id, ids[3])
        # The analysis follows the corrected key: no warning any more.
        q3 = next(item for item in items.analyse(round_id) if item.question_id == ids[3])
        assert q3.warning == "" and [o.letter for o in q3.options if o.key] == ["B"]
        assert q3.correct == 7 and q3.correction is not None


def test_a_correction_is_refused_once_the_round_is_locked(scenario):
    app, clock, round_id, _takers, attempts, ids = scenario
    clock.set(CLOSES + timedelta(minutes=1))
    with app.app_context():
        lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
    judge = judge_client(app, round_id)
    page = judge.get(f"/judging/rounds/{round_id}/questions")
    assert page.status_code == 200 and "Sửa đáp án câu này" not in page.get_data(as_text=True)
    answer = post(judge, f"/judging/rounds/{round_id}/questions/{ids[3]}/key",
                  {"option": option_id(app, ids[3], "B"), "reason": "Sai đáp án"}, follow=True)
    assert "đã khóa" in answer.get_data(as_text=True)
    assert scores(app, attempts) == [2, 2, 2, 2, 2, 1, 2, 1, 0, 1]
    with app.app_context():
        with pytest.raises(RoundLocked):
            items.correct_key(db.session.get(Round, round_id), ids[3], [option_id(app, ids[3], "B")], "Sai", None)
        db.session.rollback()
        assert db.session.scalar(select(KeyCorrection)) is None


def test_a_key_must_fit_the_question(scenario):
    app, clock, round_id, _takers, attempts, ids = scenario
    clock.set(CLOSES + timedelta(minutes=1))
    judge = judge_client(app, round_id)
    url = f"/judging/rounds/{round_id}/questions/{ids[3]}/key"
    two = post(judge, url, {"option": [option_id(app, ids[3], "B"), option_id(app, ids[3], "C")],
                            "reason": "Sai"}, follow=True)
    assert "đúng một phương án" in two.get_data(as_text=True)
    foreign = post(judge, url, {"option": option_id(app, ids[1], "B"), "reason": "Sai"}, follow=True)
    assert "đúng một phương án" in foreign.get_data(as_text=True)
    no_reason = post(judge, url, {"option": option_id(app, ids[3], "B"), "reason": " "}, follow=True)
    assert "Cần ghi lý do" in no_reason.get_data(as_text=True)
    same = post(judge, url, {"option": option_id(app, ids[3], "A"), "reason": "Sai"}, follow=True)
    assert "trùng với đáp án hiện tại" in same.get_data(as_text=True)
    assert scores(app, attempts) == [2, 2, 2, 2, 2, 1, 2, 1, 0, 1]


def test_the_kept_ranking_is_forgotten_and_the_public_key_follows(scenario):
    from quizapp.judging import materialised
    from quizapp.judging.models import RankingBuild
    from quizapp.judging.public import answer_key

    app, clock, round_id, _takers, _attempts, ids = scenario
    clock.set(CLOSES + timedelta(minutes=1))
    with app.app_context():
        assert materialised.keep(db.session.get(Round, round_id)) is not None
        db.session.commit()
        items.correct_key(db.session.get(Round, round_id), ids[3], [option_id(app, ids[3], "B")], "Sai đáp án", None)
        db.session.commit()
        assert db.session.scalar(select(RankingBuild).where(RankingBuild.round_id == round_id)) is None
        line = next(line for line in answer_key(round_id) if line.text == QUESTIONS[2].text)
        assert line.correct == ["pt câu 3 phương án B"]
        # Lock after the correction: the snapshot holds the corrected scores.
        result = lock_round(db.session.get(Round, round_id), None)
        db.session.commit()
        assert [row[4] for row in result.snapshot_rows()][:6] == ["3"] * 5 + ["2"]


def test_an_erased_attempt_is_not_counted(scenario):
    app, _clock, round_id, _takers, attempts, ids = scenario
    with app.app_context():
        db.session.execute(update(Attempt).where(Attempt.id == attempts[9]).values(erased=True))
        db.session.commit()
        q3 = next(item for item in items.analyse(round_id) if item.question_id == ids[3])
        assert (q3.drawn, q3.correct) == (9, 2)
        assert items.counted_attempts(round_id) == 9


@pytest.mark.skipif(not os.environ.get("QUIZAPP_DATABASE_URL", "").startswith(("postgres://", "postgresql")),
                    reason="row locks between two transactions: PostgreSQL (SQLite runs one writer at a time)")
def test_a_submit_during_a_correction_waits_for_it_and_scores_with_the_new_key(scenario):
    app, clock, round_id, _takers, _attempts, ids = scenario
    late = sign_up(app, full_name="Người Nộp Giữa Chừng")
    open_attempt = choose(app, clock, late, round_id, ("A", "A", "B"), submit=False)
    # A correction comes after the round has finished taking attempts; an attempt still open then
    # (past its deadline and grace, closed lazily) is closed by its taker's submit or by an
    # expiry, which may come while the correction is under way.
    clock.set(CLOSES + timedelta(minutes=1))
    corrected, committed = threading.Event(), threading.Event()

    def correct() -> None:
        with app.app_context():
            items.correct_key(db.session.get(Round, round_id), ids[3], [option_id(app, ids[3], "B")], "Sai", None)
            corrected.set()
            # Uncommitted for a while: a submit now must wait, or it would score with the old key.
            time.sleep(1.0)
            committed.set()
            db.session.commit()

    judge = threading.Thread(target=correct)
    judge.start()
    assert corrected.wait(30)
    assert late.submit(open_attempt).status_code == 200
    assert committed.is_set()  # the submit came back only after the correction
    judge.join(30)
    assert scores(app, [open_attempt]) == [3]


def big_closed_round(make_app, tmp_path):
    """The scenario as a big round (analysed by a background job), closed, with its judge."""
    app, clock, round_id, _takers, _attempts, ids = build(
        make_app(**GENEROUS_LIMITS, ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS=5), tmp_path)
    clock.set(CLOSES + timedelta(minutes=1))
    return app, round_id, ids, judge_client(app, round_id), f"/judging/rounds/{round_id}/questions"


def test_a_big_round_is_analysed_by_a_background_job_and_kept_until_a_correction(make_app, tmp_path):
    app, round_id, ids, judge, url = big_closed_round(make_app, tmp_path)
    page = download(judge, url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Có thể sai đáp án" in html and "-0,65" in html and "Số liệu tính lúc" in html
    # Kept: the next view and the CSV read the job's analysis, no new job.
    assert judge.get(url).status_code == 200
    rows = list(csv.reader(io.StringIO(judge.get(f"{url}.csv").get_data().decode("utf-8-sig"))))
    assert (rows[1][5], rows[1][3]) == (str(ids[3]), "-0.65")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "judging.items")) == 1
    post(judge, f"{url}/{ids[3]}/key", {"option": option_id(app, ids[3], "B"), "reason": "Đáp án đúng là B"})
    # The correction changed what was counted: a new analysis, without the warning.
    again = download(judge, url)
    assert again.status_code == 200
    assert "badge warn" not in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "judging.items")) == 2


def test_a_job_token_of_another_round_or_junk_is_404(scenario):
    app, _clock, round_id, _takers, _attempts, _ids = scenario
    judge = judge_client(app, round_id)
    assert judge.get(f"/judging/rounds/{round_id}/questions?job=nothing").status_code == 404
    assert judge.get(f"/judging/rounds/{round_id}/questions.csv?job={'0' * 32}").status_code == 404
    assert judge.get(f"/judging/rounds/{round_id}/questions/jobs/{'0' * 32}").status_code == 404


def test_a_token_of_another_kind_of_job_of_the_round_is_404(scenario):
    app, clock, round_id, _takers, _attempts, _ids = scenario
    clock.set(CLOSES + timedelta(minutes=1))
    judge = judge_client(app, round_id)
    started = judge.get(f"/judging/rounds/{round_id}/export.csv")
    assert started.status_code == 303
    token = re.search(r"job=([0-9a-f]{32})", started.headers["Location"]).group(1)
    run_jobs(app)
    with app.app_context():
        assert db.session.get(Job, token).status == "finished"
    # The ranking's CSV is not an analysis: neither shown as one nor polled as one.
    for url in (f"/judging/rounds/{round_id}/questions?job={token}",
                f"/judging/rounds/{round_id}/questions.csv?job={token}",
                f"/judging/rounds/{round_id}/questions/jobs/{token}"):
        assert judge.get(url).status_code == 404, url


def test_an_organiser_who_is_not_a_judge_sees_the_analysis_job_finish(make_app, tmp_path):
    app, _clock, round_id, _takers, _attempts, _ids = build(
        make_app(**GENEROUS_LIMITS, ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS=5), tmp_path)
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", round_id=round_id)
    url = f"/judging/rounds/{round_id}/questions"
    started = organiser.get(url)
    assert started.status_code == 303
    progress = organiser.get(started.headers["Location"])
    assert progress.status_code == 200
    status_url = re.search(r'data-status-url="([^"]+)"', progress.get_data(as_text=True)).group(1)
    token = re.search(r"job=([0-9a-f]{32})", started.headers["Location"]).group(1)
    assert status_url == f"{url}/jobs/{token}"
    assert organiser.get(status_url).get_json()["status"] == "queued"
    run_jobs(app)
    assert organiser.get(status_url).get_json()["status"] == "finished"
    page = organiser.get(started.headers["Location"])
    assert page.status_code == 200 and "Có thể sai đáp án" in page.get_data(as_text=True)
    # A taker may not poll it.
    assert _takers[0].client.get(status_url).status_code == 403


def test_refresh_joins_the_rounds_analysis_under_way(make_app, tmp_path):
    app, clock, round_id, _takers, _attempts, _ids = build(
        make_app(**GENEROUS_LIMITS, ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS=5), tmp_path)
    judge = judge_client(app, round_id)
    url = f"/judging/rounds/{round_id}/questions"
    first = judge.get(url)
    assert first.status_code == 303
    # New submissions change what a new analysis would count; asking again, even with
    # ?refresh=1, joins the one queued instead of starting a full scan beside it.
    for _ in range(3):
        choose(app, clock, sign_up(app), round_id, ("A", "A", "A"))
        again = judge.get(f"{url}?refresh=1")
        assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "judging.items")) == 1
    run_jobs(app)
    # Once it is done, a refresh makes a new one that counts the new attempts.
    assert download(judge, f"{url}?refresh=1").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "judging.items")) == 2


def test_the_organisers_dashboard_lists_the_questions_to_review(scenario):
    app, _clock, round_id, _takers, _attempts, ids = scenario
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", round_id=round_id)
    html = organiser.get("/contests/manage/phan-tich/dashboard?round=1").get_data(as_text=True)
    listed = html[html.index('id="h-questions"'):]
    assert listed.index(f"#{ids[3]}:") < listed.index(f"#{ids[2]}:") < listed.index(f"#{ids[1]}:")
    assert "Tỉ lệ đúng 30,0 %, độ phân biệt -0,65" in listed and "badge warn" in listed
    assert f'href="/judging/rounds/{round_id}/questions"' in listed
    # All rounds: a link per round, nothing computed.
    every = organiser.get("/contests/manage/phan-tich/dashboard").get_data(as_text=True)
    assert f'href="/judging/rounds/{round_id}/questions"' in every and "badge warn" not in every


def test_the_dashboard_never_analyses_a_big_round_itself(make_app, tmp_path):
    app, _clock, round_id, _takers, _attempts, _ids = build(
        make_app(**GENEROUS_LIMITS, ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS=5), tmp_path)
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", round_id=round_id)
    html = organiser.get("/contests/manage/phan-tich/dashboard?round=1").get_data(as_text=True)
    assert "phân tích câu hỏi được tính riêng" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_notes_for_too_easy_and_too_hard_questions_and_none_on_few_attempts():
    def judged(drawn: int, correct: int) -> items.ItemStats:
        item = items.ItemStats(1, "Câu hỏi", False, drawn=drawn, answered=drawn, correct=correct, options=[
            items.OptionCount(1, "A", "Đúng", correct, True), items.OptionCount(2, "B", "Sai", drawn - correct, False)])
        items._judge(item)
        return item

    assert judged(20, 19).notes == ["Quá dễ"] and judged(20, 19).warning == ""
    assert judged(20, 4).notes == ["Quá khó"]
    # The key chosen less than a wrong option: a possible wrong key, whatever the correlation.
    assert judged(20, 4).warning == "Có thể sai đáp án"
    assert judged(20, 10).notes == [] and judged(20, 10).warning == ""
    # Fewer than ten attempts tell nothing yet.
    few = judged(9, 1)
    assert few.notes == [] and few.warning == ""


def test_an_open_big_rounds_analysis_is_shown_for_ten_minutes_then_made_again(make_app, tmp_path):
    app, clock, round_id, _takers, _attempts, _ids = build(
        make_app(**GENEROUS_LIMITS, ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS=5), tmp_path)
    judge = judge_client(app, round_id)
    url = f"/judging/rounds/{round_id}/questions"

    def analyses() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "judging.items"))

    assert download(judge, url).status_code == 200 and analyses() == 1
    # A new submission changes what would be counted; the recent analysis is shown meanwhile.
    choose(app, clock, sign_up(app), round_id, ("A", "A", "A"))
    page = judge.get(url)
    assert page.status_code == 200 and "Tính lại với các bài nộp mới" in page.get_data(as_text=True)
    assert analyses() == 1
    # Asked for, or ten minutes later: a new one, counting the new attempt.
    assert download(judge, f"{url}?refresh=1").status_code == 200 and analyses() == 2
    clock.advance(minutes=11)
    html = download(judge, url).get_data(as_text=True)
    assert analyses() == 3 and "<strong>11</strong> bài đã nộp" in html
    with app.app_context():
        assert not db.session.scalar(select(Job.keep).where(Job.kind == "judging.items").limit(1))


def test_a_small_rounds_analysis_is_reused_for_a_minute_while_nothing_it_counted_changes(scenario, monkeypatch):
    app, clock, round_id, _takers, _attempts, ids = scenario
    scans = []
    analyse = items.analyse
    monkeypatch.setattr(items, "analyse", lambda round_id: scans.append(round_id) or analyse(round_id))
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", round_id=round_id)
    dashboard = "/contests/manage/phan-tich/dashboard?round=1"
    judge = judge_client(app, round_id)
    page = f"/judging/rounds/{round_id}/questions"

    def notes() -> str:
        html = organiser.get(dashboard).get_data(as_text=True)
        return html[html.index('id="h-questions"'):]

    assert "Tỉ lệ đúng 30,0 %" in notes()
    assert "Tỉ lệ đúng 30,0 %" in notes()
    assert judge.get(page).status_code == 200 and judge.get(f"{page}.csv").status_code == 200
    assert len(scans) == 1  # one scan for two dashboards, the page and its CSV
    # A new submission changes what is counted: computed again, counting it.
    choose(app, clock, sign_up(app), round_id, ("A", "A", "B"))
    assert "Tỉ lệ đúng 27,3 %" in notes() and len(scans) == 2  # 3 of 11
    # A minute on, computed again whatever the stamp says; "Tính lại" asks for a new one at once.
    clock.advance(seconds=items.CACHE_SECONDS)
    notes()
    assert len(scans) == 3
    assert judge.get(f"{page}?refresh=1").status_code == 200 and len(scans) == 4
    # A correction (after the close) is seen at once.
    clock.set(CLOSES + timedelta(minutes=1))
    judge.get(page)
    post(judge, f"{page}/{ids[3]}/key", {"option": option_id(app, ids[3], "B"), "reason": "Đáp án đúng là B"})
    corrected = judge.get(page).get_data(as_text=True)
    card = corrected[corrected.index(f'id="q{ids[3]}"'):]
    assert "Đáp án đã được giám khảo sửa" in card and len(scans) == 6


def test_an_analysis_queued_before_a_correction_is_not_joined(make_app, tmp_path):
    app, _round_id, ids, judge, url = big_closed_round(make_app, tmp_path)
    before = judge.get(url)
    assert before.status_code == 303
    post(judge, f"{url}/{ids[3]}/key", {"option": option_id(app, ids[3], "B"), "reason": "Đáp án đúng là B"})
    # The queued one may read the old key when it runs: a new one, with the correction.
    after = judge.get(url)
    assert after.status_code == 303 and after.headers["Location"] != before.headers["Location"]
    run_jobs(app)
    assert "badge warn" not in judge.get(after.headers["Location"]).get_data(as_text=True)
