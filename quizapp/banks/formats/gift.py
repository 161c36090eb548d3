"""GIFT (.gift, and Moodle's .txt export): the multiple-choice part of Moodle's format, read as
Moodle reads it. Other question types are refused with an error that names them, so nothing is
imported as something it is not.

Moodle's rules kept here (question/format/gift/format.php): a ``=`` anywhere in the braces makes
a single-answer question, none makes a multiple-answer one; ``[html]``, ``[moodle]``,
``[markdown]`` and ``[plain]`` at the start of a text name its format; ``\\:`` ``\\=`` ``\\~``
``\\#`` ``\\{`` ``\\}`` ``\\\\`` ``\\n`` are escapes. Where this platform cannot keep Moodle's
meaning it says so: scores stay whole (DESIGN §7), so the key is the 100% option of a
single-answer question or the positive-weight options of a multiple-answer one, and the
question carries a note that partial credit was dropped.
"""

from __future__ import annotations

import html
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
    split_option_label,
    stem_without_number,
)
from quizapp.files import NotUtf8, decode_utf8
from quizapp.text import clean_text, split_lines

# Escaped special characters become private-use characters while the structure is parsed.
_ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003",
            "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006", "\\n": "\ue007"}
_UNESCAPE = {"\ue000": "\\", "\ue001": "~", "\ue002": "=", "\ue003": "#",
             "\ue004": "{", "\ue005": "}", "\ue006": ":", "\ue007": "\n"}
_ESCAPE_RE = re.compile(r"\\[\\~=#{}:n]")
_COMMENT_META = re.compile(r"(?i)//\s*(nguồn|source|độ khó|difficulty)\s*:\s*(.*)")
_CATEGORY = re.compile(r"\$CATEGORY:\s*(.*)")
_TITLE = re.compile(r"::(.*?)::", re.S)
_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]", re.I)
# Moodle reads "%50%", "%-100%", "%33.33333%"; a comma for the decimal point is read too.
_WEIGHT = re.compile(r"%(-?\d+(?:[.,]\d+)?)%")
_TRUE_FALSE = {"t", "f", "true", "false"}
DEFAULT_FORMAT = "moodle"

PARTIAL_SINGLE = "bỏ điểm từng phần của Moodle: chỉ phương án 100% được tính là đáp án đúng"
PARTIAL_MULTIPLE = "bỏ điểm từng phần của Moodle: phải chọn đúng và đủ các phương án có trọng số dương"
# How the key is marked, for the preview (ParsedQuestion.marking).
MARKING_EQUALS = "dấu = (GIFT)"
MARKING_WEIGHTS = "trọng số dương ~%…% (GIFT)"
PICTURE_DROPPED = "có ảnh trong HTML của Moodle; tệp GIFT không chứa ảnh nên ảnh không được nhập"


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: _ESCAPES[match.group(0)], text)


def _unescape(text: str) -> str:
    return "".join(_UNESCAPE.get(ch, ch) for ch in text)


# --- HTML as Moodle's editors write it, turned into the plain text takers see ---------------------

# Only these tag names are markup; "a<b và c>d" in a question stays as typed. Attribute names are
# ASCII, so a tag cannot swallow Vietnamese words either.
_BLOCK_TAGS = {
    "address", "article", "blockquote", "br", "caption", "center", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
    "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_INLINE_TAGS = {
    "a", "abbr", "b", "big", "cite", "code", "col", "colgroup", "del", "em", "font", "i", "img", "ins",
    "kbd", "label", "mark", "o:p", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "tt", "u", "var",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9]*(?::[a-zA-Z][a-zA-Z0-9]*)?)"
    r"((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>=`]+))?)*)\s*/?>"
)
# What a browser never shows: comments, and the content of <script> and <style> (Word's styles
# pasted into Moodle's editor).
_HIDDEN_START = re.compile(r"<!--|<(script|style)\b", re.I)
_HIDDEN_END = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}
# Only entities with their closing ';': "R&D" or "&copy" typed as text stay as typed.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")


@dataclass
class HtmlText:
    text: str
    # Was there any markup (tags or entities) to remove?
    converted: bool
    # Was there an <img>? Its file is not in a GIFT file, so the picture is lost.
    picture: bool


