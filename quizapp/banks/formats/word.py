"""Word (.docx): question banks as Vietnamese organisers type them.

A question starts at its number (``Câu 12:``, ``Câu 12.``, ``[12]``, ``12.``, typed or Word's
automatic numbering) or, in a file without numbers, after a blank paragraph. Options are
``A. …`` paragraphs, two or more on one line separated by a tab or several spaces, or table
cells. The key is an ``Đáp án: B`` / ``ANSWER: B`` line, a table ``Câu | Đáp án`` in the file
or a separate key file (``keyfile.py``), or a mark on the correct option: bold, underline,
italic, a colour or a highlight, on the option's text or only on its letter. Which mark is
decided from the file as a whole: the mark that singles out some (not all) options in the most
questions, so a mark every option carries (all labels bold, all text grey) is ignored. Each
question whose mark is missing, or on every option, is reported; two or more marked options
(not all) make a multiple-select question, with a note in the preview. A short line naming the
key right above the answer table ("ĐÁP ÁN THAM KHẢO") is its title. A table with one question a
row under a spreadsheet header (``STT | Nội dung câu hỏi | A | B | Đáp án``) is read by the
spreadsheet reader.

Locations are the file's own number ("Câu 27") where it has one, else the paragraph ("đoạn 12",
counting every paragraph from the top, table cells included) (DESIGN §7).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from quizapp.banks.formats.common import (
    DEFAULT_TOPIC,
    LETTERS,
    Location,
    ParsedQuestion,
    ParseResult,
    optional_text,
    parse_difficulty,
    split_option_label,
    strip_question_number,
)
from quizapp.banks.formats.docx_text import DocumentReader, Line, Picture, Table, archive_limits, open_document
from quizapp.banks.formats.keyfile import (
    NO_MARKING_NOTE,
    AnswerKey,
    apply_key,
    key_from_rows,
    parse_answer_cell,
    plain,
    table_rows,
)
from quizapp.banks.formats.spreadsheet import header_keys, looks_like_question_header, parse_rows
from quizapp.text import clean_text

_ANSWER_LINE = re.compile(r"\s*(đáp\s*án(?:\s*đúng)?|answer|đa)\s*[:：]\s*(.*)", re.IGNORECASE)
_TOPIC_LINE = re.compile(r"\s*(chủ\s*đề|topic|chuyên\s*đề|lĩnh\s*vực)\s*[:：]\s*(.*\S)", re.IGNORECASE)
_EXTRA_LINE = re.compile(r"\s*(giải\s*thích|explanation|nguồn|source|độ\s*khó|difficulty)\s*[:：]\s*(.*)",
                         re.IGNORECASE)
_EXTRA_FIELD = {"giaithich": "explanation", "explanation": "explanation", "nguon": "source", "source": "source",
                "dokho": "difficulty", "difficulty": "difficulty"}
_END_LINE = re.compile(r"[\W_]*(hết|het|the end)?[\W_]*", re.IGNORECASE)
# A title above the answer table at the end of a file.
_KEY_TITLE = re.compile(r"\W*(bảng\s*)?(đáp\s*án|answer\s*key)(\s*đúng)?\W*", re.IGNORECASE)
# Any short line naming the key right above an answer table is its title ("ĐÁP ÁN THAM KHẢO",
# "III. ĐÁP ÁN", "Đáp án và hướng dẫn chấm"), compared without accents, case or spaces.
_KEY_WORDS = ("dapan", "answerkey")
_MAX_KEY_TITLE, _MAX_KEY_TITLE_LINES = 80, 3
_TABLE_MARKING = "cột Đáp án của bảng"
# Where a second option starts on the same line: after a tab or two spaces.
_NEXT_LABEL = re.compile(r"(?:\t|[ \u00a0]{2,})[ \t\u00a0]*([A-Ha-h])[ \t]*[.)]")
_BARE_LABEL = re.compile(r"\(?([A-Ha-h])[.):]?")
_BARE_NUMBER = re.compile(r"(?:c[aâ]u\s*)?\d{1,5}\s*[.:)]?", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")

# Ties between marks that single out the same options: the likelier one is named.
_MARK_ORDER = ("hl", "color", "u", "b", "i")
_SCOPE_ORDER = {"text": 2, "label": 1, "any": 0}
_HIGHLIGHTS = {"yellow": "vàng", "green": "xanh lá", "cyan": "xanh lơ", "magenta": "hồng", "red": "đỏ",
               "blue": "xanh dương", "lightgray": "xám", "darkgray": "xám", "darkyellow": "vàng sẫm"}


@dataclass
class _Option:
    index: int
    text: str
    label_marks: frozenset[str]
    text_marks: frozenset[str]

    def marks(self, scope: str) -> frozenset[str]:
        if scope == "label":
            return self.label_marks
        if scope == "text":
            return self.text_marks
        return self.label_marks | self.text_marks


@dataclass
class _Draft:
    paragraph: int
    topic: str
    number: int | None = None
    prefix: str | None = None
    stem: list[str] = field(default_factory=list)
    options: list[_Option] = field(default_factory=list)
    answer: tuple[str, str] | None = None  # (how: "Đáp án" / "ANSWER", the letters as written)
    extras: dict[str, str] = field(default_factory=dict)
    pictures: list[tuple[str | None, Picture]] = field(default_factory=list)  # (option letter or None, picture)
    notes: list[str] = field(default_factory=list)
    # (paragraph, message): where in the question something is wrong, and what.
    problems: list[tuple[int, str]] = field(default_factory=list)


def parse_word(data: bytes) -> ParseResult:
    reader = DocumentReader(open_document(data, archive_limits()))
    return _Parser(reader.read()).parse()


class _Parser:
    def __init__(self, items: list[Line | Table]) -> None:
        self.items = items
        self.result = ParseResult()
        self.drafts: list[_Draft] = []
        self.draft: _Draft | None = None
        self.topic = DEFAULT_TOPIC
        self.style = _numbering_style(items)
        self.key = AnswerKey()
        self.key_tables = 0
        self.skipped_before = 0
        self.pending_pictures: list[Picture] = []
        # Questions read from a table laid out like a spreadsheet, by the paragraph they start at.
        self.table_questions: list[tuple[int, ParsedQuestion]] = []

    def parse(self) -> ParseResult:
        table_numbers = {position: number for number, position in enumerate(
            (position for position, item in enumerate(self.items) if isinstance(item, Table)), start=1)}
        key_tables = {position for position, number in table_numbers.items()
                      if key_from_rows(table_rows(self.items[position], number), self.key, need_header=True)}
        self.key_tables = len(key_tables)
        skipped = key_tables | self.key_titles(key_tables)
        for position, item in enumerate(self.items):
            if position in skipped:
                self.finish()
            elif isinstance(item, Table):
                if not self.question_table(item, table_numbers[position]):
                    for line in _table_lines(item):
                        self.feed(line)
            else:
                self.feed(item)
        self.finish()
        return self.build()

    def key_titles(self, key_tables: set[int]) -> set[int]:
        """The title lines right above each answer table ("ĐÁP ÁN THAM KHẢO", "III. ĐÁP ÁN",
        "Bảng đáp án trắc nghiệm"), read as titles and not as the last question's text, as the
        key file reader skips a title above its header."""
        titles: set[int] = set()
        for table in key_tables:
            position, seen = table - 1, 0
            while position >= 0 and seen < _MAX_KEY_TITLE_LINES:
                item = self.items[position]
                if isinstance(item, Table) or not (item.blank or self.names_key(item.text)):
                    break
                if not item.blank:
                    titles.add(position)
                    seen += 1
                position -= 1
        return titles

    def names_key(self, text: str) -> bool:
        """A short line that names the answer key, and is neither an option, a question nor a
        question's own ``Đáp án: B`` line."""
        answer = _ANSWER_LINE.fullmatch(text)
        return (len(clean_text(text)) <= _MAX_KEY_TITLE and any(word in plain(text) for word in _KEY_WORDS)
                and not (answer and answer.group(2).strip()) and split_option_label(text)[0] is None
                and self.question_start(text) is None)

    def question_table(self, table: Table, number: int) -> bool:
        """A table of questions, one a row, under a header as in a spreadsheet (``STT | Nội dung
        câu hỏi | A | B | C | D | Đáp án``): read by the spreadsheet reader. False for any other table."""
        rows = [["\n".join(line.text for line in cell) for cell in row] for row in table.rows]
        header_row = next((row for row, cells in enumerate(rows, start=1) if any(map(str.strip, cells))), None)
        if header_row is None or not looks_like_question_header(rows[header_row - 1]):
            return False
        self.finish()
        columns = header_keys(rows[header_row - 1])
        numbers = _row_numbers(rows[header_row:], columns, first=header_row + 1)

        def where(row: int) -> Location:
            return f"Câu {numbers[row]}" if row in numbers else f"bảng {number} hàng {row}"

        sheet = parse_rows(list(enumerate(rows, start=1)))
        self.result.errors.extend((where(row), message) for row, message in sheet.errors)
        self.result.notes.extend(note for note in sheet.notes if note not in self.result.notes)
        if sheet.questions:
            self.result.notes.append(f"bảng {number}: mỗi hàng một câu hỏi, đọc như tệp Excel (cột Đáp án)")
        for question in sheet.questions:
            row = question.line
            question.line, question.number = where(row), numbers.get(row)
            question.marking = question.marking or _TABLE_MARKING
            cells = table.rows[row - 1]
            self._pictures(question, [(column if column in LETTERS else None, picture)
                                      for column, cell in zip(columns, cells, strict=False)
                                      for line in cell for picture in line.pictures])
            paragraphs = [line.paragraph for cell in cells for line in cell]
            self.table_questions.append((min(paragraphs, default=table.paragraph), question))
        return True

    # --- reading lines into drafts -----------------------------------------------------

    def feed(self, line: Line) -> None:
        text = line.text
        if line.blank:
            if self.style is None:
                self.finish()
            return
        start = self.question_start(text)
        if start is None and (line.heading or (match := _TOPIC_LINE.fullmatch(text.strip()))):
            self.finish()
            self.topic = clean_text(match.group(2) if not line.heading else text)[:200] or self.topic
            return
        if start is None and text.strip() and (_END_LINE.fullmatch(text) or _KEY_TITLE.fullmatch(text)):
            self.finish()
            return
        if start is not None:
            self.begin(line, *start)
            return
        draft = self.draft
        if draft is None and self.style is None and self.drafts and split_option_label(text)[0] == 0 \
                and not self.drafts[-1].options and self.drafts[-1].answer is None:
            # A blank paragraph between a stem and its options.
            draft = self.draft = self.drafts.pop()
        if draft is None:
            if self.style is not None:
                self.skipped_before += 1
                return
            self.begin(line, text, None, None)
            return
        if not text.strip():  # a picture on a line of its own
            if draft.answer is None and not draft.extras:
                draft.pictures.extend((None, picture) for picture in line.pictures)
            else:
                self.pending_pictures.extend(line.pictures)
            return
        if match := _ANSWER_LINE.fullmatch(text):
            self.answer_line(line, draft, match)
            return
        if match := _EXTRA_LINE.fullmatch(text):
            name = _EXTRA_FIELD[re.sub(r"\W", "", _ascii(match.group(1)).casefold())]
            draft.extras[name] = match.group(2)
            return
        index, _rest, _spaced = split_option_label(text)
        if index is not None and draft.answer is None and not draft.extras:
            if index == len(draft.options):
                self.options(line, draft)
                return
            if draft.options:
                draft.problems.append((line.paragraph, f"phương án {LETTERS[index]} không đúng thứ tự "
                                      f"(sau {LETTERS[len(draft.options) - 1]} phải là {_next_letter(draft)})"))
                return
        if not draft.options and draft.answer is None and not draft.extras:
            draft.stem.append(text)
            draft.pictures.extend((None, picture) for picture in line.pictures)
            return
        if self.style is None:
            self.begin(line, text, None, None)
            return
        draft.problems.append((line.paragraph, f"'{_short(text)}' không phải phương án (A. …), dòng Đáp án: "
                                               "hay câu hỏi mới"))

    def question_start(self, text: str) -> tuple[str, str, int | None] | None:
        if self.style is None:
            return None
        rest, prefix = strip_question_number(text)
        if prefix is None or _prefix_style(prefix) != self.style or split_option_label(text)[0] is not None:
            return None
        found = _DIGITS.search(prefix)
        return rest, prefix, int(found.group()) if found else None

    def begin(self, line: Line, stem: str, prefix: str | None, number: int | None) -> None:
        self.finish()
        draft = _Draft(paragraph=line.paragraph, topic=self.topic, number=number, prefix=prefix)
        if stem.strip():
            draft.stem.append(stem)
        draft.pictures.extend((None, picture) for picture in [*self.pending_pictures, *line.pictures])
        self.pending_pictures = []
        self.draft = draft

    def finish(self) -> None:
        if self.draft is not None:
            self.drafts.append(self.draft)
            self.draft = None

    def options(self, line: Line, draft: _Draft) -> None:
        text = line.text
        starts = [0]
        expected = len(draft.options) + 1
        for match in _NEXT_LABEL.finditer(text):
            if LETTERS.index(match.group(1).upper()) == expected:
                starts.append(match.start(1))
                expected += 1
        for piece, begin in enumerate(starts):
            end = starts[piece + 1] if piece + 1 < len(starts) else len(text)
            index, rest, spaced = split_option_label(text[begin:end])
            letter_at = begin + len(text[begin:end]) - len(text[begin:end].lstrip())
            rest_at = end - len(rest)
            if not spaced:
                draft.notes.append(f"phương án {LETTERS[index]} viết liền sau nhãn "
                                   f"('{_short(text[letter_at:end].strip(), 20)}'): đã đọc là '{_short(rest, 20)}'")
            draft.options.append(_Option(index, rest, line.marks_of(letter_at, letter_at + 1, whole=True),
                                         line.marks_of(rest_at, end, whole=False)))
        letter = LETTERS[draft.options[-1].index]
        draft.pictures.extend((letter, picture) for picture in line.pictures)

    def answer_line(self, line: Line, draft: _Draft, match: re.Match) -> None:
        how = "ANSWER" if match.group(1).casefold() == "answer" else "Đáp án"
        if not draft.options:
            draft.problems.append((line.paragraph, f"dòng {how}: đứng trước các phương án"))
        elif draft.answer is not None:
            draft.problems.append((line.paragraph, f"hai dòng {how}:"))
        else:
            draft.answer = (how, match.group(2))

    # --- drafts into questions -----------------------------------------------------------

    def build(self) -> ParseResult:
        result = self.result
        drafts = self._drop_preamble(self.drafts)
        numbers = [draft.number for draft in drafts if draft.number is not None]
        use_numbers = len(set(numbers)) * 2 > len(numbers)
        if numbers and not use_numbers:
            result.notes.append("số trong ngoặc đầu câu lặp lại ở nhiều câu (mức độ?): không dùng làm số câu")
        questions = [self._question(draft, use_numbers) for draft in drafts]
        for how in ("Đáp án", "ANSWER"):
            lines = sum(1 for draft in drafts if draft.answer is not None and draft.answer[0] == how)
            if lines:
                result.notes.append(f"Đáp án lấy từ dòng '{how}:' ở {lines}/{len(drafts)} câu")
        _decide_marks(drafts, questions, result)
        in_order = sorted([*zip((draft.paragraph for draft in drafts), questions, strict=True), *self.table_questions],
                          key=lambda pair: pair[0])
        result.questions = questions = [question for _paragraph, question in in_order]
        if self.key_tables:
            apply_key(result, self.key)
            result.errors.extend(self.key.errors)
        if self.skipped_before:
            result.notes.append(f"bỏ qua {self.skipped_before} đoạn trước câu hỏi đầu tiên")
        if not questions and not result.errors:
            result.error(1, "không thấy câu hỏi nào: mỗi câu bắt đầu bằng 'Câu 1:' (hoặc sau một dòng trống), "
                            "các phương án 'A. …' mỗi phương án một dòng")
        return result

    def _drop_preamble(self, drafts: list[_Draft]) -> list[_Draft]:
        """A title above the first question of an unnumbered file is not a question."""
        while drafts and self.style is None and not drafts[0].options and drafts[0].answer is None:
            self.skipped_before += len(drafts[0].stem)
            drafts = drafts[1:]
        return drafts

    def _question(self, draft: _Draft, use_numbers: bool) -> ParsedQuestion:
        number = draft.number if use_numbers else None
        location: Location = f"Câu {number}" if number is not None else f"đoạn {draft.paragraph}"
        question = ParsedQuestion(
            line=location, topic=draft.topic, text=clean_text(" ".join(draft.stem)),
            options=[clean_text(option.text) for option in draft.options], correct=None, multiple=False,
            number=number, notes=list(draft.notes))
        if draft.prefix:
            question.notes.insert(0, f"đã bỏ số thứ tự '{draft.prefix}'")
        for paragraph, message in draft.problems:
            self.result.error(*_problem_at(location, paragraph, message))
            question.readable = False
        self._extras(question, draft.extras)
        self._pictures(question, draft.pictures)
        if draft.answer is not None:
            how, raw = draft.answer
            letters, message = parse_answer_cell(raw)
            if message:
                self.result.error(location, message)
                question.readable = False
            question.correct, question.multiple = letters, len(letters) > 1
            question.marking = f"dòng {how}:"
        return question

    def _extras(self, question: ParsedQuestion, extras: dict[str, str]) -> None:
        question.explanation = optional_text(extras.get("explanation"))
        question.source = optional_text(extras.get("source"))
        if "difficulty" in extras:
            question.difficulty, message = parse_difficulty(extras["difficulty"])
            if message:
                self.result.error(question.line, message)
                question.readable = False

    @staticmethod
    def _pictures(question: ParsedQuestion, pictures: list[tuple[str | None, Picture]]) -> None:
        """The question's first picture is imported; the others are noted by where they are in the
        question ("hình thứ 2 của câu", "hình ở phương án B"), never by the name Word gave the
        image inside the file, which the organiser never sees."""
        in_stem = sum(1 for letter, _picture in pictures if letter is None)
        taken: str | None = None
        place = 0
        for letter, picture in pictures:
            if letter is not None:
                question.notes.append(f"không nhập được hình ở phương án {letter}: chỉ câu hỏi được có hình")
                continue
            place += 1
            which = f"hình thứ {place} của câu" if in_stem > 1 else "hình của câu"
            if picture.data is None:
                question.notes.append(f"không nhập được {which}: hình liên kết ngoài tệp")
            elif taken is not None:
                question.notes.append(f"không nhập được {which}: mỗi câu chỉ có một hình (đã lấy {taken})")
            else:
                question.picture, question.picture_name = picture.data, picture.name
                taken = f"hình thứ {place}"


