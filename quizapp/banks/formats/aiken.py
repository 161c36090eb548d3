"""Aiken (.txt), read as Moodle reads it, with an error wherever Moodle would silently drop
or misread a question, plus this project's optional TOPIC/EXPLANATION/SOURCE/DIFFICULTY lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from quizapp.banks.formats.common import (
    DEFAULT_TOPIC,
    LETTERS,
    BankFileError,
    ParsedQuestion,
    ParseResult,
    optional_text,
    parse_difficulty,
)
from quizapp.files import NotUtf8, decode_utf8
from quizapp.text import clean_text, split_lines

_OPTION = re.compile(r"([A-Z])[.)][ \t]+(\S.*)")
_OPTION_NO_SPACE = re.compile(r"[A-Z][.)]\S")
_OPTION_LOWER = re.compile(r"[a-z][.)][ \t]+\S")
_ANSWER = re.compile(r"ANSWER:[ \t]*(.*)")
_ANSWER_LOOSE = re.compile(r"(?i)(answer|đáp án|dap an)\s*[:：]")
_TOPIC = re.compile(r"(?i)(TOPIC|CHỦ ĐỀ)\s*:\s*(.*)")
_EXTRA = re.compile(r"(?i)(EXPLANATION|GIẢI THÍCH|SOURCE|NGUỒN|DIFFICULTY|ĐỘ KHÓ)\s*:\s*(.*)")
_EXTRA_FIELD = {
    "explanation": "explanation", "giải thích": "explanation",
    "source": "source", "nguồn": "source",
    "difficulty": "difficulty", "độ khó": "difficulty",
}


@dataclass
class _Draft:
    line: int
    text: str
    topic: str
    options: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    answer: str | None = None
    answer_line: int = 0
    # name -> (line, value) of the optional lines after ANSWER:
    extras: dict[str, tuple[int, str]] = field(default_factory=dict)
    broken: bool = False


class _Reader:
    def __init__(self) -> None:
        self.result = ParseResult()
        self.topic = DEFAULT_TOPIC
        self.draft: _Draft | None = None

    def error(self, line: int, message: str) -> None:
        self.result.error(line, message)
        if self.draft is not None:
            self.draft.broken = True

    def feed(self, number: int, raw: str) -> None:
        line = clean_text(raw)
        if not line:
            self.finish(number)
            return
        draft = self.draft
        if draft is None:
            self.start(number, line)
        elif draft.answer is not None:
            self.after_answer(number, line)
        elif match := _OPTION.fullmatch(line):
            self.option(number, match.group(1), match.group(2))
        elif match := _ANSWER.fullmatch(line):
            self.answer(number, match.group(1))
        else:
            self.stray(number, line)

    def start(self, number: int, line: str) -> None:
        if match := _TOPIC.fullmatch(line):
            self.topic = clean_text(match.group(2)) or DEFAULT_TOPIC
            return
        option = _OPTION.fullmatch(line)
        if option or _ANSWER.fullmatch(line):
            self.result.error(number, "phương án hoặc dòng ANSWER: không thuộc câu hỏi nào (thiếu dòng câu hỏi?)")
            self.draft = _Draft(number, "", self.topic, broken=True)
            if option:
                self.draft.labels.append(option.group(1))
                self.draft.options.append(option.group(2))
            else:
                self.draft.answer = ""
            return
        self.draft = _Draft(number, line, self.topic)

    def option(self, number: int, letter: str, text: str) -> None:
        draft = self.draft
        expected = LETTERS[len(draft.options)] if len(draft.options) < len(LETTERS) else None
        if letter != expected:
            if expected is None:
                self.error(number, f"tối đa {len(LETTERS)} phương án")
            elif letter in draft.labels:
                self.error(number, f"phương án {letter} bị lặp")
            else:
                self.error(number, f"phương án {letter} sai thứ tự: cần {expected}")
        draft.labels.append(letter)
        draft.options.append(clean_text(text))

    def answer(self, number: int, value: str) -> None:
        draft = self.draft
        draft.answer, draft.answer_line = value.strip(), number
        if not draft.options:
            self.error(number, "câu hỏi không có phương án nào")
        if not re.fullmatch(r"[A-Z]", draft.answer):
            if re.fullmatch(r"[A-Z]([\s,;]+[A-Z])+", draft.answer):
                self.error(number, "Aiken chỉ cho một đáp án đúng; câu nhiều đáp án hãy dùng Excel hoặc GIFT")
            else:
                self.error(number, f"ANSWER: cần một chữ cái in hoa, có {draft.answer!r}")

    def stray(self, number: int, line: str) -> None:
        draft = self.draft
        if _ANSWER_LOOSE.match(line):
            self.error(number, "dòng đáp án phải viết đúng 'ANSWER: X' (chữ in hoa, có dấu hai chấm)")
        elif _OPTION_LOWER.match(line):
            self.error(number, "nhãn phương án phải là chữ in hoa: A. hoặc A)")
        elif _OPTION_NO_SPACE.match(line):
            self.error(number, "sau nhãn phương án (A. hoặc A)) cần một dấu cách")
        elif not draft.options:
            self.error(number, "câu hỏi phải nằm trên một dòng (Moodle chỉ giữ dòng cuối)")
        else:
            self.error(number, "dòng không phải phương án (A. …) hay 'ANSWER: X': thiếu dòng ANSWER:?")

    def after_answer(self, number: int, line: str) -> None:
        match = _EXTRA.fullmatch(line)
        if match is None:
            self.error(number, "sau dòng ANSWER: cần một dòng trống trước câu hỏi tiếp theo")
            # Read on as if a blank line were there, without reporting every line of what
            # follows: it is a stray note or a question glued on, and one error says so.
            self.finish(number)
            self.start(number, line)
            if self.draft is not None:
                self.draft.broken = True
            return
        name = _EXTRA_FIELD[match.group(1).casefold()]
        if name in self.draft.extras:
            self.error(number, f"dòng {match.group(1).upper()}: bị lặp")
        self.draft.extras[name] = (number, match.group(2))

    def finish(self, number: int) -> None:
        draft, self.draft = self.draft, None
        if draft is None:
            return
        if draft.answer is None and not draft.broken:
            self.result.error(draft.line, "thiếu dòng 'ANSWER: X' sau các phương án")
            return
        if draft.broken:
            return
        if draft.answer not in LETTERS[: len(draft.options)]:
            self.result.error(draft.answer_line, f"đáp án {draft.answer} không có phương án tương ứng")
            return
        difficulty_line, difficulty_text = draft.extras.get("difficulty", (0, None))
        difficulty, message = parse_difficulty(difficulty_text)
        if message:
            self.result.error(difficulty_line, message)
            return
        self.result.questions.append(
            ParsedQuestion(
                line=draft.line,
                topic=draft.topic,
                text=draft.text,
                options=draft.options,
                correct={LETTERS.index(draft.answer)},
                multiple=False,
                explanation=optional_text(draft.extras.get("explanation", (0, None))[1]),
                source=optional_text(draft.extras.get("source", (0, None))[1]),
                difficulty=difficulty,
            )
        )


def parse_aiken(data: bytes) -> ParseResult:
    try:
        text = decode_utf8(data)
    except NotUtf8 as error:
        raise BankFileError(error.line, error.message) from None
    reader = _Reader()
    # NFC first, so keywords typed with decomposed marks (CHỦ ĐỀ:, NGUỒN:) are recognised.
    lines = split_lines(unicodedata.normalize("NFC", text))
    for number, raw in enumerate(lines, start=1):
        reader.feed(number, raw)
    reader.finish(len(lines) + 1)
    if not reader.result.questions and not reader.result.errors:
        reader.result.error(1, "tệp không có câu hỏi nào")
    return reader.result
