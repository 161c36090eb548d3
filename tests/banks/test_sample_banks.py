"""The sample banks in question_banks/: what a first-time organiser judges the product by."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quizapp.banks.formats import EXTENSIONS, parse_file
from quizapp.banks.models import Bank, Question, Topic
from quizapp.extensions import db

FOLDER = Path(__file__).resolve().parents[2] / "question_banks"
FILES = sorted(path for path in FOLDER.iterdir() if path.suffix in EXTENSIONS)


def test_every_format_has_a_sample_file():
    assert {path.suffix for path in FILES} == set(EXTENSIONS)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_sample_file_imports(runner, app, path):
    result = runner.invoke(args=["banks", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"vào ngân hàng {path.stem}" in result.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Question))
    assert count >= 50
    assert f"Đã nhập {count} câu hỏi mới" in result.output


def test_sample_banks_together():
    questions = [question for path in FILES for question in parse_file(path.name, path.read_bytes()).questions]
    assert len(questions) >= 300
    assert len({question.topic for question in questions}) >= 6
    assert all(question.source for question in questions), "every sample question names its source"
    assert all(question.explanation for question in questions)
    # The right answer is not always in the same place.
    letters = Counter(min(question.correct) for question in questions if not question.multiple)
    assert max(letters.values()) < 0.35 * sum(letters.values())


def test_demo_loads_the_sample_banks_once(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        banks = db.session.scalar(select(func.count()).select_from(Bank))
        questions = db.session.scalar(select(func.count()).select_from(Question))
        topics = db.session.scalar(select(func.count()).select_from(Topic))
    assert banks == len(FILES) and questions >= 300 and topics >= 6
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == questions
    assert "0 câu mới" in second.output
