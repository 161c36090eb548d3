"""`flask banks import` and `banks export` (DESIGN §3 rule 8, §5; docs/bank-formats.md).

A bad file is refused with every error on its line and changes nothing; a good file imports
with the counts printed; an exported bank imports again unchanged. Bad files live in
tests/banks/bank_files/bad/ (one per error class and format); the .xlsx ones are built here with
openpyxl, so no binaries are committed.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select, update

from quizapp.banks.formats import ParsedQuestion, parse_file
from quizapp.banks.models import Bank, Option, Question, Topic
from quizapp.extensions import db

FILES = Path(__file__).parent / "bank_files"
BAD, GOOD = FILES / "bad", FILES / "good"
ON_POSTGRES = os.environ.get("QUIZAPP_DATABASE_URL", "").startswith("postgres")

# --- helpers ----------------------------------------------------------------------------


class Stored(NamedTuple):
    topic: str
    text: str
    options: tuple[str, ...]
    correct: frozenset[int]
    multiple: bool
    explanation: str | None
    source: str | None
    difficulty: int | None


def as_stored(question: ParsedQuestion) -> Stored:
    return Stored(question.topic, question.text, tuple(question.options), frozenset(question.correct),
                  question.multiple, question.explanation, question.source, question.difficulty)


def import_file(runner, path: Path, *options: str):
    return runner.invoke(args=["banks", "import", str(path), *options])


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Bank, Topic, Question, Option)
        }


def bank_questions(app, slug: str, *, active_only: bool = False) -> list[Stored]:
    """The bank's questions as stored, in insertion order."""
    with app.app_context():
        bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
        assert bank is not None, f"no bank {slug}"
        statement = select(Question).where(Question.bank_id == bank.id).order_by(Question.id)
        if active_only:
            statement = statement.where(Question.is_active)
        return [
            Stored(
                question.topic.name,
                question.text,
                tuple(option.text for option in question.options),
                frozenset(option.position for option in question.options if option.is_correct),
                question.multiple,
                question.explanation,
                question.source,
                question.difficulty,
            )
            for question in db.session.scalars(statement)
        ]


def reported_errors(result, path: Path) -> list[tuple[int, str]]:
    prefix = f"{path}:"
    errors = []
    for line in result.stderr.splitlines():
        if line.startswith(prefix):
            number, _, message = line[len(prefix):].partition(": ")
            errors.append((int(number), message))
    return errors


def assert_refused(result, path: Path, expected) -> None:
    """Exit 1 with a report (not a crash), and exactly the expected (line, phrase) errors, by line."""
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code == 1, result.output
    reported = reported_errors(result, path)
    assert [line for line, _ in reported] == sorted(line for line, _ in reported), "errors are listed by line"
    unmatched = list(reported)
    for line, phrase in expected:
        match = next((item for item in unmatched if item[0] == line and phrase in item[1]), None)
        assert match is not None, f"no error {phrase!r} on line {line}; reported: {reported}"
        unmatched.remove(match)
    assert not unmatched, f"unexpected errors: {unmatched}"
    other = [line for line in result.stderr.splitlines() if not line.startswith(f"{path}:")]
    assert other == [f"Không nhập câu hỏi nào: {len(expected)} lỗi."]


def write_xlsx(path: Path, rows: list[list[object] | None], *, formulas: bool = False) -> Path:
    """Rows from row 1 (None: a blank row); text starting with '=' stays text unless ``formulas``."""
    workbook = Workbook()
    sheet = workbook.active
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row or [], start=1):
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str) and value.startswith("=") and not formulas:
                cell.data_type = "s"
    workbook.save(path)
    return path