def _decide_marks(drafts: list[_Draft], questions: list[ParsedQuestion], result: ParseResult) -> None:
    """Choose the file's marking and read each unanswered question's key from it."""
    candidates = [(draft, question) for draft, question in zip(drafts, questions, strict=True)
                  if draft.answer is None and len(draft.options) >= 2 and question.readable]
    if not candidates:
        return
    scores: Counter[tuple[str, str]] = Counter()
    for draft, _question in candidates:
        marked: Counter[tuple[str, str]] = Counter()
        for option in draft.options:
            for scope in _SCOPE_ORDER:
                marked.update((mark, scope) for mark in option.marks(scope))
        scores.update(key for key, count in marked.items() if count < len(draft.options))
    best = max(scores, default=None, key=lambda key: (
        scores[key], _SCOPE_ORDER[key[1]], -_MARK_ORDER.index(key[0].split(":")[0]), key[0]))
    if best is None or scores[best] * 2 < len(candidates):
        for _draft, question in candidates:
            question.key_problem = ("không thấy đáp án: không có dòng 'Đáp án:' và không nhận ra cách đánh dấu "
                                    "(chữ đậm, gạch chân, màu chữ, tô nền)")
        result.notes.append(NO_MARKING_NOTE)
        return
    mark, scope = best
    label = mark_label(mark) + (" ở chữ cái phương án" if scope == "label" else "")
    found = 0
    for draft, question in candidates:
        marked = {option.index for option in draft.options if mark in option.marks(scope)}
        question.marking = label
        if not marked:
            question.key_problem = f"không thấy đáp án được đánh dấu ({label})"
        elif len(marked) == len(draft.options):
            question.key_problem = f"mọi phương án đều được đánh dấu ({label}), không rõ đáp án nào đúng"
        else:
            found += 1
            question.correct, question.multiple = marked, len(marked) > 1
            if question.multiple:
                question.notes.append(f"{len(marked)} phương án được đánh dấu: nhập thành câu nhiều lựa chọn")
    result.notes.append(f"Đáp án được đánh dấu bằng {label} ở {found}/{len(candidates)} câu")


