"""The committee's answer table: question number → letter(s), in a Word table, an .xlsx or a .csv.

``banks import QUESTIONS --key KEYFILE`` (DESIGN §5) and the upload page's second file. The key
decides the answers of a numbered questions file; marks found in the questions file are checked
against it, and each disagreement, each question the key lacks and each number the questions file
lacks is reported. A Word questions file may also end with such a table ("Câu | Đáp án").

Layouts read (headers matched ignoring case, accents, spaces and punctuation):

- columns ``Câu | Đáp án``, also several pairs side by side (``Câu | ĐA | Câu | ĐA``);
- rows ``Câu | 1 | 2 | 3`` over ``Đáp án | A | C | B`` (the layout printed under exam papers);
- no header: every row a number and its letters.

Answers are letters (``A``, ``A, C``, ``AC``) or option numbers 1–8 (``1``, ``1, 3``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

from quizapp.banks.formats.common import (
    LETTERS,
    BankFileError,
    Location,
    ParsedQuestion,
    ParseResult,
    parse_answer_letters,
)
from quizapp.text import clean_text

KEY_EXTENSIONS = (".docx", ".xlsx", ".csv")
_NUMBER_HEADERS = {"cau", "causo", "socau", "stt", "cauhoi", "so", "tt", "question", "questionno", "no", "number"}
_ANSWER_HEADERS = {"dapan", "dapandung", "da", "answer", "key", "ketqua", "phuongandung", "dapanchon"}
_DIGITS = re.compile(r"[1-8](?:\s*[,;/\s]\s*[1-8])*")
_QUESTION_NUMBER = re.compile(r"(?:c[aâ]u\s*)?(\d{1,5})\s*[.:)]?", re.IGNORECASE)
MARKING = "tệp đáp án"
# The note a questions file gets when it marks no answers of its own (formats.word); dropped when a
# key answers every question, since the file then needs no marks.
NO_MARKING_NOTE = "Không nhận ra cách đánh dấu đáp án trong tệp"


@dataclass
class AnswerKey:
    # question number → (option indexes, where in the key file)
    answers: dict[int, tuple[set[int], Location]] = field(default_factory=dict)
    errors: list[tuple[Location, str]] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.errors.append((location, message))


def plain(text: str) -> str:
    """A header as compared: no accents, case, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed.casefold() if char.isalnum() and not unicodedata.combining(char))


def parse_answer_cell(raw: str) -> tuple[set[int], str | None]:
    """``A``, ``A, C``, ``AC`` or ``1``, ``1, 3`` → option indexes, or an error message."""
    value = clean_text(raw)
    if _DIGITS.fullmatch(value):
        return {int(digit) - 1 for digit in re.findall(r"[1-8]", value)}, None
    letters, error = parse_answer_letters(value)
    if error:
        return set(), f"đáp án {raw!r} không hợp lệ: ghi chữ cái A–H (A, A,C, AC) hoặc số 1–8"
    return letters, None


def _question_number(raw: str) -> int | None:
    found = _QUESTION_NUMBER.fullmatch(clean_text(raw))
    return int(found.group(1)) if found else None


# Rows as (location of each cell's row, cells).
Rows = list[tuple[Location, list[str]]]


def key_from_rows(rows: Rows, key: AnswerKey, *, need_header: bool = False) -> bool:
    """Read an answer table from ``rows`` into ``key``; False when the rows are not one."""
    rows = [(where, [clean_text(cell) for cell in cells]) for where, cells in rows]
    rows = [(where, cells) for where, cells in rows if any(cells)]
    for index, (_where, cells) in enumerate(rows):
        headers = [plain(cell) for cell in cells]
        pairs = [column for column in range(len(headers) - 1)
                 if headers[column] in _NUMBER_HEADERS and headers[column + 1] in _ANSWER_HEADERS]
        if pairs:
            _read_columns(rows[index + 1:], pairs, key)
            return True
        if headers and headers[0] in _NUMBER_HEADERS and index + 1 < len(rows) \
                and plain(rows[index + 1][1][0]) in _ANSWER_HEADERS:
            _read_across(rows[index:], key)
            return True
        if index >= 4:  # a title or two above the header, not a whole document
            break
    if need_header or not rows:
        return False
    if all(len(cells) >= 2 and _question_number(cells[0]) is not None for _where, cells in rows):
        _read_columns(rows, [0], key)
        return True
    return False


def _read_columns(rows: Rows, pairs: list[int], key: AnswerKey) -> None:
    for where, cells in rows:
        for column in pairs:
            number = cells[column] if column < len(cells) else ""
            answer = cells[column + 1] if column + 1 < len(cells) else ""
            _add(key, where, number, answer)


def _read_across(rows: Rows, key: AnswerKey) -> None:
    """Blocks of two rows: ``Câu | 1 | 2 …`` then ``Đáp án | A | C …``."""
    index = 0
    while index + 1 < len(rows):
        (where, numbers), (_where, answers) = rows[index], rows[index + 1]
        if plain(numbers[0]) not in _NUMBER_HEADERS or plain(answers[0]) not in _ANSWER_HEADERS:
            index += 1
            continue
        for column in range(1, len(numbers)):
            _add(key, where, numbers[column], answers[column] if column < len(answers) else "")
        index += 2


