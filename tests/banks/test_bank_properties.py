"""Properties of the bank file parsers (docs/bank-formats.md), checked with hypothesis.

(a) A random valid bank, written in each format by the small writers below, parses back to the
    same questions after the documented clean-up (NFC, trimmed, white space collapsed).
(b) No input, random bytes or random text with any extension, makes ``parse_file`` raise: it
    returns errors or questions, and every question it returns meets every rule.

No database is needed. Examples are kept moderate so the file runs in a few seconds; the
hypothesis example database is off so a run leaves no files behind.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES

from quizapp.banks.formats import ParseResult, parse_file
from quizapp.banks.formats import gift as gift_format
from quizapp.banks.formats.common import LETTERS, check_question, split_option_label, strip_question_number
from quizapp.text import clean_text

SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Vietnamese letters (with every tone on a few vowels), digits, white space the importer collapses
# (tab, no-break space) and the characters each format must escape or quote: GIFT's ~ = # { } : \,
# CSV's quotes, commas and semicolons, and a leading '=' that Excel would take for a formula.
# Left out, because some format cannot carry them at all (documented restrictions, not bugs):
# '>' ("->" marks a GIFT matching question), '[' (a GIFT question starting "[html]" is a format
# marker), line breaks (Aiken and GIFT are line-based), control characters (the importer turns them
# into spaces, so they cannot round-trip).
VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
              "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
SPECIAL = "0123456789 .,;:?!\"'()-/%~=#{}\\@+*&"
ALPHABET = VIETNAMESE + SPECIAL + "\t\u00a0"
TOPIC_ALPHABET = VIETNAMESE + "0123456789 -,.()"  # a GIFT category is a path: no '/', no escapes

DIFFICULTIES = [(1, "1"), (1, "dễ"), (1, "Easy"), (2, "2"), (2, "trung bình"), (2, "MEDIUM"), (3, "3"), (3, "Khó"),
                (3, "hard")]


def messy(base: str, decompose: bool, pad: str) -> str:
    """``base`` as a person might type it: decomposed marks, stray white space."""
    text = unicodedata.normalize("NFD", base) if decompose else base
    return f"{pad}{text}{pad[::-1]}"


def text_strategy(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    raw = st.builds(messy, st.text(alphabet, min_size=1, max_size=max_size), st.booleans(),
                    st.sampled_from(["", " ", "  ", "\t", " \u00a0"]))
    return raw.filter(lambda value: clean_text(value) != "")


@dataclass
class Model:
    """A question as written into a file (raw text) and what it must parse back to."""

    topic: str | None
    text: str
    options: list[str]
    correct: set[int]
    multiple: bool
    explanation: str | None
    source: str | None
    difficulty: tuple[int, str] | None

    def expected(self) -> tuple:
        return (clean_text(self.topic) or "Chung", clean_text(self.text), [clean_text(o) for o in self.options],
                self.correct, self.multiple, clean_text(self.explanation) or None, clean_text(self.source) or None,
                self.difficulty[0] if self.difficulty else None)


def parsed(question) -> tuple:
    return (question.topic, question.text, question.options, question.correct, question.multiple,
            question.explanation, question.source, question.difficulty)


def folded(value: str) -> str:
    return clean_text(value).casefold()


@st.composite
def question_models(draw, *, single_only: bool = False) -> Model:
    count = draw(st.integers(2, 8))
    options = draw(st.lists(text_strategy(ALPHABET, 20), min_size=count, max_size=count, unique_by=folded))
    multiple = False if single_only else draw(st.booleans())
    if multiple:
        correct = draw(st.sets(st.integers(0, count - 1), min_size=1))
    else:
        correct = {draw(st.integers(0, count - 1))}
    optional = st.none() | text_strategy(ALPHABET, 40)
    return Model(
        topic=draw(st.none() | text_strategy(TOPIC_ALPHABET, 20)),
        text=draw(text_strategy(ALPHABET, 60)),
        options=options,
        correct=correct,
        multiple=multiple,
        explanation=draw(optional),
        source=draw(optional),
        difficulty=draw(st.none() | st.sampled_from(DIFFICULTIES)),
    )


def banks(*, single_only: bool = False) -> st.SearchStrategy[list[Model]]:
    return st.lists(question_models(single_only=single_only), min_size=1, max_size=6,
                    unique_by=lambda model: folded(model.text))


def assert_parses_back(filename: str, data: bytes, bank: list[Model]) -> None:
    result = parse_file(filename, data)
    assert result.errors == []
    assert [parsed(question) for question in result.questions] == [model.expected() for model in bank]


# --- writers ---------------------------------------------------------------------------------


def spreadsheet_rows(bank: list[Model], *, row_numbers: bool, difficulty_as_number: bool) -> list[list[object]]:
    width = max(len(model.options) for model in bank)
    header = ["Chủ đề", "Câu hỏi", *LETTERS[:width], "Đáp án", "Nhiều lựa chọn", "Giải thích", "Nguồn", "Độ khó"]
    rows: list[list[object]] = [(["STT"] if row_numbers else []) + header]
    for number, model in enumerate(bank, start=1):
        difficulty: object = ""
        if model.difficulty:
            difficulty = model.difficulty[0] if difficulty_as_number else model.difficulty[1]
        rows.append(([number] if row_numbers else []) + [
            model.topic or "", model.text, *model.options, *[""] * (width - len(model.options)),
            ",".join(LETTERS[index] for index in sorted(model.correct)), "x" if model.multiple else "",
            model.explanation or "", model.source or "", difficulty,
        ])
    return rows


def write_csv(bank: list[Model], *, delimiter: str, newline: str, bom: bool, row_numbers: bool) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(
        spreadsheet_rows(bank, row_numbers=row_numbers, difficulty_as_number=False)
    )
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def write_xlsx(bank: list[Model], *, row_numbers: bool, difficulty_as_number: bool) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    rows = spreadsheet_rows(bank, row_numbers=row_numbers, difficulty_as_number=difficulty_as_number)
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
                # Text, as Excel keeps a cell typed with a leading apostrophe: openpyxl would
                # otherwise write "=…" as a formula and "#N/A" as an error value.
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


AIKEN_LINE = re.compile(r"(?i)(TOPIC|CHỦ ĐỀ)\s*:.*|[A-Z][.)][ \t]+\S.*|ANSWER:.*")


def numbered(text: str) -> bool:
    """Does the text start like a question number ("1. …", "[2]"), which the importer removes?"""
    return strip_question_number(clean_text(text))[1] is not None


def labelled(options: list[str]) -> bool:
    """Do the options carry their own labels A, B, … in order, which the GIFT reader removes?"""
    return all(split_option_label(clean_text(option))[0] == index for index, option in enumerate(options))


def aiken_can_carry(model: Model) -> bool:
    """Aiken is single-select, and a question line must not read as a TOPIC:, option or ANSWER: line."""
    return not model.multiple and not AIKEN_LINE.fullmatch(clean_text(model.text)) and not numbered(model.text)


def write_aiken(bank: list[Model], *, label: str, newline: str, bom: bool) -> bytes:
    lines = []
    for model in bank:
        lines.append(f"TOPIC: {model.topic or ''}")
        lines.append(model.text)
        lines.extend(f"{LETTERS[index]}{label} {option}" for index, option in enumerate(model.options))
        lines.append(f"ANSWER: {LETTERS[next(iter(model.correct))]}")
        if model.explanation:
            lines.append(f"EXPLANATION: {model.explanation}")
        if model.source:
            lines.append(f"NGUỒN: {model.source}")
        if model.difficulty:
            lines.append(f"ĐỘ KHÓ: {model.difficulty[1]}")
        lines.append("")
    return (b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8")


def gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text


def gift_can_carry(model: Model, titled: bool) -> bool:
    """A weight-like start ("%50%") cannot be escaped in an answer; nor can a leading '$' or '//' of an
    untitled question (a command or a comment). Nor can an HTML entity ("&#0;"): GIFT's default
    format is Moodle's HTML, in which it means the character it names."""
    texts = [model.text, *model.options, model.explanation or ""]
    if any(gift_format._ENTITY.search(text) for text in texts):
        return False
    if any(clean_text(option).startswith("%") for option in model.options):
        return False
    if numbered(model.text) or labelled(model.options):
        return False
    return titled or not clean_text(model.text).startswith(("$", "//"))