def html_to_text(value: str) -> HtmlText:
    """Moodle's HTML as plain text: tags removed, paragraphs and line breaks become spaces once
    ``clean_text`` collapses them, entities decoded (after the tags, so "&lt;i&gt;" stays "<i>")."""
    found = {"converted": False, "picture": False}

    def tag(match: re.Match) -> str:
        name = match.group(2).lower()
        if name not in _BLOCK_TAGS and name not in _INLINE_TAGS:
            return match.group(0)
        found["converted"] = True
        found["picture"] = found["picture"] or name == "img"
        return "\n" if name in _BLOCK_TAGS else ""

    def entity(match: re.Match) -> str:
        decoded = html.unescape(match.group(0))
        found["converted"] = found["converted"] or decoded != match.group(0)
        return decoded

    text, hidden = _without_hidden(value) if "<" in value else (value, False)
    found["converted"] = hidden
    text = _TAG.sub(tag, text) if "<" in text else text
    text = _ENTITY.sub(entity, text) if "&" in text else text
    return HtmlText(text, found["converted"], found["picture"])


def _without_hidden(text: str) -> tuple[str, bool]:
    """``text`` without comments, scripts and styles; whether there were any. One pass: an
    opening that is never closed stops the search (a regex with ".*?" per opening would scan to
    the end once for each, quadratic on a file of unclosed "<!--")."""
    kept, position = [], 0
    while opening := _HIDDEN_START.search(text, position):
        if opening.group(1) is None:
            stop = text.find("-->", opening.end())
            stop = stop + 3 if stop >= 0 else -1
        else:
            closing = _HIDDEN_END[opening.group(1).lower()].search(text, opening.end())
            stop = closing.end() if closing else -1
        if stop < 0:
            break
        kept.append(text[position : opening.start()])
        position = stop
    if not kept:
        return text, False
    kept.append(text[position:])
    return "".join(kept), True


class _Text:
    """Reads the texts of one question, in the format each names or inherits from the stem."""

    def __init__(self) -> None:
        self.converted = False
        self.picture = False

    def read(self, escaped: str, default: str) -> tuple[str, str]:
        """(plain text, format) of one text of the question, its escapes still as placeholders."""
        escaped = escaped.strip()
        fmt = default
        tagged = _FORMAT.match(escaped)
        if tagged:
            fmt = tagged.group(1).casefold()
            escaped = escaped[tagged.end():]
        text = _unescape(escaped)
        if fmt != "plain":
            # [plain] is shown as typed by Moodle; every other format is HTML to a browser.
            converted = html_to_text(text)
            text = converted.text
            self.converted = self.converted or converted.converted
            self.picture = self.picture or converted.picture
        return clean_text(text), fmt


# --- the file's structure ---------------------------------------------------------------------


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


def _parse_block(block: _Block, topic: str) -> tuple[ParsedQuestion, bool]:
    """The question, and whether any of its texts was HTML."""
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
    stem = text[:start].strip()
    title = _TITLE.match(stem)
    if title:
        stem = stem[title.end() :]
    body = text[start + 1 : end]
    explanation = None
    if "####" in body:
        # Moodle takes the general feedback after the last "####".
        body, _sep, explanation = body.rpartition("####")
    answers = _answers(body, start + 1, line_of)
    reader = _Text()
    stem_text, fmt = reader.read(stem, DEFAULT_FORMAT)
    notes: list[str] = []
    stem_text = stem_without_number(stem_text, notes)
    question = _question(block, topic, answers, line_of(start), reader, fmt, notes)
    question.text = stem_text
    if explanation is not None:
        question.explanation = optional_text(reader.read(explanation, fmt)[0])
    if reader.picture:
        question.notes.append(PICTURE_DROPPED)
    return question, reader.converted


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