def rewrite_sheet_xml(data: bytes, change) -> bytes:
    """The workbook ``data`` with its first sheet's XML passed through ``change``."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return buffer.getvalue()


def with_cached_values(data: bytes, cached: dict[str, tuple[str | None, str]]) -> bytes:
    """Give formula cells the last computed value Excel stores beside the formula (openpyxl cannot)."""

    def change(xml: str) -> str:
        for ref, (kind, value) in cached.items():
            pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v ?/>|<v></v>)')
            match = pattern.search(xml)
            assert match, ref
            kind_attribute = f' t="{kind}"' if kind else ""
            cell = f'<c r="{ref}"{match.group(1)}{kind_attribute}><f>{match.group(2)}</f><v>{value}</v>'
            xml = xml[: match.start()] + cell + xml[match.end():]
        return xml

    return rewrite_sheet_xml(data, change)


@pytest.fixture
def seeded(app, runner) -> dict[str, int]:
    """Bank `seed` with three questions in two topics: the row counts a refused import must keep."""
    result = import_file(runner, GOOD / "seed.csv", "--bank", "seed")
    assert result.exit_code == 0, result.output
    counts = row_counts(app)
    assert counts == {"banks": 1, "topics": 2, "questions": 3, "options": 11}
    return counts


# --- bad files: every error on its line, nothing written ---------------------------------


def case(name: str, *expected: tuple[int, str]):
    return pytest.param(name, expected, id=name)


BAD_FILES = [
    # .csv
    case("csv_unknown_column.csv", (1, "cột không xác định: 'Ghi chú'")),
    case("csv_missing_question_column.csv", (1, "thiếu cột Câu hỏi")),
    case("csv_missing_a_column.csv", (1, "thiếu cột A"), (1, "liên tục từ A")),
    case("csv_missing_b_column.csv", (1, "thiếu cột B")),
    case("csv_missing_answer_column.csv", (1, "thiếu cột Đáp án")),
    case("csv_options_not_contiguous.csv", (1, "liên tục từ A: có A, B, D")),
    case("csv_empty_question.csv", (3, "thiếu nội dung câu hỏi")),
    case("csv_too_few_options.csv", (3, "cần ít nhất 2 phương án, có 1")),
    case("csv_too_many_options.csv", (1, "cột không xác định: 'I'")),
    case("csv_empty_option_middle.csv", (3, "phương án B trống")),
    case("csv_repeated_option.csv", (3, "phương án B trùng phương án A")),
    case("csv_answer_without_option.csv", (3, "đáp án D không có phương án tương ứng")),
    case("csv_no_answer.csv", (3, "thiếu đáp án")),
    case("csv_two_answers_single.csv", (2, "câu một lựa chọn cần đúng một đáp án, có 2")),
    case("csv_invalid_answer.csv", (3, "đáp án 'E5' không hợp lệ")),
    case("csv_bad_difficulty.csv", (3, "độ khó 'rất khó' không hợp lệ")),
    case("csv_bad_multiple.csv", (2, "cột Nhiều lựa chọn 'có thể'")),
    # Row 2's text again: upper case, extra and odd white space, decomposed marks (NFD).
    case("csv_duplicate_questions.csv", (3, "trùng với câu ở dòng 2"), (4, "trùng với câu ở dòng 2"),
         (5, "trùng với câu ở dòng 2")),
    # Rows 2-5 one field over its limit each; row 6 every field exactly at its limit.
    case("csv_too_long.csv", (2, "câu hỏi dài 2001 ký tự, tối đa 2000"), (3, "phương án A dài 501 ký tự, tối đa 500"),
         (4, "giải thích dài quá 2000"), (5, "nguồn dài quá 500")),
    case("csv_not_utf8.csv", (3, "không ở mã UTF-8")),
    case("csv_broken_quoting.csv", (2, "ngoặc kép")),
    # A quoted cell over lines 2-3: the next record starts on line 4.
    case("csv_multiline_then_error.csv", (4, "đáp án 'Z' không hợp lệ")),
    case("csv_header_only.csv", (2, "không có câu hỏi nào")),
    # BOM, semicolons, CRLF, STT, a blank line; row 7 has an unquoted "A;B" that shifts its cells.
    case("csv_many_errors.csv", (3, "phương án B trùng phương án A"), (5, "thiếu nội dung câu hỏi"),
         (6, "trùng với câu ở dòng 2"), (7, "cột Nhiều lựa chọn 'B'"), (7, "độ khó 'x'"), (8, "độ khó 'khó lắm'")),
    case("csv_row_two_problems.csv", (3, "thiếu nội dung câu hỏi"), (3, "phương án B trùng phương án A"),
         (3, "đáp án 'E5' không hợp lệ"), (3, "độ khó 'rất khó'")),
    case("csv_empty.csv", (1, "tệp trống")),
    # not a spreadsheet, unknown type
    case("xlsx_renamed_text.xlsx", (1, "không đọc được tệp Excel .xlsx")),
    case("xlsx_empty.xlsx", (1, "không đọc được tệp Excel .xlsx")),
    case("unknown_extension.pdf", (1, "không nhận dạng được loại tệp .pdf")),
    case("word_not_a_docx.docx", (1, "không đọc được tệp Word .docx")),
    case("no_extension", (1, "không nhận dạng được loại tệp (không có đuôi)")),
    # Aiken .txt (most files start with a valid question on lines 1-5)
    case("aiken_multiline_question.txt", (8, "câu hỏi phải nằm trên một dòng")),
    case("aiken_options_out_of_order.txt", (9, "phương án C sai thứ tự: cần B")),
    case("aiken_repeated_label.txt", (10, "phương án B bị lặp")),
    case("aiken_lowercase_label.txt", (9, "nhãn phương án phải là chữ in hoa")),
    # "A.10 giờ" without a space is read as Moodle reads it; a label out of order is still refused,
    # at its own line and once (D after C is not reported again).
    case("aiken_unspaced_label_out_of_order.txt", (9, "phương án C sai thứ tự: cần B")),
    case("aiken_missing_answer.txt", (1, "thiếu dòng 'ANSWER: X'")),
    case("aiken_lowercase_answer.txt", (10, "phải viết đúng 'ANSWER: X'")),
    case("aiken_multiple_answer_letters.txt", (11, "Aiken chỉ cho một đáp án đúng")),
    case("aiken_answer_without_option.txt", (10, "đáp án C không có phương án tương ứng")),
    # A note after the answer, then a blank line: it is no question (Moodle would drop it silently).
    case("aiken_text_after_answer.txt", (6, "dòng không có phương án và dòng ANSWER: đi kèm")),
    case("aiken_options_without_question.txt", (7, "không thuộc câu hỏi nào")),
    case("aiken_answer_without_question.txt", (7, "không thuộc câu hỏi nào")),
    case("aiken_too_many_options.txt", (16, "tối đa 8 phương án")),
    case("aiken_too_few_options.txt", (7, "cần ít nhất 2 phương án, có 1")),
    case("aiken_bad_difficulty.txt", (6, "độ khó 'rất khó' không hợp lệ")),
    case("aiken_duplicate_question.txt", (7, "trùng với câu ở dòng 1")),
    case("aiken_not_utf8.txt", (8, "không ở mã UTF-8")),
    case("aiken_empty.txt", (1, "không có câu hỏi nào")),
    case("aiken_many_errors.txt", (10, "chữ in hoa"), (13, "thiếu dòng 'ANSWER: X'"),
         (17, "phương án B trùng phương án A"), (25, "Aiken chỉ cho một đáp án đúng")),
    # GIFT .gift (most files start with a valid question on line 1 and a blank line 2)
    case("gift_true_false.gift", (3, "câu đúng/sai")),
    case("gift_short_answer.gift", (3, "câu trả lời ngắn")),
    case("gift_matching.gift", (4, "câu ghép cặp")),
    case("gift_numerical.gift", (3, "câu dạng số")),
    case("gift_essay.gift", (3, "câu tự luận")),
    case("gift_description.gift", (3, "câu dạng mô tả")),
    case("gift_missing_word.gift", (3, "câu điền từ")),
    case("gift_two_equals.gift", (6, "nhiều đáp án '='")),
    case("gift_weight_out_of_range.gift", (4, "trọng số %150% không hợp lệ")),
    case("gift_unbalanced_braces.gift", (3, "đúng một cặp ngoặc")),
    case("gift_unknown_command.gift", (3, "chỉ hỗ trợ lệnh $CATEGORY:")),
    case("gift_repeated_option.gift", (3, "phương án B trùng phương án A")),
    case("gift_bad_difficulty.gift", (3, "độ khó 'rất khó' không hợp lệ")),
    case("gift_no_answer.gift", (3, "thiếu đáp án")),
    case("gift_too_many_options.gift", (3, "tối đa 8 phương án, có 9")),
    case("gift_not_utf8.gift", (4, "không ở mã UTF-8")),
    case("gift_empty.gift", (1, "không có câu hỏi nào")),
    case("gift_many_errors.gift", (9, "câu đúng/sai"), (11, "câu dạng số"), (15, "chỉ hỗ trợ lệnh $CATEGORY:"),
         (18, "nhiều đáp án '='"), (22, "câu điền từ"), (24, "trùng với câu ở dòng 3")),
]


def test_every_bad_file_has_its_expected_errors_listed():
    assert sorted(path.name for path in BAD.iterdir()) == sorted(param.values[0] for param in BAD_FILES)


@pytest.mark.parametrize(("name", "expected"), BAD_FILES)
def test_bad_file_is_refused_with_every_error_and_changes_nothing(app, runner, seeded, name, expected):
    path = BAD / name
    assert_refused(import_file(runner, path, "--bank", "seed"), path, expected)
    assert row_counts(app) == seeded
    # Into a new bank named after the file: not even the bank is created.
    assert_refused(import_file(runner, path), path, expected)
    assert row_counts(app) == seeded


def xcase(name: str, rows: list[list[object] | None], *expected: tuple[int, str]):
    return pytest.param(rows, expected, id=name)


XLSX_CASES = [
    xcase("unknown_column", [["Câu hỏi", "A", "B", "Đáp án", "Ghi chú"], ["Thủ đô?", "Hà Nội", "Huế", "A", "x"]],
          (1, "cột không xác định: 'Ghi chú'")),
    xcase("too_many_options", [["Câu hỏi", *"ABCDEFGHI", "Đáp án"], ["Chín phương án?", *range(1, 10), "A"]],
          (1, "cột không xác định: 'I'")),
    xcase("missing_columns", [["Chủ đề", "Nguồn"], ["Lịch sử", "Sách"]],
          (1, "thiếu cột Câu hỏi"), (1, "thiếu cột A"), (1, "thiếu cột B"), (1, "thiếu cột Đáp án")),
    xcase("options_not_contiguous", [["Câu hỏi", "A", "C", "Đáp án"], ["Thủ đô?", "Hà Nội", "Huế", "A"]],
          (1, "thiếu cột B"), (1, "liên tục từ A: có A, C")),
    # The header on row 2 and a blank row 4: errors carry the row numbers Excel shows.
    xcase("row_errors", [
        None,
        ["STT", "Câu hỏi", "A", "B", "C", "Đáp án", "Nhiều lựa chọn", "Độ khó"],
        [1, "Câu hợp lệ?", "Một", "Hai", "Ba", "A", None, 1],
        None,
        [3, "Đáp án ghi sai?", "Một", "Hai", "Ba", "E5", None, None],
        [4, "Đáp án là số chín?", "Một", "Hai", "Ba", 9, None, None],
        [5, "Độ khó bằng bốn?", "Một", "Hai", "Ba", "B", None, 4],
        [6, "Cột nhiều lựa chọn ghi số?", "Một", "Hai", "Ba", "B", 2, None],
        [7, "Phương án giữa để trống?", "Một", None, "Ba", "A", None, None],
        [8, "CÂU HỢP LỆ?", "Một", "Hai", "Ba", "A", None, None],
        [9, "Hai đáp án cho câu một lựa chọn?", "Một", "Hai", "Ba", "A,B", "không", None],
        [10, "Câu không có đáp án?", "Một", "Hai", "Ba", None, None, None],
    ], (5, "đáp án 'E5' không hợp lệ"), (6, "đáp án '9' không hợp lệ"), (7, "độ khó '4' không hợp lệ"),
        (8, "cột Nhiều lựa chọn '2'"), (9, "phương án B trống"), (10, "trùng với câu ở dòng 3"),
        (11, "cần đúng một đáp án, có 2"), (12, "thiếu đáp án")),
    xcase("over_long", [
        ["Câu hỏi", "A", "B", "Đáp án", "Giải thích", "Nguồn"],
        ["Q" * 2001, "Một", "Hai", "A", None, None],
        ["Phương án dài?", "O" * 501, "Hai", "A", None, None],
        ["Giải thích dài?", "Một", "Hai", "A", "E" * 2001, None],
        ["Nguồn dài?", "Một", "Hai", "A", None, "S" * 501],
    ], (2, "câu hỏi dài 2001 ký tự"), (3, "phương án A dài 501 ký tự"), (4, "giải thích dài quá 2000"),
        (5, "nguồn dài quá 500")),
    xcase("empty_sheet", [], (1, "tệp trống")),
    xcase("header_only", [["Câu hỏi", "A", "B", "Đáp án"]], (2, "không có câu hỏi nào")),
]


@pytest.mark.parametrize(("rows", "expected"), XLSX_CASES)
def test_bad_xlsx_is_refused_with_every_error_on_its_excel_row(app, runner, seeded, tmp_path, rows, expected):
    path = write_xlsx(tmp_path / "cau-hoi.xlsx", rows)
    assert_refused(import_file(runner, path, "--bank", "seed"), path, expected)
    assert row_counts(app) == seeded


# --- spreadsheet bugs around the header --------------------------------------------------


def test_csv_header_with_a_trailing_separator_imports(app, runner, tmp_path):
    path = tmp_path / "dau-phay.csv"
    path.write_text("Câu hỏi,A,B,Đáp án,\nThủ đô của nước ta?,Hà Nội,Huế,A,\n", encoding="utf-8")
    result = import_file(runner, path)
    assert result.exit_code == 0, repr(result.exception)
    assert [question.text for question in bank_questions(app, "dau-phay")] == ["Thủ đô của nước ta?"]


def test_xlsx_with_a_formatted_empty_cell_right_of_the_header_imports(app, runner, tmp_path):
    # Excel and openpyxl count a formatted cell in the sheet's used range, so every row read is
    # as wide as that column and the header row ends in blank cells.
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Câu hỏi", "A", "B", "Đáp án"])
    sheet.append(["Thủ đô của nước ta?", "Hà Nội", "Huế", "A"])
    sheet["F2"].font = Font(bold=True)
    path = tmp_path / "dinh-dang.xlsx"
    workbook.save(path)
    result = import_file(runner, path)
    assert result.exit_code == 0, repr(result.exception)
    assert [question.text for question in bank_questions(app, "dinh-dang")] == ["Thủ đô của nước ta?"]


def test_xlsx_note_beyond_the_header_is_a_row_error(app, runner, tmp_path):
    path = write_xlsx(tmp_path / "ghi-chu.xlsx", [
        ["Câu hỏi", "A", "B", "Đáp án"],
        ["Thủ đô của nước ta?", "Hà Nội", "Huế", "A"],
        ["Cố đô của nước ta?", "Hà Nội", "Huế", "B", None, "hỏi lại thầy"],
    ])
    assert_refused(import_file(runner, path), path, [(3, "cột không có tiêu đề")])
    assert row_counts(app)["banks"] == 0


def test_data_under_a_blank_header_cell_is_refused(app, runner, tmp_path):
    path = tmp_path / "thieu-tieu-de.csv"
    path.write_text("Câu hỏi,A,B,,Đáp án\nThủ đô của nước ta?,Hà Nội,Huế,Đà Nẵng,A\n", encoding="utf-8")
    result = import_file(runner, path)
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code == 1
    assert {line for line, _ in reported_errors(result, path)} & {1, 2}
    assert row_counts(app)["questions"] == 0


def test_xlsx_with_an_understated_dimension_reads_every_row(tmp_path):
    rows = [["Câu hỏi", "A", "B", "C", "Đáp án"]] + [[f"Câu {n}?", "Một", "Hai", "Ba", "C"] for n in range(1, 4)]
    data = write_xlsx(tmp_path / "x.xlsx", rows).read_bytes()
    data = rewrite_sheet_xml(data, lambda xml: xml.replace('<dimension ref="A1:E4" />', '<dimension ref="A1:E2" />'))
    result = parse_file("x.xlsx", data)
    assert result.errors == []
    assert [question.text for question in result.questions] == ["Câu 1?", "Câu 2?", "Câu 3?"]


DAMAGES = {
    "sheet XML cut in half": lambda xml: xml[: len(xml) // 2],
    "row number not a number": lambda xml: xml.replace('<row r="2"', '<row r="hai"'),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_xlsx_is_reported_not_raised(app, runner, seeded, tmp_path, damage):
    rows = [["Câu hỏi", "A", "B", "Đáp án"], ["Thủ đô của nước ta?", "Hà Nội", "Huế", "A"]]
    path = tmp_path / "hong.xlsx"
    path.write_bytes(rewrite_sheet_xml(write_xlsx(tmp_path / "good.xlsx", rows).read_bytes(), damage))
    result = import_file(runner, path, "--bank", "seed")
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code == 1
    # One error, on the file (line 1) or on the row where the damage starts (row 2).
    assert [line for line, _ in reported_errors(result, path)] in ([1], [2])
    assert row_counts(app) == seeded


def test_aiken_label_after_an_out_of_order_one_is_not_called_repeated():
    text = "Thủ đô của nước ta?\nA. Hà Nội\nB. Huế\nD. Đà Nẵng\nC. Sài Gòn\nANSWER: A\n"
    errors = sorted(parse_file("x.txt", text.encode()).errors)
    assert errors[0] == (4, "phương án D sai thứ tự: cần C")
    assert not any("bị lặp" in message for _, message in errors), errors


SOFT_BREAKS = {"vertical tab (Word's Shift+Enter)": "\v", "form feed": "\f", "line separator": "\u2028"}


@pytest.mark.parametrize("soft_break", SOFT_BREAKS.values(), ids=SOFT_BREAKS.keys())
@pytest.mark.parametrize(("extension", "text", "expected"), [
    (".txt", "Câu có ngắt{}dòng mềm?\nA. Một\nB. Hai\nANSWER: A\n\nCâu hai?\nA. Một\nB. Hai\nANSWER: Z\n",
     [(9, "đáp án Z không có phương án tương ứng")]),
    (".gift", "Câu có ngắt{}dòng mềm? {{=Một ~Hai}}\n\nCâu hai? {{=a =b ~c}}\n", [(3, "nhiều đáp án '='")]),
], ids=["aiken", "gift"])
def test_soft_line_break_inside_a_question_keeps_the_line_numbers(soft_break, extension, text, expected):
    errors = sorted(parse_file(f"x{extension}", text.format(soft_break).encode()).errors)
    assert len(errors) == len(expected), errors
    for (line, message), (expected_line, phrase) in zip(errors, expected, strict=True):
        assert line == expected_line and phrase in message, errors


def test_gift_comment_keywords_typed_with_decomposed_marks_are_read():
    text = "// Nguồn: Báo Nhân Dân\n// Độ khó: khó\nThủ đô của nước ta? {=Hà Nội ~Huế}\n"
    result = parse_file("x.gift", unicodedata.normalize("NFD", text).encode())
    assert result.errors == []
    [question] = result.questions
    assert (question.source, question.difficulty) == ("Báo Nhân Dân", 3)


def test_over_long_bank_title_is_refused_cleanly(app, runner):
    result = import_file(runner, GOOD / "sample.csv", "--title", "Ngân hàng " * 25)
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code == 1
    assert row_counts(app)["banks"] == 0


@pytest.mark.parametrize("control", ["\x00", "\x02"], ids=["NUL", "STX"])
def test_control_character_never_breaks_import_or_export(app, runner, tmp_path, control):
    path = tmp_path / "dieu-khien.csv"
    path.write_bytes(f"Câu hỏi,A,B,Đáp án\nThủ đô{control} của nước ta?,Hà Nội,Huế,A\n".encode())
    result = import_file(runner, path)
    assert result.exception is None or isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    if result.exit_code == 0:
        exported = runner.invoke(args=["banks", "export", "dieu-khien", "-o", str(tmp_path / "ra.xlsx")])
        assert exported.exit_code == 0, repr(exported.exception)
        again = import_file(runner, tmp_path / "ra.xlsx", "--bank", "ban-sao")
        assert again.exit_code == 0, again.output
        assert bank_questions(app, "ban-sao") == bank_questions(app, "dieu-khien")


# --- good files ----------------------------------------------------------------------------

SAMPLE = [
    Stored("Lịch sử", "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập vào ngày nào?",
           ("19/8/1945", "2/9/1945", "23/9/1945", "6/1/1946"), frozenset({1}), False,
           "Ngày 2/9/1945, tại Quảng trường Ba Đình, Hà Nội.", "Tuyên ngôn độc lập", 1),
    Stored("Pháp luật", "Hiến pháp hiện hành được thông qua năm nào?", ("1992", "2013"), frozenset({1}), False,
           "Hiến pháp năm 2013.", "Công báo", 2),
    Stored("Pháp luật", "Quốc hội khóa XV có bao nhiêu đại biểu được bầu?", ("499", "500"), frozenset({0}), False,
           None, None, None),
]


@pytest.mark.parametrize("name", ["sample.csv", "sample.txt", "sample.gift"])
def test_good_file_imports_with_the_counts_printed(app, runner, name):
    result = import_file(runner, GOOD / name)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Đã nhập 3 câu hỏi mới vào ngân hàng sample (ngân hàng mới).",
        "  Lịch sử: 1 câu",
        "  Pháp luật: 2 câu",
    ]
    assert result.stderr == ""
    assert row_counts(app) == {"banks": 1, "topics": 2, "questions": 3, "options": 8}
    assert bank_questions(app, "sample") == SAMPLE


def test_good_xlsx_imports_into_an_existing_bank_with_the_counts_printed(app, runner, seeded, tmp_path):
    path = write_xlsx(tmp_path / "them.xlsx", [
        ["Chủ đề", "Câu hỏi", "A", "B", "C", "Đáp án"],
        ["Cuộc đời và sự nghiệp", "Bác Hồ sinh ở làng nào?", "Làng Sen", "Làng Chùa", "Làng Vạc", "B"],
        ["Văn hóa", "Di sản nào là di sản thiên nhiên thế giới?", "Vịnh Hạ Long", "Phố cổ Hội An", None, "A"],
    ])
    result = import_file(runner, path, "--bank", "seed")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Đã nhập 2 câu hỏi mới vào ngân hàng seed.",
        "  Cuộc đời và sự nghiệp: 1 câu",
        "  Văn hóa: 1 câu",
    ]
    assert row_counts(app) == {"banks": 1, "topics": 3, "questions": 5, "options": 16}


def test_dry_run_checks_a_good_file_and_writes_nothing(app, runner, seeded):
    result = import_file(runner, GOOD / "sample.gift", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Kiểm tra xong (không nhập) 3 câu hỏi mới vào ngân hàng sample (ngân hàng mới).",
        "  Lịch sử: 1 câu",
        "  Pháp luật: 2 câu",
    ]
    assert row_counts(app) == seeded
    # Into the existing bank: the question it already has is reported, still nothing written.
    result = import_file(runner, GOOD / "seed.csv", "--bank", "seed", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Kiểm tra xong (không nhập) 0 câu hỏi mới vào ngân hàng seed." in result.stdout
    assert "Bỏ qua 3 câu đã có." in result.stdout
    assert row_counts(app) == seeded


def test_dry_run_of_a_bad_file_reports_the_errors(app, runner, seeded):
    path = BAD / "csv_many_errors.csv"
    result = import_file(runner, path, "--bank", "seed", "--dry-run")
    assert result.exit_code == 1
    assert len(reported_errors(result, path)) == 6
    assert row_counts(app) == seeded


def test_question_already_in_the_bank_is_reported_and_skipped(app, runner, seeded, tmp_path):
    path = tmp_path / "them.txt"
    known = unicodedata.normalize("NFD", "CHỦ TỊCH Hồ Chí Minh  đọc Tuyên ngôn độc lập vào ngày nào?")
    path.write_text("\n".join([
        "TOPIC: Cuộc đời và sự nghiệp",
        "Bác Hồ sinh ở làng nào?", "A. Làng Sen", "B. Làng Chùa", "ANSWER: B", "",
        # The seed's question with its options in another order: the same question.
        known, "A. 2/9/1945", "B. 19/8/1945", "C. 6/1/1946", "D. 23/9/1945", "ANSWER: A", "",
        "TOPIC: Văn hóa",
        "Vịnh Hạ Long thuộc tỉnh nào?", "A. Quảng Ninh", "B. Hải Phòng", "C. Thái Bình", "ANSWER: A",
    ]) + "\n", encoding="utf-8")
    before = bank_questions(app, "seed")
    result = import_file(runner, path, "--bank", "seed")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Đã nhập 2 câu hỏi mới vào ngân hàng seed."
    skipped = [line for line in lines if line.startswith(f"{path}:")]
    assert skipped == [f"{path}:7: đã có trong ngân hàng, bỏ qua: "
                       "CHỦ TỊCH Hồ Chí Minh đọc Tuyên ngôn độc lập vào ngày nào?"]
    assert lines[-1] == "Bỏ qua 1 câu đã có."
    after = bank_questions(app, "seed")
    assert after[:3] == before  # the known question keeps its options and answer
    assert [question.text for question in after[3:]] == ["Bác Hồ sinh ở làng nào?", "Vịnh Hạ Long thuộc tỉnh nào?"]
    assert row_counts(app) == {"banks": 1, "topics": 3, "questions": 5, "options": 16}


# --- normalisation ---------------------------------------------------------------------------


def test_decomposed_marks_are_stored_precomposed_and_match_the_precomposed_text(app, runner, tmp_path):
    fields = ["Lãnh đạo Đảng", "Tổng Bí thư Nguyễn Phú Trọng quê ở đâu?", "Đông Anh, Hà Nội", "Hưng Yên",
              "A", "Xã Đông Hội, huyện Đông Anh.", "Báo Nhân Dân", "dễ"]
    header = "Chủ đề,Câu hỏi,A,B,Đáp án,Giải thích,Nguồn,Độ khó"

    def write(name: str, form: str) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header.split(","), fields])
        path = tmp_path / name
        path.write_text(unicodedata.normalize(form, buffer.getvalue()), encoding="utf-8")
        return path

    decomposed = write("to-hop.csv", "NFD")
    assert not unicodedata.is_normalized("NFC", decomposed.read_text(encoding="utf-8"))
    assert import_file(runner, decomposed, "--bank", "lanh-dao").exit_code == 0
    [stored] = bank_questions(app, "lanh-dao")
    assert stored == Stored("Lãnh đạo Đảng", "Tổng Bí thư Nguyễn Phú Trọng quê ở đâu?",
                            ("Đông Anh, Hà Nội", "Hưng Yên"), frozenset({0}), False,
                            "Xã Đông Hội, huyện Đông Anh.", "Báo Nhân Dân", 1)
    for text in (stored.topic, stored.text, *stored.options, stored.explanation, stored.source):
        assert unicodedata.is_normalized("NFC", text)
    result = import_file(runner, write("dung-san.csv", "NFC"), "--bank", "lanh-dao")
    assert result.exit_code == 0, result.output
    assert "Đã nhập 0 câu hỏi mới" in result.stdout and "Bỏ qua 1 câu đã có." in result.stdout


def test_white_space_is_trimmed_and_collapsed_in_every_field(app, runner, tmp_path):
    path = tmp_path / "khoang-trang.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([
            ["Chủ đề", "Câu hỏi", "A", "B", "Đáp án", "Giải thích", "Nguồn"],
            ["  Lịch \t sử ", " Câu\thỏi\u00a0 viết\n trên   hai dòng? ", "  Hà   Nội ", "Huế\t", " a ",
             "\tGiải   thích\r\nngắn ", "  Sách\u2003giáo khoa  "],
        ])
    assert import_file(runner, path).exit_code == 0
    assert bank_questions(app, "khoang-trang") == [
        Stored("Lịch sử", "Câu hỏi viết trên hai dòng?", ("Hà Nội", "Huế"), frozenset({0}), False,
               "Giải thích ngắn", "Sách giáo khoa", None),
    ]


# --- CSV dialects, xlsx cells, header names --------------------------------------------------

DIALECT_ROWS = [
    ["Chủ đề", "Câu hỏi", "A", "B", "C", "Đáp án", "Nhiều lựa chọn", "Giải thích", "Nguồn", "Độ khó"],
    ["Lịch sử", 'Câu có "ngoặc kép", dấu phẩy; và chấm phẩy?', "Một, hai", "Ba; bốn", '"Năm"', "A", "", "", "", "1"],
    ["", "Câu nhiều lựa chọn\nviết trên hai dòng?", "=1+1", "Hai", "Ba", "A; C", "x", "Giải thích", "Sách", ""],
]
DIALECT_EXPECTED = [
    (2, Stored("Lịch sử", 'Câu có "ngoặc kép", dấu phẩy; và chấm phẩy?', ("Một, hai", "Ba; bốn", '"Năm"'),
               frozenset({0}), False, None, None, 1)),
    (3, Stored("Chung", "Câu nhiều lựa chọn viết trên hai dòng?", ("=1+1", "Hai", "Ba"), frozenset({0, 2}), True,
               "Giải thích", "Sách", None)),
]


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("delimiter", [",", ";"], ids=["comma", "semicolon"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_csv_bom_separator_and_line_ends_give_the_same_questions(bom, delimiter, newline):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(DIALECT_ROWS)
    data = (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")
    result = parse_file("x.csv", data)
    assert result.errors == []
    assert [(question.line, as_stored(question)) for question in result.questions] == DIALECT_EXPECTED


def test_xlsx_formula_cells_are_read_as_their_last_computed_values(tmp_path):
    path = write_xlsx(tmp_path / "cong-thuc.xlsx", [
        ["Câu hỏi", "A", "B", "C", "Đáp án", "Độ khó"],
        ["Năm nào Bác Hồ đọc Tuyên ngôn độc lập?", "=1940+5", "1954", '="19"&"75"', "=CHAR(65)", "=1+1"],
    ], formulas=True)
    data = with_cached_values(path.read_bytes(), {
        "B2": (None, "1945"), "D2": ("str", "1975"), "E2": ("str", "A"), "F2": (None, "2"),
    })
    result = parse_file("cong-thuc.xlsx", data)
    assert result.errors == []
    assert [as_stored(question) for question in result.questions] == [
        Stored("Chung", "Năm nào Bác Hồ đọc Tuyên ngôn độc lập?", ("1945", "1954", "1975"), frozenset({0}), False,
               None, None, 2),
    ]


def test_xlsx_numbers_and_dates_come_out_as_the_text_a_person_sees(tmp_path):
    path = write_xlsx(tmp_path / "so.xlsx", [
        ["Câu hỏi", "A", "B", "C", "D", "Đáp án", "Nhiều lựa chọn", "Độ khó"],
        ["Ngày Quốc khánh?", datetime.date(1945, 9, 2), datetime.datetime(1945, 8, 19), 1945, 1946.0, "A", False, 3.0],
        ["Giờ đọc Tuyên ngôn?", datetime.datetime(1945, 9, 2, 14, 0), 2.5, "=chữ", True, "A", True, None],
    ])
    result = parse_file("so.xlsx", path.read_bytes())
    assert result.errors == []
    assert [as_stored(question) for question in result.questions] == [
        Stored("Chung", "Ngày Quốc khánh?", ("02/09/1945", "19/08/1945", "1945", "1946"), frozenset({0}), False,
               None, None, 3),
        Stored("Chung", "Giờ đọc Tuyên ngôn?", ("02/09/1945 14:00", "2.5", "=chữ", "TRUE"), frozenset({0}), True,
               None, None, None),
    ]


def test_xlsx_reads_only_the_first_sheet(tmp_path):
    workbook = Workbook()
    workbook.active.append(["Câu hỏi", "A", "B", "Đáp án"])
    workbook.active.append(["Thủ đô của nước ta?", "Hà Nội", "Huế", "A"])
    workbook.create_sheet("Nháp").append(["không phải tiêu đề", "rác"])
    path = tmp_path / "hai-trang.xlsx"
    workbook.save(path)
    result = parse_file("hai-trang.xlsx", path.read_bytes())
    assert result.errors == []
    assert [question.text for question in result.questions] == ["Thủ đô của nước ta?"]


HEADERS = {
    "vietnamese": ["STT", "Chủ đề", "Câu hỏi", "A", "B", "C", "Đáp án", "Nhiều lựa chọn", "Giải thích", "Nguồn",
                   "Độ khó"],
    "english": ["No", "Topic", "Question", "Option A", "Option B", "Option C", "Answer", "Multiple", "Explanation",
                "Source", "Difficulty"],
    "case-accents-spaces": ["stt", "CHỦ ĐỀ", "cau hoi", "Phương án A", "phuong an b", "PHƯƠNG ÁN C", "Đáp án đúng",
                            "nhiều  lựa chọn", "giai thich", " NGUỒN ", "Độ Khó"],
    "decomposed": [unicodedata.normalize("NFD", name) for name in
                   ["STT", "Chủ đề", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án",
                    "Nhiều lựa chọn", "Giải thích", "Nguồn", "Độ khó"]],
}
HEADER_ROWS = [
    [1, "Lịch sử", "Bác Hồ ra đi tìm đường cứu nước năm nào?", "1911", "1920", "1930", "A", None, None, "Sách", 1],
    [2, "Chuyển đổi số", "Trụ cột của chuyển đổi số?", "Chính phủ số", "Kinh tế số", "Du lịch số", "A,B", "x",
     "Ba trụ cột.", None, "khó"],
]
HEADER_EXPECTED = [
    Stored("Lịch sử", "Bác Hồ ra đi tìm đường cứu nước năm nào?", ("1911", "1920", "1930"), frozenset({0}), False,
           None, "Sách", 1),
    Stored("Chuyển đổi số", "Trụ cột của chuyển đổi số?", ("Chính phủ số", "Kinh tế số", "Du lịch số"),
           frozenset({0, 1}), True, "Ba trụ cột.", None, 3),
]


@pytest.mark.parametrize("header", HEADERS.values(), ids=HEADERS.keys())
@pytest.mark.parametrize("extension", [".xlsx", ".csv"])
def test_vietnamese_and_english_header_names_are_read_and_stt_ignored(tmp_path, header, extension):
    path = tmp_path / f"tieu-de{extension}"
    if extension == ".xlsx":
        write_xlsx(path, [header, *HEADER_ROWS])
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *[["" if cell is None else cell for cell in row]
                                                    for row in HEADER_ROWS]])
    result = parse_file(path.name, path.read_bytes())
    assert result.errors == []
    assert [as_stored(question) for question in result.questions] == HEADER_EXPECTED


def test_answer_letters_in_every_written_form():
    rows = ["Câu hỏi,A,B,C,D,Đáp án"] + [f"Câu {n}?,1,2,3,4,{answer}" for n, answer in
                                         enumerate(['"A,C"', "B; D", "a c", "ACD", "d", '"A, B , C"'], start=1)]
    result = parse_file("x.csv", "\n".join(rows).encode())
    assert result.errors == []
    assert [(sorted(question.correct), question.multiple) for question in result.questions] == [
        ([0, 2], True), ([1, 3], True), ([0, 2], True), ([0, 2, 3], True), ([3], False), ([0, 1, 2], True),
    ]


# --- GIFT and Aiken features ---------------------------------------------------------------


def test_gift_escapes_categories_comments_explanations_and_weights():
    text = "\n".join([
        "// Một chú thích thường",
        "$CATEGORY: $course$/top/Lịch sử Đảng/Đại hội",
        "",
        "// Nguồn: Văn kiện Đại hội XIII",
        "// Độ khó: trung bình",
        r"::Câu 1::[plain] Ký hiệu \~ \= \# \{ \} \: và \\ trong câu,\nhai dòng? {",
        r"  =Đúng \= bằng #phản hồi bị bỏ",
        "  // chú thích trong câu",
        r"  ~Sai \~ gần \{ngoặc\}",
        r"  ####Giải thích: Đại hội XIII \#13.",
        "}",
        "",
        "$CATEGORY: Chuyển đổi số",
        "// source: Quyết định 749/QĐ-TTg",
        "// difficulty: hard",
        "Ba trụ cột của chuyển đổi số",
        "quốc gia là gì? {",
        "  ~%33.33333%Chính phủ số",
        "  ~%33,33333%Kinh tế số",
        "  ~%33.33334%Xã hội số",
        "  ~%-100%Quốc phòng số",
        "}",
        "",
        "Câu một đáp án đúng duy nhất theo trọng số? {~%100%Đúng ~%0%Sai}",
    ]) + "\n"
    result = parse_file("x.gift", text.encode())
    assert result.errors == []
    assert [(question.line, as_stored(question)) for question in result.questions] == [
        (6, Stored("Đại hội", r"Ký hiệu ~ = # { } : và \ trong câu, hai dòng?", ("Đúng = bằng", "Sai ~ gần {ngoặc}"),
                   frozenset({0}), False, "Giải thích: Đại hội XIII #13.", "Văn kiện Đại hội XIII", 2)),
        (16, Stored("Chuyển đổi số", "Ba trụ cột của chuyển đổi số quốc gia là gì?",
                    ("Chính phủ số", "Kinh tế số", "Xã hội số", "Quốc phòng số"), frozenset({0, 1, 2}), True, None,
                    "Quyết định 749/QĐ-TTg", 3)),
        (24, Stored("Chuyển đổi số", "Câu một đáp án đúng duy nhất theo trọng số?", ("Đúng", "Sai"), frozenset({0}),
                    True, None, None, None)),
    ]


def test_aiken_topic_explanation_source_and_difficulty_lines():
    text = "\n".join([
        "Câu không có chủ đề?", "A. Một", "B. Hai", "ANSWER: A", "",
        "TOPIC: Lịch sử",
        "Bác Hồ đọc Tuyên ngôn độc lập ở đâu?", "A) Quảng trường Ba Đình", "B) Nhà hát Lớn", "ANSWER: A",
        "EXPLANATION: Ngày 2/9/1945.", "SOURCE: Tuyên ngôn độc lập", "DIFFICULTY: easy", "",
        "Câu cùng chủ đề?", "A. Một", "B. Hai", "ANSWER: B", "",
        "CHỦ ĐỀ: Pháp luật",
        "Hiến pháp hiện hành năm nào?", "A. 1992", "B. 2013", "ANSWER: B",
        "GIẢI THÍCH: Năm 2013.", "NGUỒN: Công báo", "ĐỘ KHÓ: trung bình",
    ]) + "\n"
    result = parse_file("x.txt", text.encode())
    assert result.errors == []
    assert [(question.line, as_stored(question)) for question in result.questions] == [
        (1, Stored("Chung", "Câu không có chủ đề?", ("Một", "Hai"), frozenset({0}), False, None, None, None)),
        (7, Stored("Lịch sử", "Bác Hồ đọc Tuyên ngôn độc lập ở đâu?", ("Quảng trường Ba Đình", "Nhà hát Lớn"),
                   frozenset({0}), False, "Ngày 2/9/1945.", "Tuyên ngôn độc lập", 1)),
        (15, Stored("Lịch sử", "Câu cùng chủ đề?", ("Một", "Hai"), frozenset({1}), False, None, None, None)),
        (21, Stored("Pháp luật", "Hiến pháp hiện hành năm nào?", ("1992", "2013"), frozenset({1}), False,
                    "Năm 2013.", "Công báo", 2)),
    ]


# --- round trip ------------------------------------------------------------------------------

ROUND_TRIP_ROWS = [
    ["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "E", "F", "G", "H", "Đáp án", "Nhiều lựa chọn", "Giải thích",
     "Nguồn", "Độ khó"],
    ["Lịch sử", "=1+1 có phải là công thức không?", "=2", "+3", "-4", "@5", "", "", "", "", "A", "",
     "=SUM(A1:A2) chỉ là chữ", "Sách giáo khoa", "1"],
    ["Lịch sử", "Số và ngày viết như chữ?", "1945", "0975", "02/09/1945", "TRUE", "50%", "3.14", "1e3", "",
     "B", "", "", "", "3"],
    # Text that a spreadsheet would read as an error value stays text.
    ["Lịch sử", "Giá trị lỗi viết như chữ?", "#N/A", "#DIV/0!", "#REF!", "", "", "", "", "", "C", "", "#VALUE!",
     "", ""],
    ["", "Câu tám phương án?", "Một", "Hai", "Ba", "Bốn", "Năm", "Sáu", "Bảy", "Tám", "A,C,H", "x", "", "", ""],
    ["Chuyển đổi số", "Câu nhiều lựa chọn có một đáp án đúng?", "Đúng", "Sai", "", "", "", "", "", "", "A", "x",
     "", "Quyết định 749/QĐ-TTg", "2"],
    ["Chuyển đổi số", 'Câu "trích dẫn", có; dấu?', "Có", "Không", "", "", "", "", "", "", "B", "",
     "Giải thích, có dấu phẩy", "", ""],
    ["Chuyển đổi số", "Q" * 2000, "O" * 500, "Hai", "", "", "", "", "", "", "B", "", "E" * 2000, "S" * 500, ""],
    ["Chuyển đổi số", "Câu sẽ bị ẩn?", "Một", "Hai", "", "", "", "", "", "", "A", "", "", "", ""],
]


def test_exported_bank_imports_again_unchanged(app, runner, tmp_path):
    source = tmp_path / "goc.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROUND_TRIP_ROWS)
    assert import_file(runner, source).exit_code == 0
    with app.app_context():
        db.session.execute(update(Question).where(Question.text == "Câu sẽ bị ẩn?").values(is_active=False))
        db.session.commit()
    original = bank_questions(app, "goc", active_only=True)
    assert len(original) == 7

    exported = tmp_path / "x.xlsx"
    result = runner.invoke(args=["banks", "export", "goc", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Đã xuất 7 câu hỏi của ngân hàng goc ra {exported}."
    result = import_file(runner, exported, "--bank", "ban-sao")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Đã nhập 7 câu hỏi mới vào ngân hàng ban-sao (ngân hàng mới)."

    copy = bank_questions(app, "ban-sao")
    assert sorted(copy) == sorted(original)
    # The same file into the original bank: every question is already there.
    result = import_file(runner, exported, "--bank", "goc")
    assert result.exit_code == 0, result.output
    assert "Đã nhập 0 câu hỏi mới vào ngân hàng goc." in result.stdout
    assert "Bỏ qua 7 câu đã có." in result.stdout


def test_export_refuses_an_unknown_bank_and_a_non_xlsx_name(app, runner, seeded, tmp_path):
    result = runner.invoke(args=["banks", "export", "khong-co", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "không có ngân hàng khong-co" in result.output
    result = runner.invoke(args=["banks", "export", "seed", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and ".xlsx" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_the_command_line_prints_what_the_import_did_to_each_question(app, runner, tmp_path):
    """Notes (numbering stripped, order kept) at each question's place; a note on many questions
    once, with its count."""
    few = tmp_path / "it.txt"
    few.write_text("Câu 1: Thủ đô của Việt Nam?\nA. Hà Nội\nB. Huế\nC. Tất cả các ý trên\nANSWER: A\n",
                   encoding="utf-8")
    result = import_file(runner, few, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"{few}:1: ghi chú: đã bỏ số thứ tự 'Câu 1:'" in result.output
    assert "ghi chú: " in result.output and "thứ tự phương án" in result.output

    many = tmp_path / "nhieu.txt"
    many.write_text("".join(f"Câu {n}: Câu hỏi số {n} là gì?\nA. Một\nB. Hai\nANSWER: A\n\n" for n in range(1, 9)),
                    encoding="utf-8")
    result = import_file(runner, many, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Ghi chú ở 8 câu: đã bỏ số thứ tự 'Câu …:'" in result.output
    assert "ghi chú: đã bỏ số thứ tự" not in result.output