def write_gift(bank: list[Model], *, titled: bool, newline: str) -> bytes:
    lines = []
    for number, model in enumerate(bank, start=1):
        # Moodle writes the category as a path; the importer keeps its last part. No topic: an empty one.
        lines.append(f"$CATEGORY: $course$/top/{model.topic}" if model.topic else "$CATEGORY:")
        if model.source:
            lines.append(f"// Nguồn: {model.source}")
        if model.difficulty:
            lines.append(f"// Độ khó: {model.difficulty[1]}")
        title = f"::Câu {number}:: " if titled else ""
        lines.append(f"{title}{gift_escape(model.text)} {{")
        for index, option in enumerate(model.options):
            if model.multiple:
                weight = "%50%" if index in model.correct else "%-100%"
                lines.append(f"  ~{weight}{gift_escape(option)}")
            else:
                lines.append(f"  {'=' if index in model.correct else '~'}{gift_escape(option)}")
        if model.explanation:
            lines.append(f"  ####{gift_escape(model.explanation)}")
        lines.append("}")
        lines.append("")
    return newline.join(lines).encode("utf-8")


# --- (a) a valid bank parses back identical ----------------------------------------------------


@SETTINGS
@given(bank=banks(), delimiter=st.sampled_from([",", ";"]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans(), row_numbers=st.booleans())
def test_csv_parses_back_identical(bank, delimiter, newline, bom, row_numbers):
    data = write_csv(bank, delimiter=delimiter, newline=newline, bom=bom, row_numbers=row_numbers)
    assert_parses_back("ngan-hang.csv", data, bank)


@settings(SETTINGS, max_examples=60)
@given(bank=banks(), row_numbers=st.booleans(), difficulty_as_number=st.booleans())
# An option that reads like an Excel error value, kept as text (found by this test once).
@example(bank=[Model(None, "0", ["0", "#N/A"], {0}, False, None, None, None)], row_numbers=False,
         difficulty_as_number=False)
def test_xlsx_parses_back_identical(bank, row_numbers, difficulty_as_number):
    data = write_xlsx(bank, row_numbers=row_numbers, difficulty_as_number=difficulty_as_number)
    assert_parses_back("ngan-hang.xlsx", data, bank)


@SETTINGS
@given(bank=banks(single_only=True), label=st.sampled_from([".", ")"]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans())
def test_aiken_parses_back_identical(bank, label, newline, bom):
    assume(all(aiken_can_carry(model) for model in bank))
    assert_parses_back("ngan-hang.txt", write_aiken(bank, label=label, newline=newline, bom=bom), bank)


@SETTINGS
@given(bank=banks(), titled=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))
def test_gift_parses_back_identical(bank, titled, newline):
    assume(all(gift_can_carry(model, titled) for model in bank))
    assert_parses_back("ngan-hang.gift", write_gift(bank, titled=titled, newline=newline), bank)


# --- (b) nothing makes a parser raise -----------------------------------------------------------

EXTENSIONS = [".xlsx", ".csv", ".txt", ".gift", ".docx", ""]

# Lines that steer the parsers into their branches: headers, options, answers, braces, commands.
FRAGMENTS = [
    "Câu hỏi,A,B,Đáp án", "Chủ đề;Câu hỏi;A;B;C;Đáp án;Nhiều lựa chọn;Độ khó", "STT,Question,Option A,Answer,",
    'Q,"x,y",z,A', '"unterminated,1,2,B', "Câu?,1,2,A,C,x", ",,,", "Câu,Một,Một,E5,khó lắm",
    "A. Một", "B) Hai", "b. ba", "C.Bốn", "ANSWER: A", "ANSWER: Z", "answer: b", "ANSWER: A, B", "TOPIC: Lịch sử",
    "EXPLANATION: vì", "DIFFICULTY: 9", "NGUỒN:", "Câu hỏi một dòng?",
    "$CATEGORY: a/b/", "$LỆNH: x", "// Nguồn: sách", "// Độ khó: rất khó", "::t:: Q {", "Q {=a ~b}", "{", "}",
    "=đúng", "~sai", "~%50%a", "~%-100%b", "=a -> b", "{#1945}", "{T}", "####giải thích", r"\{ \} \~ \\", "[html]Q {}",
    "", " ", "\t",
]
random_lines = st.lists(st.sampled_from(FRAGMENTS) | st.text(ALPHABET + "\r\n", max_size=30), max_size=25)


def assert_well_formed(result, data: bytes | None = None) -> None:
    assert isinstance(result, ParseResult)
    assert result.errors or result.questions
    last_line = None
    if data is not None:
        last_line = len(data.decode("utf-8", "replace").splitlines()) + 1
    for line, message in result.errors:
        assert isinstance(line, int) and line >= 1 and message
        if last_line is not None:
            assert line <= max(last_line, 2), (line, last_line)
    if not result.errors:
        for question in result.questions:
            assert check_question(question) == []


EXTENSION_PARAMS = [pytest.param(extension, id=extension or "none", marks=[])
                    for extension in EXTENSIONS]


@pytest.mark.parametrize("extension", EXTENSION_PARAMS)
@settings(SETTINGS, max_examples=100, derandomize=True)
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise(extension, data):
    assert_well_formed(parse_file(f"tep{extension}", data))


@pytest.mark.parametrize("extension", EXTENSION_PARAMS)
@settings(SETTINGS, max_examples=100, derandomize=True)
@given(lines=random_lines, newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_random_text_never_raises(extension, lines, newline, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8")
    assert_well_formed(parse_file(f"tep{extension}", data), data if extension in (".csv", ".txt", ".gift") else None)


@functools.cache
def valid_xlsx() -> bytes:
    workbook = Workbook()
    for row in (["Câu hỏi", "A", "B", "Đáp án"], ["Thủ đô của nước ta?", "Hà Nội", "Huế", "A"]):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_sheet_cut(fraction: float) -> bytes:
    """The valid workbook with its sheet's XML cut short, in an otherwise sound zip."""
    source, buffer = zipfile.ZipFile(io.BytesIO(valid_xlsx())), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: max(1, int(len(content) * fraction))]
            target.writestr(item, content)
    return buffer.getvalue()


@settings(SETTINGS, max_examples=40, derandomize=True)
@given(fraction=st.floats(min_value=0.0, max_value=0.99))
def test_xlsx_with_a_damaged_sheet_never_raises(fraction):
    assert_well_formed(parse_file("tep.xlsx", with_sheet_cut(fraction)))
