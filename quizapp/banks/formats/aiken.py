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
    split_option_label,
    stem_without_number,
)
from quizapp.files import NotUtf8, decode_utf8
from quizapp.text import clean_text, split_lines

_OPTION = re.compile(r"([A-Z])[.)][ \t]+(\S.*)")
_OPTION_LOWER = re.compile(r"[a-z][.)]([ \t]*)\S")
_ANSWER = re.compile(r"ANSWER:[ \t]*(.*)")
_ANSWER_LOOSE = re.compile(r"(?i)(answer|đáp án|dap an)\s*[:：]")
# A misspelt answer line after the options: one word, a colon and the letter ("ANSWR: A", "ANS: B").
_ANSWER_MISSPELT = re.compile(r"[^\W\d_]{2,10}\s*[:：]\s*[A-Ha-h]")
_TOPIC = re.compile(r"(?i)(TOPIC|CHỦ ĐỀ)\s*:\s*(.*)")
_EXTRA = re.compile(r"(?i)(EXPLANATION|GIẢI THÍCH|SOURCE|NGUỒN|DIFFICULTY|ĐỘ KHÓ)\s*:\s*(.*)")
# How the key is marked, for the preview (ParsedQuestion.marking).
MARKING = "dòng ANSWER: (Aiken)"
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
    # A blank line came after the question's first line.
    blank: bool = False
    # Started on a line that may be a stray line inside the previous question (already reported).
    suspect: bool = False
    # An option label out of order was reported: the rest of the question is not checked again.
    out_of_order: bool = False
    # Labels written without a space after them ("B.12 giờ"), for the preview's note.
    unspaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def expected(self) -> str | None:
        """The label the next option should carry: the one after the last label."""
        if not self.labels:
            return "A"
        following = ord(self.labels[-1]) + 1
        return chr(following) if following <= ord("Z") else None


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
        draft = self.draft
        if not line:
            # Moodle skips blank lines: a question ends at its ANSWER: line. A blank line after
            # it ends the optional lines this project adds; one inside a question is noted, so
            # that what follows it can be told apart from a line glued onto the question.
            if draft is not None and draft.answer is not None:
                self.finish()
            elif draft is not None:
                draft.blank = True
            return
        if draft is None:
            self.start(number, line)
        elif draft.answer is not None:
            self.after_answer(number, line)
        elif (option := _moodle_option(line)) and (option[2] or draft.options or option[0] == "A"):
            # "B.Huế" before any option is more likely the stem's own next line ("V.I. Lênin").
            self.option(number, *option)
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
        self.draft = _Draft(number, "", self.topic)
        self.draft.text = stem_without_number(line, self.draft.notes)

    def option(self, number: int, letter: str, text: str, spaced: bool) -> None:
        draft = self.draft
        if draft.suspect and not draft.options and letter != "A":
            # The line taken for a new question was a stray line inside the previous one (already
            # reported): this question's options go with it, without an error for each.
            draft.broken = True
        elif len(draft.options) >= len(LETTERS):
            if len(draft.options) == len(LETTERS):
                self.error(number, f"tối đa {len(LETTERS)} phương án")
        elif letter != draft.expected() and not draft.out_of_order:
            draft.out_of_order = True
            if letter in draft.labels:
                self.error(number, f"phương án {letter} bị lặp")
            else:
                self.error(number, f"phương án {letter} sai thứ tự: cần {draft.expected()}")
        if not spaced:
            draft.unspaced.append(letter)
        draft.labels.append(letter)
        draft.options.append(text)

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
        """A line inside a question that is neither an option nor its ANSWER: line."""
        draft = self.draft
        if _ANSWER_LOOSE.match(line) or (draft.options and _ANSWER_MISSPELT.fullmatch(line)):
            self.error(number, "dòng đáp án phải viết đúng 'ANSWER: X' (chữ in hoa, có dấu hai chấm), "
                               f"câu ở dòng {draft.line} chưa nhập được")
            # The question ends here, as at a real ANSWER: line, so the lines after it are read as
            # the next question and not reported again as a question without its ANSWER: line.
            draft.answer, draft.answer_line = "", number
        elif (lower := _OPTION_LOWER.match(line)) and (lower.group(1) or draft.options or line[0] == "a"):
            self.error(number, "nhãn phương án phải là chữ in hoa: A. hoặc A)")
        elif draft.options:
            # Moodle starts a new question here and drops the unfinished one; so does this
            # reader, after saying where the ANSWER: line is missing.
            if draft.blank:
                self.error(draft.line, "thiếu dòng 'ANSWER: X' sau các phương án")
                self.begin_after_stray(number, line, suspect=False)
            else:
                self.error(number, f"dòng không phải phương án (A. …) hay 'ANSWER: X': câu ở dòng {draft.line} "
                                   "thiếu dòng ANSWER:?")
                self.begin_after_stray(number, line, suspect=True)
        elif draft.blank:
            self.error(draft.line, "dòng không có phương án và dòng ANSWER: đi kèm (tiêu đề hay ghi chú? hãy xoá)")
            self.begin_after_stray(number, line, suspect=False)
        else:
            self.error(number, "câu hỏi phải nằm trên một dòng (Moodle chỉ giữ dòng cuối)")

    def begin_after_stray(self, number: int, line: str, *, suspect: bool) -> None:
        self.draft = None
        self.start(number, line)
        if self.draft is not None:
            self.draft.suspect = suspect

    def after_answer(self, number: int, line: str) -> None:
        match = _EXTRA.fullmatch(line)
        if match is None:
            # As in Moodle, the question ended at its ANSWER: line; this line starts the next.
            self.finish()
            self.start(number, line)
            return
        name = _EXTRA_FIELD[match.group(1).casefold()]
        if name in self.draft.extras:
            self.error(number, f"dòng {match.group(1).upper()}: bị lặp")
        self.draft.extras[name] = (number, match.group(2))

    def finish(self) -> None:
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
        if draft.unspaced:
            labels = ", ".join(f"{letter}." for letter in draft.unspaced)
            draft.notes.append(f"nhãn phương án {labels} không có dấu cách sau; đã đọc như Moodle")
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
                marking=MARKING,
                notes=draft.notes,
            )
        )


def _moodle_option(line: str) -> tuple[str, str, bool] | None:
    """(letter, text, whether a space followed the label) of an option line as Moodle reads one:
    a capital letter, "." or ")", then the text, with or without a space ("A.12 giờ")."""
    if len(line) < 3 or not ("A" <= line[0] <= "Z") or line[1] not in ".)":
        return None
    index, text, spaced = split_option_label(line)
    if index is None:
        # Beyond H: still an option line, reported as one too many.
        text, spaced = line[2:], line[2] in " \t"
    return line[0], clean_text(text), spaced


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
    reader.finish()
    if not reader.result.questions and not reader.result.errors:
        reader.result.error(1, "tệp không có câu hỏi nào")
    return reader.result