def _add(key: AnswerKey, where: Location, raw_number: str, raw_answer: str) -> None:
    if not raw_number and not raw_answer:
        return
    number = _question_number(raw_number)
    if number is None:
        key.error(where, f"số câu {raw_number!r} không hợp lệ: ghi số, ví dụ 12 hoặc Câu 12")
        return
    if not raw_answer:
        key.error(where, f"câu {number}: thiếu đáp án")
        return
    letters, message = parse_answer_cell(raw_answer)
    if message:
        key.error(where, f"câu {number}: {message}")
    elif number in key.answers:
        earlier = key.answers[number][1]
        key.error(where, f"câu {number} có hai đáp án (cũng ở {_where(earlier)})")
    else:
        key.answers[number] = (letters, where)


def _where(location: Location) -> str:
    return f"dòng {location}" if isinstance(location, int) else location


def parse_key_file(filename: str, data: bytes) -> AnswerKey:
    """Read a key file; every problem is in ``errors`` as (location, message)."""
    key = AnswerKey()
    extension = PurePath(filename).suffix.casefold()
    try:
        if extension == ".csv":
            from quizapp.banks.formats.spreadsheet import read_csv
            found = key_from_rows(list(read_csv(data)), key)
        elif extension == ".xlsx":
            from quizapp.banks.formats.spreadsheet import read_xlsx
            found = key_from_rows(list(read_xlsx(data)), key)
        elif extension == ".docx":
            found = _docx_key(data, key)
        else:
            key.error(0, f"tệp đáp án phải là {', '.join(KEY_EXTENSIONS)}, không nhận {extension or 'tệp không đuôi'}")
            return key
    except BankFileError as error:
        key.error(error.line, error.message)
        return key
    if not found:
        key.error(0, "không thấy bảng đáp án: cần hai cột 'Câu' và 'Đáp án' (hoặc mỗi dòng một số câu và đáp án)")
    elif not key.answers and not key.errors:
        key.error(0, "bảng đáp án trống")
    return key


def _docx_key(data: bytes, key: AnswerKey) -> bool:
    from quizapp.banks.formats.docx_text import DocumentReader, Table, archive_limits, open_document

    items = DocumentReader(open_document(data, archive_limits())).read()
    found = False
    for number, table in enumerate((item for item in items if isinstance(item, Table)), start=1):
        found = key_from_rows(table_rows(table, number), key) or found
    return found


def table_rows(table, number: int) -> Rows:
    return [(f"bảng {number} hàng {row}", cells) for row, cells in enumerate(table.cell_texts(), start=1)]


# --- applying a key to a questions file ---------------------------------------------------


def _letters(indexes: set[int]) -> str:
    return ", ".join(LETTERS[index] if index < len(LETTERS) else "?" for index in sorted(indexes))


def apply_key(result: ParseResult, key: AnswerKey) -> None:
    """The key decides the answers; questions-file marks are cross-checked. Problems on the
    questions' side go to ``result.errors``, those on the key's side to ``key.errors``."""
    questions = [question for question in result.questions if question.readable]
    if not any(question.number is not None for question in questions):
        result.error(0, "các câu hỏi trong tệp không có số thứ tự (Câu 1, Câu 2, …) nên không đối chiếu được "
                        "với tệp đáp án")
        return
    seen: dict[int, ParsedQuestion] = {}
    for question in questions:
        if question.number is None:
            _unanswered(result, question, "câu không có số thứ tự, không đối chiếu được với tệp đáp án")
        elif question.number in seen:
            earlier = _where(seen[question.number].line)
            _unanswered(result, question, f"số câu {question.number} lặp lại (cũng ở {earlier}), "
                                          "không đối chiếu được với tệp đáp án")
        else:
            seen[question.number] = question
    for number, question in seen.items():
        if number not in key.answers:
            _unanswered(result, question, f"câu {number} không có trong tệp đáp án")
            continue
        letters, _where_in_key = key.answers[number]
        marked = question.correct if question.key_problem is None else None
        if marked and marked != letters:
            result.error(question.line, f"đáp án đánh dấu trong tệp câu hỏi ({_letters(marked)}) khác tệp đáp án "
                                        f"({_letters(letters)})")
        question.correct = set(letters)
        question.multiple = question.multiple or len(letters) > 1
        question.key_problem = None
        question.marking = MARKING
    applied = sum(1 for number in seen if number in key.answers)
    result.notes.append(f"Đáp án lấy từ bảng đáp án ở {applied}/{len(seen)} câu")
    if applied == len(questions):
        # The key gave every answer: that the file marks none of its own is no news.
        result.notes = [note for note in result.notes if note != NO_MARKING_NOTE]
    # A question already reported as unreadable is still in the file: its number is no stranger.
    present = {question.number for question in result.questions}
    for number, (_answer, where) in key.answers.items():
        if number not in present:
            key.error(where, f"câu {number} không có trong tệp câu hỏi")


def _unanswered(result: ParseResult, question: ParsedQuestion, message: str) -> None:
    """The key cannot answer ``question``: one error, and not a second one for the mark the
    questions file lacks (``settle_answers``)."""
    result.error(question.line, message)
    question.key_problem = None
    question.readable = False


def settle_answers(result: ParseResult) -> None:
    """Report the answer problems no key settled (a mark missing or ambiguous)."""
    for question in result.questions:
        if question.key_problem:
            result.error(question.line, question.key_problem)
            question.readable = False
