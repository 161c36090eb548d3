"""What every bank format parses into, and the rules every question must meet.

Where a problem is: a line number (text files, spreadsheet rows), or for a Word file the
file's own number of the question ("Câu 27") and else its paragraph ("đoạn 12") (DESIGN §7).
``Location`` is either; ``location_order`` sorts them by the number they carry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from quizapp.banks.formats.order import option_naming_others
from quizapp.text import clean_text

LETTERS = "ABCDEFGH"
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_QUESTION, MAX_OPTION, MAX_EXPLANATION, MAX_SOURCE, MAX_TOPIC = 2000, 500, 2000, 500, 200
DEFAULT_TOPIC = "Chung"

_DIFFICULTY = {
    "1": 1, "de": 1, "dễ": 1, "easy": 1,
    "2": 2, "trung binh": 2, "trung bình": 2, "tb": 2, "medium": 2,
    "3": 3, "kho": 3, "khó": 3, "hard": 3,
}


# A line number, or a label such as "Câu 27" or "đoạn 12".
Location = int | str
_NUMBER = re.compile(r"\d+")


def location_order(location: Location) -> tuple[int, str]:
    """Sort key: by the number in the location ("Câu 27" → 27), then by its text."""
    if isinstance(location, int):
        return location, ""
    found = _NUMBER.search(location)
    return (int(found.group()) if found else 0), location


class BankFileError(Exception):
    """A file that cannot be read at all (wrong type, not UTF-8, not a spreadsheet)."""

    def __init__(self, line: Location, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class ParsedQuestion:
    # Where the question starts: its line, or (Word) "Câu 27" / "đoạn 12".
    line: Location
    topic: str
    text: str
    options: list[str]
    # None when the answer could not be read (already reported); the answer checks are skipped.
    correct: set[int] | None
    multiple: bool
    explanation: str | None = None
    source: str | None = None
    difficulty: int | None = None
    # False when the parser reported a problem with this record; it is checked, never imported.
    readable: bool = True
    # Options are shown in the file's order, never shuffled (an option that names others,
    # "Tất cả các ý trên"; or the file asked for it). None: the file does not say, and
    # ``check_all`` decides by the options (formats/order.py); False: the file says shuffle.
    fixed_order: bool | None = None
    # A picture shown with the question: the image file's bytes as found in the bank file
    # (resized and recompressed on import), and what the file calls it, for messages.
    picture: bytes | None = None
    picture_name: str | None = None
    # How the key was marked in the file (Word: "chữ đậm", "gạch chân", "dòng Đáp án: B", …).
    marking: str | None = None
    # What the importer did to this question that the organiser should see in the preview
    # ("đã bỏ số thứ tự 'Câu 12:'", "giữ nguyên thứ tự phương án", …).
    notes: list[str] = field(default_factory=list)
    # The file's own number of the question ("Câu 27" → 27), which a separate answer key names.
    number: int | None = None
    # Why the file gives no usable answer (a Word mark missing, or on every option): reported as
    # an error unless an answer key gives this question's answer (formats.keyfile).
    key_problem: str | None = None


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    # (location, message), in the order found; sorted with ``location_order`` when reported.
    errors: list[tuple[Location, str]] = field(default_factory=list)
    # About the file as a whole, for the preview ("nhận dạng là GIFT", "đáp án in đậm", …).
    notes: list[str] = field(default_factory=list)

    def error(self, line: Location, message: str) -> None:
        self.errors.append((line, message))

    def sorted_errors(self) -> list[tuple[Location, str]]:
        return sorted(self.errors, key=lambda error: (location_order(error[0]), error[1]))


# The space French-style typing puts before these marks ("Ai là người … ?") changes nothing.
_SPACE_BEFORE_MARK = re.compile(r"\s+([?:!;,.])")


def identity_text(text: str) -> str:
    """What decides that two texts are the same: NFC, white space collapsed, case folded, no
    space before ``? : ! ; , .``."""
    return _SPACE_BEFORE_MARK.sub(r"\1", clean_text(text).casefold())


def question_hash(text: str, options: list[str]) -> str:
    """The identity of a question (``questions.text_hash``): its stem and its options.

    Two real questions often share a stem ("Nhận định nào sau đây là đúng?") and differ in
    their options, so the stem alone is not enough. The options count as a set, not in their
    order: takers see them shuffled, so a bank that lists the same options in another order
    holds the same question. The key is not part of it: the same question with another key
    is the same question with a wrong key, which the importer reports rather than adds.
    (Migration 0011 holds a frozen copy of this: change both or neither.)
    """
    parts = [identity_text(text), *sorted(identity_text(option) for option in options)]
    # Unit and record separators: clean_text turns any in the text into spaces.
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def parse_difficulty(raw: str | None) -> tuple[int | None, str | None]:
    """(difficulty, error message)."""
    value = clean_text(raw).casefold()
    if not value:
        return None, None
    if value.endswith(".0"):
        value = value[:-2]
    if value in _DIFFICULTY:
        return _DIFFICULTY[value], None
    return None, f"độ khó {raw!r} không hợp lệ: dùng 1, 2, 3 hoặc dễ, trung bình, khó"


def optional_text(raw: str | None) -> str | None:
    return clean_text(raw) or None


def check_question(question: ParsedQuestion) -> list[str]:
    """Every rule a question must meet, whatever format it came from."""
    errors = []
    if not question.text:
        errors.append("thiếu nội dung câu hỏi")
    elif len(question.text) > MAX_QUESTION:
        errors.append(f"câu hỏi dài {len(question.text)} ký tự, tối đa {MAX_QUESTION}")
    if len(question.topic) > MAX_TOPIC:
        errors.append(f"tên chủ đề dài quá {MAX_TOPIC} ký tự")
    count = len(question.options)
    if count < MIN_OPTIONS:
        errors.append(f"cần ít nhất {MIN_OPTIONS} phương án, có {count}")
    elif count > MAX_OPTIONS:
        errors.append(f"tối đa {MAX_OPTIONS} phương án, có {count}")
    seen: dict[str, int] = {}
    for index, option in enumerate(question.options):
        letter = LETTERS[index] if index < len(LETTERS) else str(index + 1)
        if not option:
            errors.append(f"phương án {letter} trống")
            continue
        if len(option) > MAX_OPTION:
            errors.append(f"phương án {letter} dài {len(option)} ký tự, tối đa {MAX_OPTION}")
        key = option.casefold()
        if key in seen:
            errors.append(f"phương án {letter} trùng phương án {LETTERS[seen[key]]}")
        else:
            seen[key] = index
    if question.correct is not None:
        errors.extend(_answer_errors(question, count))
    if question.explanation and len(question.explanation) > MAX_EXPLANATION:
        errors.append(f"giải thích dài quá {MAX_EXPLANATION} ký tự")
    if question.source and len(question.source) > MAX_SOURCE:
        errors.append(f"nguồn dài quá {MAX_SOURCE} ký tự")
    return errors


def _answer_errors(question: ParsedQuestion, count: int) -> list[str]:
    errors = []
    beyond = sorted(index for index in question.correct if index >= count)
    if beyond:
        letters = ", ".join(LETTERS[index] if index < len(LETTERS) else "?" for index in beyond)
        errors.append(f"đáp án {letters} không có phương án tương ứng")
    correct = len(question.correct)
    if question.multiple and correct == 0:
        errors.append("câu nhiều lựa chọn cần ít nhất một đáp án đúng")
    if not question.multiple and correct != 1:
        errors.append(
            "câu một lựa chọn cần đúng một đáp án" + (f", có {correct}" if correct else "; thiếu đáp án")
        )
    return errors


def check_all(result: ParseResult) -> ParseResult:
    """Apply ``check_question`` to every question, flag duplicates inside the file, and keep
    the order of options that name other options (``order.py``)."""
    first: dict[str, ParsedQuestion] = {}
    stems: dict[str, ParsedQuestion] = {}
    valid = []
    for question in result.questions:
        errors = check_question(question)
        for message in errors:
            result.error(question.line, message)
        if question.text:
            key = question_hash(question.text, question.options)
            earlier = first.get(key)
            if earlier is not None:
                result.error(question.line, _duplicate_message(question, earlier))
                continue
            first[key] = question
            stem = stems.setdefault(identity_text(question.text), question)
            if stem is not question:
                question.notes.append(f"cùng câu hỏi với câu ở {_where(stem.line)} nhưng khác phương án: "
                                      "nhập thành câu riêng")
        if not errors and question.readable:
            _keep_order_if_named(question)
            valid.append(question)
    result.questions = valid
    return result


def _where(location: Location) -> str:
    return f"dòng {location}" if isinstance(location, int) else str(location)


def _duplicate_message(question: ParsedQuestion, earlier: ParsedQuestion) -> str:
    message = f"câu hỏi trùng với câu ở {_where(earlier.line)} (cùng câu hỏi và phương án)"
    if None not in (question.correct, earlier.correct) and correct_texts(question) != correct_texts(earlier):
        message += ", nhưng đáp án khác nhau"
    return message


def correct_texts(question: ParsedQuestion) -> set[str]:
    """The correct options by their text, whatever their place."""
    return {identity_text(question.options[index]) for index in question.correct or ()
            if index < len(question.options)}


def _keep_order_if_named(question: ParsedQuestion) -> None:
    if question.fixed_order is not None:
        return
    index = option_naming_others(question.options)
    question.fixed_order = index is not None
    if index is not None:
        question.notes.append(f"giữ nguyên thứ tự phương án: phương án {LETTERS[index]} "
                              f"\"{question.options[index][:60]}\" nhắc đến phương án khác")


_LETTER_SPLIT = re.compile(r"[\s,;/.()]+")
# What people write before the letters in an answer cell: "Đáp án B", "ĐA: C", "Phương án A".
_ANSWER_PREFIX = re.compile(r"^(?:ĐÁP\s*ÁN(?:\s*ĐÚNG)?|ĐA|PHƯƠNG\s*ÁN|PA)\s*[:.]?\s*")


def parse_answer_letters(raw: str) -> tuple[set[int], str | None]:
    """``A``, ``A,C``, ``B; D``, ``AC``, ``B.``, ``(A)``, ``Đáp án B`` → option indexes, or an
    error message."""
    value = _ANSWER_PREFIX.sub("", clean_text(raw).upper())
    if not value:
        return set(), "thiếu đáp án"
    # "B.", "(A)" and "A, C" alike: dots and brackets only separate letters.
    parts = [part for part in _LETTER_SPLIT.split(value) if part]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])
    indexes = set()
    for part in parts:
        if len(part) != 1 or part not in LETTERS:
            return set(), f"đáp án {raw!r} không hợp lệ: ghi chữ cái A–H, ví dụ A hoặc A,C"
        indexes.add(LETTERS.index(part))
    return indexes, None


# --- numbering and labels that files carry, and takers must not see ----------------------------

# "Câu 12:", "Câu 12.", "Câu 12 -", "Question 3)", "[1]", "1.", "1)" at the start of a stem. A bare
# number needs its punctuation and a space after it, so "1945 là năm …" keeps its year.
_QUESTION_NUMBER = re.compile(
    r"^\s*(?:(?:c[aâ]u|question)\s*\d{1,5}\s*[:.)\-–]?|\[\d{1,5}\]|\d{1,5}\s*[.):](?=\s))\s*",
    re.IGNORECASE,
)
# "A. …", "A) …", "a/ …", "A: …", "A – …", and "A.12 giờ" (no space; the caller notes it).
_OPTION_LABEL = re.compile(r"^\s*([A-Ha-h])\s*([.):/]|\s[-–])(\s*)(?=\S)")


def strip_question_number(text: str) -> tuple[str, str | None]:
    """``text`` without a leading question number, and the number removed (None if none)."""
    found = _QUESTION_NUMBER.match(text)
    # "Câu 1?" is a question about question 1, not a number before nothing.
    if not found or not any(char.isalnum() for char in text[found.end():]):
        return text, None
    return text[found.end():], found.group().strip()


def stem_without_number(text: str, notes: list[str]) -> str:
    """The stem without a "Câu 12:" or "[1]" the file numbered it with (takers see another
    order), noting what was removed."""
    stripped, removed = strip_question_number(text)
    if removed is None:
        return text
    notes.append(f"đã bỏ số thứ tự '{removed}'")
    return clean_text(stripped)


def split_option_label(text: str) -> tuple[int | None, str, bool]:
    """(option index, text without its label, whether a space followed the label) for
    "B. Hà Nội" → (1, "Hà Nội", True); "B.12 giờ" → (1, "12 giờ", False); no label → (None, text, True)."""
    found = _OPTION_LABEL.match(text)
    if not found:
        return None, text, True
    spaced = bool(found.group(3)) or found.group(2)[0] == " "
    return LETTERS.index(found.group(1).upper()), text[found.end():], spaced
