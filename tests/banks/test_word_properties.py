"""Property: a random bank written as a Word file imports, `banks export` writes it to xlsx, and
that xlsx imports into a second bank with the same questions (issue 12: docx → bank → xlsx → bank).

The Word writer uses the conventions of docs/bank-formats.md: `Câu N:` stems, one option a line,
the key in bold (or an `Đáp án:` line when every option is correct, and at random), `Chủ đề:`,
`Giải thích:`, `Nguồn:`, `Độ khó:` lines. Option texts carry no tab or double space before a
letter and a dot, which would read as a second option on the line (documented).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quizapp.banks.models import Bank, Question
from quizapp.extensions import db
from quizapp.text import clean_text
from tests.banks.docx_builder import Doc
from tests.banks.test_bank_properties import DIFFICULTIES, SPECIAL, TOPIC_ALPHABET, VIETNAMESE

ALPHABET = VIETNAMESE + SPECIAL
_SECOND_OPTION = re.compile(r"\s{2,}[A-Ha-h]\s*[.)]")
_slugs = itertools.count(1)


def words(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=max_size).filter(
        # Real text has a letter or a digit (a stem of only punctuation keeps its "Câu N:").
        lambda value: any(ch.isalnum() for ch in value) and not _SECOND_OPTION.search(value))


def folded(value: str) -> str:
    return clean_text(value).casefold()


@dataclass
class WordQuestion:
    topic: str | None
    text: str
    options: list[str]
    correct: set[int]
    answer_line: bool
    explanation: str | None
    source: str | None
    difficulty: tuple[int, str] | None

    def expected(self) -> tuple:
        return (clean_text(self.topic) or "Chung", clean_text(self.text), tuple(clean_text(o) for o in self.options),
                frozenset(self.correct), len(self.correct) > 1, clean_text(self.explanation) or None,
                clean_text(self.source) or None, self.difficulty[0] if self.difficulty else None)


@st.composite
def word_questions(draw) -> WordQuestion:
    count = draw(st.integers(2, 6))
    options = draw(st.lists(words(ALPHABET, 20), min_size=count, max_size=count, unique_by=folded))
    correct = draw(st.sets(st.integers(0, count - 1), min_size=1))
    optional = st.none() | words(ALPHABET, 40)
    return WordQuestion(
        topic=draw(st.none() | words(TOPIC_ALPHABET, 20)), text=draw(words(ALPHABET, 60)), options=options,
        correct=correct, answer_line=len(correct) == count or draw(st.booleans()),
        explanation=draw(optional), source=draw(optional), difficulty=draw(st.none() | st.sampled_from(DIFFICULTIES)))


def write_word(bank: list[WordQuestion]) -> bytes:
    doc = Doc()
    topic = "Chung"
    for number, question in enumerate(bank, start=1):
        wanted = clean_text(question.topic) or "Chung"
        if wanted != topic:
            doc.para(f"Chủ đề: {question.topic or 'Chung'}")
            topic = wanted
        doc.question(f"Câu {number}: {question.text}", question.options,
                     () if question.answer_line else question.correct)
        if question.answer_line:
            doc.para("Đáp án: " + ", ".join("ABCDEFGH"[index] for index in sorted(question.correct)))
        if question.explanation:
            doc.para(f"Giải thích: {question.explanation}")
        if question.source:
            doc.para(f"Nguồn: {question.source}")
        if question.difficulty:
            doc.para(f"Độ khó: {question.difficulty[1]}")
    return doc.bytes()


def stored(slug: str) -> list[tuple]:
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
    questions = db.session.scalars(select(Question).where(Question.bank_id == bank.id)
                                   .options(selectinload(Question.options)).order_by(Question.id))
    return [(question.topic.name, question.text, tuple(option.text for option in question.options),
             frozenset(option.position for option in question.options if option.is_correct), question.multiple,
             question.explanation, question.source, question.difficulty) for question in questions]


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(bank=st.lists(word_questions(), min_size=1, max_size=5, unique_by=lambda question: folded(question.text)))
def test_word_bank_exports_to_xlsx_and_imports_back_the_same(app, runner, tmp_path, bank):
    number = next(_slugs)
    word, sheet = tmp_path / f"word-{number}.docx", tmp_path / f"xlsx-{number}.xlsx"
    word.write_bytes(write_word(bank))
    imported = runner.invoke(args=["banks", "import", str(word)])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(args=["banks", "export", f"word-{number}", "-o", str(sheet)])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(args=["banks", "import", str(sheet)])
    assert again.exit_code == 0, again.output
    expected = sorted(question.expected() for question in bank)
    with app.app_context():
        assert sorted(stored(f"word-{number}")) == expected
        assert sorted(stored(f"xlsx-{number}")) == expected
