"""What a taker saw is what is scored (DESIGN §3 rule 9): an attempt keeps the revision of each
question it drew. An organiser's later edit or deactivation changes future draws only: the
attempt's page, its review, its score and the ranking stay as drawn."""

from __future__ import annotations

from quizapp.judging.ranking import rank
from tests.attempt_support import (
    answer_key,
    install_clock,
    one_round,
    sign_up,
    simple_questions,
)
from tests.conftest import Accounts, csrf_token

EDITED = {"topic": "Chung", "text": "Câu hỏi đã bị sửa sau khi rút?", "option_a": "Mới A", "option_b": "Mới B",
          "option_c": "Mới C", "correct": ["C"], "explanation": "Giải thích mới."}


def shown(attempt: dict) -> list[tuple[int, str, list[tuple[str, str]]]]:
    return [(question["id"], question["text"], [(option["id"], option["text"]) for option in question["options"]])
            for question in attempt["questions"]]


def test_an_edit_or_deactivation_after_the_draw_leaves_the_attempt_as_drawn(app, tmp_path):
    install_clock(app)
    questions = simple_questions("ban", 3)
    # A practice round: its review shows keys at submit (no competitive round draws this bank).
    round_id = one_round(app, tmp_path, "ban", questions=questions, review="after_submit", practice=True)
    taker = sign_up(app)
    drawn = taker.started(round_id)
    key = answer_key(app, drawn)
    texts = {question.text: question for question in questions}
    edited_id, deactivated_id, _ = (question["id"] for question in drawn["questions"])

    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    edit = admin.post(f"/banks/bank-ban/questions/{edited_id}", data={**EDITED, "csrf_token": csrf_token(admin)})
    deactivate = admin.post(f"/banks/bank-ban/questions/{deactivated_id}/active",
                            data={"active": "0", "csrf_token": csrf_token(admin)})
    assert edit.status_code == 302 and deactivate.status_code == 302

    during = taker.attempt(drawn["id"]).get_json()
    for question_id, option_ids in key.items():
        assert taker.save(drawn["id"], question_id, sorted(option_ids)).status_code == 200
    submitted = taker.submit(drawn["id"]).get_json()
    review = taker.attempt(drawn["id"]).get_json()
    page = taker.client.get(f"/contests/attempts/{drawn['id']}/result").get_data(as_text=True)

    assert shown(during) == shown(drawn)
    assert shown(review) == shown(drawn)
    assert submitted["correct_count"] == 3
    for question in review["questions"]:
        original = texts[question["text"]]
        assert set(question["correct"]) == key[question["id"]]
        assert question["explanation"] == original.explanation
    assert "Câu hỏi đã bị sửa sau khi rút?" not in page and "Mới A" not in page and "Giải thích mới." not in page
    assert all(question.text in page and question.explanation in page for question in questions)
    with app.app_context():
        (ranked,) = rank(round_id)
        assert (ranked.user_id, ranked.correct_count) == (taker.user_id, 3)


def test_a_new_attempt_draws_the_edited_question_and_never_the_deactivated_one(app, tmp_path):
    install_clock(app)
    round_id = one_round(app, tmp_path, "moi", questions=simple_questions("moi", 3), count=2, max_attempts=None,
                         review="after_submit")
    first = sign_up(app)
    drawn = first.started(round_id)
    edited_id, deactivated_id = (question["id"] for question in drawn["questions"])
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    admin.post(f"/banks/bank-moi/questions/{edited_id}", data={**EDITED, "csrf_token": csrf_token(admin)})
    admin.post(f"/banks/bank-moi/questions/{deactivated_id}/active",
               data={"active": "0", "csrf_token": csrf_token(admin)})

    later = sign_up(app).started(round_id)

    by_id = {question["id"]: question for question in later["questions"]}
    assert deactivated_id not in by_id
    assert by_id[edited_id]["text"] == "Câu hỏi đã bị sửa sau khi rút?"
    assert sorted(option["text"] for option in by_id[edited_id]["options"]) == ["Mới A", "Mới B", "Mới C"]
    # The first taker's attempt still reads as drawn.
    assert shown(first.attempt(drawn["id"]).get_json()) == shown(drawn)
