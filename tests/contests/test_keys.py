"""contests.keys.held_keys, DESIGN §3 rule 2: a key stays hidden while any open or scheduled
competitive round of any contest can still draw its question, and says when it will appear."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from quizapp.banks.models import Question as StoredQuestion
from quizapp.contests.keys import held_keys, key_notice
from quizapp.extensions import db
from tests.attempt_support import CLOSES, DURING, OPENS, Question, import_bank, load_contest, round_definition

WEEK = timedelta(days=7)
HISTORY = [Question(text=f"Lịch sử câu {n}?", options=("Đúng", "Sai"), answer="A", topic="Lịch sử") for n in range(3)]
CULTURE = [Question(text=f"Văn hóa câu {n}?", options=("Đúng", "Sai"), answer="A", topic="Văn hóa") for n in range(3)]
OTHER = [Question(text=f"Câu khác {n}?", options=("Đúng", "Sai"), answer="A") for n in range(3)]


def question_ids(app, bank: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(StoredQuestion.id).join(StoredQuestion.bank)
                                       .where(StoredQuestion.bank.has(slug=bank)).order_by(StoredQuestion.id)))


def held_at(app, moment, ids) -> dict:
    with app.app_context():
        return held_keys(ids, moment)


def weekly(number: int, bank: str, *, count: int = 2, topic: str | None = None, **fields) -> dict:
    fields = {"opens": OPENS + (number - 1) * WEEK, "closes": CLOSES + (number - 1) * WEEK, **fields}
    definition = round_definition(number, bank=bank, count=count, **fields)
    if topic:
        definition["draw"] = [{"bank": bank, "topic": topic, "count": count}]
    return definition


def test_a_key_is_held_while_a_later_round_can_draw_it_and_says_until_when(app, tmp_path):
    import_bank(app, tmp_path, "tuan", OTHER)
    ids = question_ids(app, "tuan")
    load_contest(app, tmp_path, "hang-tuan", [weekly(1, "tuan"), weekly(2, "tuan")])
    grace = timedelta(seconds=int(app.config["ATTEMPT_GRACE_SECONDS"]))

    # Week 1 is over, week 2 is scheduled: every question of the bank waits for week 2's close.
    assert held_at(app, CLOSES + timedelta(hours=2), ids) == dict.fromkeys(ids, CLOSES + WEEK)
    assert held_at(app, DURING, ids) == dict.fromkeys(ids, CLOSES + WEEK)
    # The last moment week 2 takes an answer still holds it; a second later nothing can draw it.
    assert held_at(app, CLOSES + WEEK + grace, ids) == dict.fromkeys(ids, CLOSES + WEEK)
    assert held_at(app, CLOSES + WEEK + grace + timedelta(seconds=1), ids) == {}


def test_another_organisations_round_holds_the_key_and_a_practice_round_does_not(app, tmp_path):
    import_bank(app, tmp_path, "chung", OTHER)
    ids = question_ids(app, "chung")
    load_contest(app, tmp_path, "luyen-tap", [weekly(1, "chung", practice=True, time_limit=None,
                                                     closes=CLOSES + 10 * WEEK)])
    assert held_at(app, DURING, ids) == {}, "a practice round alone holds nothing back"

    load_contest(app, tmp_path, "tinh-ban", [weekly(1, "chung")])
    assert held_at(app, DURING, ids) == dict.fromkeys(ids, CLOSES)


def test_a_topic_entry_holds_only_its_topic(app, tmp_path):
    import_bank(app, tmp_path, "lich-su", HISTORY + CULTURE)
    history, culture = question_ids(app, "lich-su")[:3], question_ids(app, "lich-su")[3:]
    load_contest(app, tmp_path, "chu-de", [weekly(1, "lich-su", topic="Lịch sử")])

    assert held_at(app, DURING, history + culture) == dict.fromkeys(history, CLOSES)


def test_the_latest_close_among_the_rounds_that_draw_it_is_when_it_appears(app, tmp_path):
    import_bank(app, tmp_path, "lich-su", HISTORY + CULTURE)
    ids = question_ids(app, "lich-su")
    history, culture = ids[:3], ids[3:]
    load_contest(app, tmp_path, "ca-bo", [weekly(1, "lich-su"), weekly(3, "lich-su", topic="Văn hóa")])

    assert held_at(app, DURING, ids) == {**dict.fromkeys(history, CLOSES), **dict.fromkeys(culture, CLOSES + 2 * WEEK)}


def test_forty_questions_take_two_queries(app, tmp_path):
    many = [Question(text=f"Câu số {n}?", options=("Đúng", "Sai"), answer="A") for n in range(40)]
    import_bank(app, tmp_path, "lon", many)
    import_bank(app, tmp_path, "nho", OTHER)
    ids = question_ids(app, "lon") + question_ids(app, "nho")
    load_contest(app, tmp_path, "nhieu", [weekly(1, "lon"), weekly(2, "lon"), weekly(3, "nho")])
    statements: list[str] = []
    with app.app_context():
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            held = held_keys(ids, DURING)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    assert set(held) == set(ids)
    assert len(statements) == 2, statements


def test_the_notice_is_in_the_contests_time_zone():
    assert key_notice(CLOSES, "Asia/Ho_Chi_Minh") == "Đáp án sẽ được công bố sau 09:00 ngày 13/05/2030"
    assert key_notice(CLOSES, "UTC") == "Đáp án sẽ được công bố sau 02:00 ngày 13/05/2030"