def mark_label(mark: str) -> str:
    """How a mark reads in a message: "chữ đậm", "chữ màu đỏ", "tô nền vàng"."""
    kind, _, value = mark.partition(":")
    if kind == "b":
        return "chữ đậm"
    if kind == "u":
        return "gạch chân"
    if kind == "i":
        return "chữ nghiêng"
    if kind == "color":
        return f"chữ màu {_colour_name(value)}"
    return f"tô nền {_HIGHLIGHTS.get(value.casefold()) or _colour_name(value)}"


def _colour_name(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
        return value.removeprefix("theme:")
    red, green, blue = (int(value[position:position + 2], 16) for position in (0, 2, 4))
    if red > 0x99 and green < 0x66 and blue < 0x66:
        return "đỏ"
    if blue > 0x99 and red < 0x66:
        return "xanh dương"
    if green > 0x80 and red < 0x66 and blue < 0x80:
        return "xanh lá"
    if red > 0xCC and green > 0xCC and blue < 0x66:
        return "vàng"
    return f"#{value.upper()}"


# --- helpers ------------------------------------------------------------------------------


def _numbering_style(items: list[Line | Table]) -> str | None:
    """How this file numbers its questions ("cau", "bracket", "plain"), or None when it does not."""
    styles: Counter[str] = Counter()
    for item in items:
        for line in _table_lines(item) if isinstance(item, Table) else [item]:
            if line.blank or split_option_label(line.text)[0] is not None:
                continue
            _rest, prefix = strip_question_number(line.text)
            if prefix is not None:
                styles[_prefix_style(prefix)] += 1
    if not styles:
        return None
    style, count = styles.most_common(1)[0]
    return style if count >= 2 or style != "plain" else None


def _prefix_style(prefix: str) -> str:
    if prefix.startswith("["):
        return "bracket"
    return "plain" if prefix[0].isdigit() else "cau"


def _table_lines(table: Table) -> list[Line]:
    """A table's lines row by row; a cell holding only a label ("A", "Câu 3") joins the next cell."""
    lines: list[Line] = []
    for row in table.rows:
        cells = [cell for cell in row if cell]
        index = 0
        while index < len(cells):
            cell = cells[index]
            text = " ".join(line.text for line in cell).strip()
            if index + 1 < len(cells) and (_BARE_LABEL.fullmatch(text) or _BARE_NUMBER.fullmatch(text)):
                label, first, *rest = cell[0], *cells[index + 1]
                joined = Line(label.paragraph, heading=False)
                for start, end, marks in label.spans:
                    joined.add(label.text[start:end], marks)
                if _BARE_LABEL.fullmatch(text) and not text.endswith((".", ")", ":")):
                    joined.add(".", frozenset())
                joined.add(" ", frozenset())
                for start, end, marks in first.spans:
                    joined.add(first.text[start:end], marks)
                joined.pictures = [*label.pictures, *first.pictures]
                lines.extend([joined, *rest])
                index += 2
            else:
                lines.extend(cell)
                index += 1
    return lines


def _row_numbers(rows: list[list[str]], columns: list[str | None], first: int) -> dict[int, int]:
    """Row → the question's number from the STT column, when every question row has its own."""
    if "row_number" not in columns:
        return {}
    column = columns.index("row_number")
    numbers = {row: _number_in(cells[column]) if column < len(cells) else None
               for row, cells in enumerate(rows, start=first) if any(map(str.strip, cells))}
    found = [value for value in numbers.values() if value is not None]
    return numbers if len(found) == len(numbers) and len(set(found)) == len(found) else {}


def _number_in(cell: str) -> int | None:
    """12 for a cell "12", "12." or "Câu 12"."""
    text = clean_text(cell)
    return int(_DIGITS.search(text).group()) if _BARE_NUMBER.fullmatch(text) else None


def _problem_at(location: Location, paragraph: int, message: str) -> tuple[Location, str]:
    """A problem inside a question: under the question's number with the paragraph in the message
    ("Câu 3: đoạn 14: …", "Câu 3: đoạn 14 'dòng lạ' …" when the message opens with the quoted line),
    or, in a file without numbers, at the paragraph itself, so that no message names two paragraphs
    ("đoạn 1: đoạn 5: …")."""
    if isinstance(location, str) and location.startswith("Câu"):
        return location, f"đoạn {paragraph}" + ("" if message.startswith("'") else ":") + f" {message}"
    return f"đoạn {paragraph}", message


def _next_letter(draft: _Draft) -> str:
    return LETTERS[len(draft.options)] if len(draft.options) < len(LETTERS) else "?"


def _short(text: str, limit: int = 40) -> str:
    text = clean_text(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _ascii(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