def _question(block: _Block, topic: str, answers: list[tuple[str, str, int]], brace_line: int,
              reader: _Text, fmt: str, notes: list[str]) -> ParsedQuestion:
    if not any(marker == "~" for marker, _text, _line in answers):
        raise _QuestionError(brace_line, "câu trả lời ngắn (chỉ có đáp án =, không có ~) không được hỗ trợ")
    # As Moodle decides it: one "=" makes a single-answer question, whatever the weights.
    single = any(marker == "=" for marker, _text, _line in answers)
    options, weights = [], []
    for marker, raw, line in answers:
        text = raw.strip()
        weight = _WEIGHT.match(text)
        if marker == "=":
            if weight:
                raise _QuestionError(line, "trọng số chỉ viết sau dấu ~ (ví dụ ~%50%); dấu = là đáp án đúng 100%")
            value = 100.0
        elif weight:
            value = float(weight.group(1).replace(",", "."))
            if not -100 <= value <= 100:
                raise _QuestionError(line, f"trọng số {weight.group(0)} không hợp lệ: cần từ -100% đến 100%")
            text = text[weight.end() :]
        else:
            value = 0.0
        options.append(reader.read(text, fmt)[0])
        weights.append((value, line))
    if single:
        full = [index for index, (value, _line) in enumerate(weights) if value >= 100]
        if len(full) > 1:
            raise _QuestionError(weights[full[1]][1], "nhiều đáp án '='; câu nhiều lựa chọn dùng trọng số, ví dụ ~%50%")
        correct = set(full)
        if any(value not in (0, 100) for value, _line in weights):
            notes.append(PARTIAL_SINGLE)
    else:
        correct = {index for index, (value, _line) in enumerate(weights) if value > 0}
        if not correct:
            raise _QuestionError(brace_line, "thiếu đáp án đúng: đánh dấu bằng = (một đáp án) "
                                 "hoặc trọng số dương như ~%50% (nhiều đáp án)")
        notes.append(PARTIAL_MULTIPLE)
    difficulty_line, difficulty_text = block.difficulty or (block.line, None)
    difficulty, message = parse_difficulty(difficulty_text)
    if message:
        raise _QuestionError(difficulty_line - block.line, message)
    return ParsedQuestion(
        line=block.line,
        topic=topic,
        text="",
        options=_without_labels(options, notes),
        correct=correct,
        multiple=not single,
        marking=MARKING_EQUALS if single else MARKING_WEIGHTS,
        source=optional_text(block.source),
        difficulty=difficulty,
        notes=notes,
    )


def _without_labels(options: list[str], notes: list[str]) -> list[str]:
    """Options typed with their own labels ("~A. Hà Nội ~B. Huế"), in order from A, lose them:
    options are shuffled, so a label would name the wrong place."""
    split = [split_option_label(option) for option in options]
    if len(split) < 2 or any(index != position for position, (index, _text, _spaced) in enumerate(split)):
        return options
    notes.append("đã bỏ nhãn phương án (A., B., …) đứng đầu nội dung phương án")
    return [clean_text(text) for _index, text, _spaced in split]


def _topic(category: str) -> str:
    """Moodle categories are paths ("$course$/top/Hà Giang"); the last part is the topic. Moodle's
    root category "top" holds no questions of its own, so it is no topic either."""
    name = clean_text(category.rstrip("/").rsplit("/", 1)[-1])
    return DEFAULT_TOPIC if not name or name.casefold() == "top" else name


# Signs of GIFT in a file whose extension does not say (Moodle exports GIFT as .txt): a category
# command, a "::title::", Moodle's "// question: 12  name: …" export comment, or an answer block
# that opens with "=", "~", "#" or T/F. An Aiken file has none of these, and an "ANSWER:" line
# per question; the file is GIFT when its GIFT signs outnumber its ANSWER: lines. Each pattern is
# anchored or starts at a fixed character, so a search is linear in the file's size.
_GIFT_SIGNS = re.compile(
    r"^[ \t]*(?:\$CATEGORY:|::[^\n]*::|//[ \t]*question:[ \t]*\d+[ \t]+name:)"
    r"|\{[ \t\r\n]*(?:[=~#]|(?:T|F|TRUE|FALSE)[ \t]*[}#])",
    re.M,
)
_AIKEN_ANSWER = re.compile(r"^[ \t]*ANSWER:", re.M)


def looks_like_gift(text: str) -> bool:
    gift = sum(1 for _match in _GIFT_SIGNS.finditer(text))
    return gift > 0 and gift > sum(1 for _match in _AIKEN_ANSWER.finditer(text))


def parse_gift(data: bytes) -> ParseResult:
    try:
        text = decode_utf8(data)
    except NotUtf8 as error:
        raise BankFileError(error.line, error.message) from None
    result = ParseResult()
    topic = DEFAULT_TOPIC
    with_html = 0
    for kind, item in _blocks(text, result):
        if kind == "category":
            topic = _topic(item)
            continue
        try:
            question, was_html = _parse_block(item, topic)
        except _QuestionError as error:
            result.error(item.line + error.offset_line, error.message)
            continue
        result.questions.append(question)
        with_html += was_html
    if with_html:
        result.notes.append(f"đã chuyển HTML của Moodle thành văn bản thường ở {with_html} câu")
    if not result.questions and not result.errors:
        result.error(1, "tệp không có câu hỏi nào")
    return result
