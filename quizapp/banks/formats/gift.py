"""GIFT (.gift): the multiple-choice part of Moodle's format. Other question types are
refused with an error that names them, so nothing is imported as something it is not.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

from quizapp.banks.formats.common import (
    DEFAULT_TOPIC,
    BankFileError,
    ParsedQuestion,
    ParseResult,
    optional_text,
    parse_difficulty,
)
from quizapp.files import NotUtf8, decode_utf8
from quizapp.text import clean_text, split_lines

# Escaped special characters become private-use characters while the structure is parsed.
_ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003",
            "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006", "\\n": "\ue007"}
_UNESCAPE = {"\ue000": "\\", "\ue001": "~", "\ue002": "=", "\ue003": "#",
             "\ue004": "{", "\ue005": "}", "\ue006": ":", "\ue007": " "}
_ESCAPE_RE = re.compile(r"\\[\\~=#{}:n]")
_COMMENT_META = re.compile(r"(?i)//\s*(nguồn|source|độ khó|difficulty)\s*:\s*(.*)")
_CATEGORY = re.compile(r"\$CATEGORY:\s*(.*)")
_TITLE = re.compile(r"::(.*?)::", re.S)
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.I)
_WEIGHT = re.compile(r"%(-?\d+(?:[.,]\d+)?)%")
_TRUE_FALSE = {"t", "f", "true", "false"}


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: _ESCAPES[match.group(0)], text)


def _unescape(text: str) -> str:
    return clean_text("".join(_UNESCAPE.get(ch, ch) for ch in text))


@dataclass
class _Block:
    line: int
    lines: list[str]
    source: str | None
    # (line of the "// Độ khó:" comment, its value)
    difficulty: tuple[int, str] | None
    # Has a line of it an unescaped "}"? Kept up to date line by line: re-joining the whole
    # block for every comment line made a long question quadratic (minutes for 100,000 lines).
    closed: bool = False

    def add(self, line: str) -> None:
        self.lines.append(line)
        # An escape never spans a line break, so a line can be checked on its own.
        self.closed = self.closed or "}" in _escape(line)


class _QuestionError(Exception):
    def __init__(self, offset_line: int, message: str) -> None:
        super().__init__(message)
        self.offset_line = offset_line
        self.message = message


def _blocks(text: str, result: ParseResult) -> list[tuple[str, _Block | str]]:
    """Split the file into ("category", name) and ("question", block) items."""
    items: list[tuple[str, _Block | str]] = []
    block: _Block | None = None
    meta: dict[str, str] = {}
    for number, raw in enumerate(split_lines(unicodedata.normalize("NFC", text)), start=1):
        line = raw.strip()
        if block is not None:
            comment = line.startswith("//")
            if line and not (comment and block.closed):
                # Comments inside a question are dropped, as Moodle does; the empty line keeps
                # the line numbers of what follows.
                block.add("" if comment else raw)
                continue
            # A blank line, or a comment after the closing brace, ends the question.
            items.append(("question", block))
            block = None
        if not line:
            continue
        if line.startswith("//"):
            match = _COMMENT_META.fullmatch(line)
            if match and match.group(1).casefold() in ("nguồn", "source"):
                meta["source"] = match.group(2)
            elif match:
                meta["difficulty"] = (number, match.group(2))
            continue
        category = _CATEGORY.fullmatch(line)
        if category:
            items.append(("category", category.group(1)))
            meta = {}
            continue
        if line.startswith("$"):
            result.error(number, "chỉ hỗ trợ lệnh $CATEGORY:")
            continue
        block = _Block(number, [], meta.get("source"), meta.get("difficulty"))
        block.add(raw)
        meta = {}
    if block is not None:
        items.append(("question", block))
    return items


def _find_unescaped(text: str, char: str) -> list[int]:
    return [index for index, ch in enumerate(text) if ch == char]


def _parse_block(block: _Block, topic: str) -> ParsedQuestion:
    text = _escape("\n".join(block.lines))
    # Where each line break is, so that the line of an offset is a binary search, not a
    # count from the start for every answer.
    breaks = [index for index, ch in enumerate(text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect_left(breaks, offset)

    opens, closes = _find_unescaped(text, "{"), _find_unescaped(text, "}")
    if not opens:
        raise _QuestionError(0, "câu dạng mô tả (không có phần đáp án {…}) không được hỗ trợ")
    if len(opens) > 1 or len(closes) != 1 or closes[0] < opens[0]:
        raise _QuestionError(
            line_of(opens[-1]), "mỗi câu hỏi cần đúng một cặp ngoặc { } (ngoặc trong nội dung viết \\{ \\})"
        )
    start, end = opens[0], closes[0]
    after = text[end + 1 :].strip()
    if after:
        raise _QuestionError(line_of(end), "câu điền từ (có chữ sau dấu }) không được hỗ trợ")
    stem = text[:start]
    title = _TITLE.match(stem.strip())
    if title:
        stem = stem.strip()[title.end() :]
    stem = stem.strip()
    fmt = _FORMAT.match(stem)
    if fmt:
        if fmt.group(1).casefold() in ("html", "markdown"):
            raise _QuestionError(0, f"không hỗ trợ định dạng [{fmt.group(1)}]; dùng văn bản thường")
        stem = stem[fmt.end() :]
    body = text[start + 1 : end]
    explanation = None
    if "####" in body:
        body, explanation = body.split("####", 1)
    answers = _answers(body, start + 1, line_of)
    return _question(block, topic, _unescape(stem), answers, explanation, line_of(start))


def _answers(body: str, body_offset: int, line_of) -> list[tuple[str, str, int]]:
    """(marker, text, line offset) for each answer in the braces."""
    stripped = body.strip()
    if not stripped:
        raise _QuestionError(line_of(body_offset), "câu tự luận ({}) không được hỗ trợ")
    if stripped.startswith("#"):
        raise _QuestionError(line_of(body_offset), "câu dạng số ({#…}) không được hỗ trợ")
    if stripped.split("#", 1)[0].strip().casefold() in _TRUE_FALSE:
        raise _QuestionError(line_of(body_offset), "câu đúng/sai ({T} hoặc {F}) không được hỗ trợ")
    marks = [index for index, ch in enumerate(body) if ch in "=~"]
    if not marks or body[: marks[0]].strip():
        raise _QuestionError(line_of(body_offset), "mỗi phương án phải bắt đầu bằng = (đúng) hoặc ~ (sai)")
    answers = []
    for position, index in enumerate(marks):
        stop = marks[position + 1] if position + 1 < len(marks) else len(body)
        chunk = body[index + 1 : stop]
        if "->" in chunk:
            raise _QuestionError(line_of(body_offset + index), "câu ghép cặp (->) không được hỗ trợ")
        answers.append((body[index], chunk.split("#", 1)[0], line_of(body_offset + index)))
    return answers


def _question(block, topic, stem, answers, explanation, brace_line) -> ParsedQuestion:
    equals = [answer for answer in answers if answer[0] == "="]
    if not any(marker == "~" for marker, _text, _line in answers):
        raise _QuestionError(brace_line, "câu trả lời ngắn (chỉ có đáp án =, không có ~) không được hỗ trợ")
    if len(equals) > 1:
        raise _QuestionError(equals[1][2], "nhiều đáp án '='; câu nhiều lựa chọn dùng trọng số, ví dụ ~%50%")
    options, correct, weighted = [], set(), False
    for index, (marker, raw, _line) in enumerate(answers):
        weight = _WEIGHT.match(raw.strip())
        text = raw.strip()
        if weight:
            weighted = True
            text = text[weight.end() :]
            if float(weight.group(1).replace(",", ".")) > 0:
                correct.add(index)
        elif marker == "=":
            correct.add(index)
        options.append(_unescape(text))
    difficulty_line, difficulty_text = block.difficulty or (block.line, None)
    difficulty, message = parse_difficulty(difficulty_text)
    if message:
        raise _QuestionError(difficulty_line - block.line, message)
    return ParsedQuestion(
        line=block.line,
        topic=topic,
        text=stem,
        options=options,
        correct=correct,
        multiple=weighted,
        explanation=optional_text(_unescape(explanation)) if explanation else None,
        source=optional_text(block.source),
        difficulty=difficulty,
    )


def parse_gift(data: bytes) -> ParseResult:
    try:
        text = decode_utf8(data)
    except NotUtf8 as error:
        raise BankFileError(error.line, error.message) from None
    result = ParseResult()
    topic = DEFAULT_TOPIC
    for kind, item in _blocks(text, result):
        if kind == "category":
            # Moodle categories are paths ("$course$/Top/Hà Giang"); the last part is the topic.
            topic = clean_text(item.rstrip("/").rsplit("/", 1)[-1]) or DEFAULT_TOPIC
            continue
        try:
            result.questions.append(_parse_block(item, topic))
        except _QuestionError as error:
            result.error(item.line + error.offset_line, error.message)
    if not result.questions and not result.errors:
        result.error(1, "tệp không có câu hỏi nào")
    return result
