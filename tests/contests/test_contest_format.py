"""`contests load FILE.json`: the validator shared with the organiser pages."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from quizapp.contests.models import Contest, Round
from quizapp.extensions import db

BANK_CSV = "Chủ đề,Câu hỏi,A,B,Đáp án\n" + "".join(
    f"{'Lịch sử' if number <= 7 else 'Văn hóa'},Câu hỏi số {number}?,Đúng,Sai,A\n" for number in range(1, 16)
)


@pytest.fixture
def bank(runner, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(BANK_CSV, encoding="utf-8")
    assert runner.invoke(args=["banks", "import", str(path)]).exit_code == 0


def contest(**round_overrides) -> dict:
    round_ = {"number": 1, "title": "Tuần 1", "opens_at": "2024-05-06T10:00:00+07:00",
              "closes_at": "2024-05-13T09:00:00+07:00", "time_limit_seconds": 600, "max_attempts": 3,
              "draw": [{"bank": "b", "count": 5}], **round_overrides}
    return {"slug": "thi-thu", "title": "Cuộc thi thử", "rounds": [round_]}


def load(runner, tmp_path, definition):
    path = tmp_path / "contest.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(args=["contests", "load", str(path)])


def test_loads_and_prints_round_ids(bank, runner, tmp_path, app):
    result = load(runner, tmp_path, contest())
    assert result.exit_code == 0, result.output
    with app.app_context():
        round_ = db.session.scalar(select(Round))
        assert f"vòng 1 (Tuần 1): id {round_.id}" in result.output
        assert round_.opens_at.isoformat() == "2024-05-06T03:00:00+00:00"
        # No prediction question: the default tie-breakers leave out the prediction error.
        assert round_.tie_breakers == ["correct_desc", "duration_asc", "submitted_at_asc"]


@pytest.mark.parametrize(("draw", "path", "message"), [
    ([{"bank": "b", "topic": "Lịch sử", "count": 5}, {"bank": "b", "topic": "Lịch sử", "count": 5}],
     "$.rounds[0].draw[1].count", "Chủ đề Lịch sử: cần 10 câu, chỉ có 7 câu đang dùng."),
    ([{"bank": "b", "count": 9}, {"bank": "b", "topic": "Lịch sử", "count": 7}],
     "$.rounds[0].draw[1].count", "Ngân hàng b: cần 16 câu, chỉ có 15 câu đang dùng."),
    ([{"bank": "b", "topic": "Lịch sử", "count": 0}, {"bank": "b", "topic": "Lịch sử", "count": 10}],
     "$.rounds[0].draw[1].count", "cần 10 câu, chỉ có 7"),
    ([{"bank": "khac", "count": 1}], "$.rounds[0].draw[0].bank", "Không có ngân hàng câu hỏi mã “khac”."),
    ([{"bank": "b", "topic": "Địa lý", "count": 1}], "$.rounds[0].draw[0].topic",
     "Ngân hàng b không có chủ đề “Địa lý”."),
])
def test_draws_the_banks_cannot_fill_are_refused_on_their_row(bank, runner, tmp_path, app, draw, path, message):
    result = load(runner, tmp_path, contest(draw=draw))
    assert result.exit_code == 1
    assert any(line.startswith(f"{tmp_path / 'contest.json'}: {path}: ") and message in line
               for line in result.stderr.splitlines()), result.stderr
    with app.app_context():
        assert db.session.scalar(select(Contest)) is None


def test_a_blueprint_that_fits_always_draws(bank, app, runner, tmp_path, auth):
    """Topic entries are drawn first, so a whole-bank entry never starves them."""
    from quizapp.attempts.services import draw_questions

    draw = [{"bank": "b", "count": 8}, {"bank": "b", "topic": "Lịch sử", "count": 7}]
    assert load(runner, tmp_path, contest(draw=draw)).exit_code == 0
    with app.app_context():
        round_ = db.session.scalar(select(Round))
        for _ in range(50):
            assert len(set(question.question_id for question in draw_questions(round_))) == 15


@pytest.mark.parametrize(("change", "path"), [
    ({"awards": [{"name": "Giải Nhất"}]}, "$.rounds[0].awards[0].count"),
    ({"tie_breakers": []}, "$.rounds[0].tie_breakers"),
    ({"tie_breakers": ["correct_desc", "prediction_error_asc"]}, "$.rounds[0].tie_breakers"),
    ({"time_limit_seconds": None}, "$.rounds[0].time_limit_seconds"),
    ({"closes_at": "2024-05-01T10:00:00+07:00"}, "$.rounds[0].closes_at"),
    ({"review": "never"}, "$.rounds[0].review"),
    ({"colour": "red"}, "$.rounds[0].colour"),
])
def test_round_errors_name_their_path(bank, runner, tmp_path, change, path):
    result = load(runner, tmp_path, contest(**change))
    assert result.exit_code == 1
    assert f": {path}: " in result.stderr, result.stderr


def test_file_errors_keep_their_json_path_and_say_what_to_write(bank, runner, tmp_path):
    definition = contest(opens_at=None, closes_at="thứ hai", time_limit_seconds=0, practice="có")
    del definition["title"]
    result = load(runner, tmp_path, definition)
    file = tmp_path / "contest.json"
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"{file}: $.title: Nhập tên cuộc thi." in lines
    assert f"{file}: $.rounds[0].opens_at: Nhập thời điểm mở vòng thi, dạng 2024-05-06T10:00:00+07:00." in lines
    assert (f"{file}: $.rounds[0].closes_at: Không đọc được thời điểm đóng vòng thi “thứ hai”; "
            "ghi dạng 2024-05-06T10:00:00+07:00.") in lines
    assert (f"{file}: $.rounds[0].time_limit_seconds: Thời gian làm bài là số giây, từ 1 trở lên "
            "(null: không giới hạn, chỉ ở vòng thi thử).") in lines
    assert f"{file}: $.rounds[0].practice: Ghi true (có) hoặc false (không)." in lines
    assert "Không lưu thay đổi nào: 5 lỗi." in lines


def test_reserved_slug_is_refused(bank, runner, tmp_path):
    result = load(runner, tmp_path, {**contest(), "slug": "manage"})
    assert result.exit_code == 1 and "$.slug" in result.stderr


def test_password_absent_keeps_null_removes(bank, runner, tmp_path, app):
    assert load(runner, tmp_path, {**contest(), "password": "bimat-2024"}).exit_code == 0
    assert load(runner, tmp_path, contest()).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Contest.password_hash)) is not None
    assert load(runner, tmp_path, {**contest(), "password": None}).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Contest.password_hash)) is None


def test_empty_topic_means_the_whole_bank(bank, runner, tmp_path, app):
    assert load(runner, tmp_path, contest(draw=[{"bank": "b", "topic": "", "count": 15}])).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Round.draw)) == [{"bank": "b", "count": 15}]


def test_untimed_practice_attempt_ends_with_its_round(bank, runner, tmp_path, app, auth):
    from datetime import datetime

    from quizapp.attempts.services import start_attempt
    from quizapp.auth.models import User

    assert load(runner, tmp_path, contest(time_limit_seconds=None, practice=True)).exit_code == 0
    user_id = auth.create()
    with app.app_context():
        app.extensions["quizapp.clock"] = lambda: datetime.fromisoformat("2024-05-07T10:00:00+07:00")
        round_ = db.session.scalar(select(Round))
        attempt = start_attempt(round_, db.session.get(User, user_id)).attempt
        assert attempt.deadline == round_.closes_at


# --- warnings: allowed, saved, but said plainly (DESIGN §3 rule 2) --------------------------


def warnings_in(result, tmp_path) -> list[str]:
    prefix = f"{tmp_path / 'contest.json'}: cảnh báo: "
    return [line.removeprefix(prefix) for line in result.stderr.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize(("max_attempts", "next_attempt"), [(3, True), (None, True), (1, False)])
def test_a_prize_round_that_shows_the_key_at_submit_is_saved_with_a_warning(
        bank, runner, tmp_path, app, max_attempts, next_attempt):
    result = load(runner, tmp_path, contest(review="after_submit", max_attempts=max_attempts))

    assert result.exit_code == 0, result.output
    (warning,) = warnings_in(result, tmp_path)
    assert warning.startswith("$.rounds[0].review: Xem đáp án ngay sau khi nộp (after_submit) cho người thi thấy")
    assert "người khác vẫn đang làm bài" in warning
    assert ("dùng đáp án vừa xem cho lượt sau" in warning) is next_attempt
    assert "giữ kín đáp án cho đến khi không còn vòng thi nào có thể rút câu hỏi đó" in warning
    with app.app_context():
        assert db.session.scalar(select(Round.review)) == "after_submit"


@pytest.mark.parametrize("round_fields", [
    {"review": "after_close"}, {"review": "score_only"},
    {"review": "after_submit", "practice": True, "time_limit_seconds": None},
])
def test_rounds_that_keep_the_key_load_without_warnings(bank, runner, tmp_path, round_fields):
    result = load(runner, tmp_path, contest(**round_fields))
    assert result.exit_code == 0, result.output
    assert "cảnh báo" not in result.output
