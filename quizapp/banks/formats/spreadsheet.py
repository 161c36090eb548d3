"""Spreadsheets (.xlsx, .csv): one header row, one question per row."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_app_context

from quizapp.banks.formats.common import (
    DEFAULT_TOPIC,
    LETTERS,
    BankFileError,
    ParsedQuestion,
    ParseResult,
    optional_text,
    parse_answer_letters,
    parse_difficulty,
)
from quizapp.config import DEFAULTS
from quizapp.files import NotUtf8, decode_utf8, sniff_delimiter
from quizapp.formatting import number as vietnamese_number
from quizapp.text import clean_text

# Header names, compared without accents, case, spaces or punctuation.
_COLUMN_NAMES = {
    "topic": ("chude", "topic", "category"),
    "question": ("cauhoi", "question", "noidungcauhoi"),
    "answer": ("dapan", "answer", "dapandung", "correct"),
    "multiple": ("nhieuluachon", "multiple", "multipleselect", "nhieudapan"),
    "explanation": ("giaithich", "explanation", "feedback"),
    "source": ("nguon", "source"),
    "difficulty": ("dokho", "difficulty", "mucdo"),
    # A row-number column is common in Vietnamese spreadsheets; it is read and ignored.
    "row_number": ("stt", "so", "sott", "no"),
}
for _letter in LETTERS:
    _COLUMN_NAMES[_letter] = (_letter.lower(), f"phuongan{_letter.lower()}", f"option{_letter.lower()}")
_BY_NAME = {name: key for key, names in _COLUMN_NAMES.items() for name in names}
_TRUE = {"x", "co", "có", "yes", "y", "1", "true", "đúng", "dung"}
_FALSE = {"", "khong", "không", "no", "n", "0", "false", "sai"}

# Excel's own header for the template and the export.
EXPORT_HEADER = ["Chủ đề", "Câu hỏi", *LETTERS, "Đáp án", "Nhiều lựa chọn", "Giải thích", "Nguồn", "Độ khó"]


def _column_key(header: str) -> str:
    decomposed = unicodedata.normalize("NFD", header.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def _cell_text(value: object) -> str:
    """A cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == datetime.min.time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for every record; the header is line 1."""
    try:
        text = decode_utf8(data)
    except NotUtf8 as error:
        raise BankFileError(error.line, error.message) from None
    first_line = text.split("\n", 1)[0]
    # strict: an unclosed quote is an error, instead of every later row read into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line), strict=True)
    line = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            yield start, record
    except csv.Error:
        raise BankFileError(
            line + 1, "dấu ngoặc kép (\") không khớp: ô có dấu phẩy, chấm phẩy hoặc xuống dòng phải nằm "
            "trọn trong một cặp ngoặc kép, dấu ngoặc kép bên trong viết hai lần (\"\")"
        ) from None


# A member this small cannot cost much however well it compresses (styles, themes).
_RATIO_FLOOR = 1024 * 1024
_MB = 1024 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    members: int
    uncompressed_bytes: int
    compression_ratio: float
    cells: int

    @classmethod
    def configured(cls) -> XlsxLimits:
        """The app's BANK_XLSX_* settings, or their defaults outside an app."""
        config = current_app.config if has_app_context() else DEFAULTS

        def setting(name: str) -> object:
            return config.get(name, DEFAULTS[name])

        return cls(int(setting("BANK_XLSX_MAX_MEMBERS")), int(setting("BANK_XLSX_MAX_UNCOMPRESSED_BYTES")),
                   float(setting("BANK_XLSX_MAX_COMPRESSION_RATIO")), int(setting("BANK_XLSX_MAX_CELLS")))


def check_xlsx_archive(data: bytes, limits: XlsxLimits) -> None:
    """Refuse, before anything is decompressed, an archive that would cost the reader more
    than the limits allow: too many members, too many bytes inflated, or a member that
    inflates far more than spreadsheets do (a "zip bomb").

    zipfile stops each member at its recorded size (a larger stream fails its CRC), so the
    recorded sizes checked here are the most openpyxl can be made to read.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # noqa: BLE001 - not a zip at all: openpyxl says the file is unreadable, as before
        return
    if len(members) > limits.members:
        raise BankFileError(0, f"tệp Excel có {vietnamese_number(len(members))} thành phần, quá mức cho phép "
                               f"({vietnamese_number(limits.members)}); hãy chép bảng câu hỏi sang một tệp mới")
    total = sum(member.file_size for member in members)
    if total > limits.uncompressed_bytes:
        raise BankFileError(0, f"tệp Excel khi giải nén chiếm {_megabytes(total)}, quá mức cho phép "
                               f"({_megabytes(limits.uncompressed_bytes)}); hãy chia ngân hàng thành nhiều tệp nhỏ hơn")
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > limits.compression_ratio * max(
                member.compress_size, 1):
            raise BankFileError(0, f"tệp Excel bị nén bất thường ({member.filename} giải nén lớn gấp "
                                   f"{vietnamese_number(member.file_size // max(member.compress_size, 1))} lần); "
                                   "tệp có thể bị hỏng hoặc độc hại, hãy mở và lưu lại bằng Excel")


def _megabytes(size: int) -> str:
    return vietnamese_number(size / _MB, 1).removesuffix(",0") + " MB"


def read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every row of the first sheet, formulas as their values."""
    from openpyxl import load_workbook

    limits = XlsxLimits.configured()
    check_xlsx_archive(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - not a zip, not a workbook, damaged XML: all unreadable
        raise BankFileError(1, f"không đọc được tệp Excel .xlsx ({type(error).__name__}); lưu lại bằng Excel") from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the file's recorded size, which some programs write wrong.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        number = cells = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:  # noqa: BLE001 - any damage inside the sheet's XML
                raise BankFileError(number + 1, f"tệp Excel bị hỏng từ dòng này ({type(error).__name__}); "
                                                "mở và lưu lại bằng Excel") from None
            number += 1
            # An empty row costs a step too: one cell far down the sheet makes a million of them.
            cells += max(len(row), 1)
            if cells > limits.cells:
                raise BankFileError(0, f"trang tính đầu tiên có hơn {vietnamese_number(limits.cells)} ô (kể cả "
                                       "dòng trống), quá mức cho phép; hãy xoá các dòng, cột thừa hoặc chia thành "
                                       "nhiều tệp nhỏ hơn")
            yield number, [_cell_text(value) for value in row]
    finally:
        workbook.close()


def parse_rows(rows: Iterable[tuple[int, list[str]]]) -> ParseResult:
    result = ParseResult()
    rows = iter(rows)
    header = next(((line, cells) for line, cells in rows if any(cell.strip() for cell in cells)), None)
    if header is None:
        result.error(1, "tệp trống: cần dòng tiêu đề Chủ đề, Câu hỏi, A, B, …, Đáp án")
        return result
    header_line, header_cells = header
    columns = _map_header(header_line, header_cells, result)
    if columns is None:
        return result
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        # Data under no header would be lost without a word: say where it is.
        stray = [cell for index, cell in enumerate(cells)
                 if cell.strip() and (index >= len(columns) or columns[index] is None)]
        if stray:
            result.error(line, f"có dữ liệu ở cột không có tiêu đề: {clean_text(stray[0])[:40]!r}")
        row = {key: cells[index] if index < len(cells) else "" for index, key in enumerate(columns) if key}
        result.questions.append(_question(line, row, "multiple" in columns, result))
    if not result.questions and not result.errors:
        result.error(header_line + 1, "tệp không có câu hỏi nào")
    return result


def _map_header(line: int, cells: list[str], result: ParseResult) -> list[str | None] | None:
    columns: list[str | None] = []
    seen: set[str] = set()
    errors_before = len(result.errors)
    for cell in cells:
        if not cell.strip():
            columns.append(None)
            continue
        key = _BY_NAME.get(_column_key(cell))
        if key is None:
            result.error(line, f"cột không xác định: {clean_text(cell)!r}")
        elif key in seen:
            result.error(line, f"cột {clean_text(cell)!r} bị lặp")
        seen.add(key or "")
        columns.append(key)
    for required, label in (("question", "Câu hỏi"), ("A", "A"), ("B", "B"), ("answer", "Đáp án")):
        if required not in seen:
            result.error(line, f"thiếu cột {label}")
    letters = [key for key in columns if key is not None and len(key) == 1 and key in LETTERS]
    expected = list(LETTERS[: len(letters)])
    if sorted(letters) != expected:
        result.error(line, f"các cột phương án phải liên tục từ A: có {', '.join(sorted(letters))}")
    return None if len(result.errors) > errors_before else columns


def _question(line: int, row: dict[str, str], has_multiple: bool, result: ParseResult) -> ParsedQuestion:
    """The row as a question; cells that cannot be read are reported and mark it invalid,
    and ``check_all`` still reports the row's other problems."""
    errors_before = len(result.errors)
    options = [clean_text(row.get(letter)) for letter in LETTERS if letter in row]
    while options and not options[-1]:
        options.pop()
    correct, message = parse_answer_letters(row.get("answer", ""))
    if message:
        result.error(line, message)
        correct = None
    multiple = correct is not None and len(correct) > 1
    if has_multiple:
        flag = clean_text(row.get("multiple")).casefold()
        if flag in _TRUE:
            multiple = True
        elif flag in _FALSE:
            multiple = False
        else:
            result.error(line, f"cột Nhiều lựa chọn {row.get('multiple')!r}: ghi x (có) hoặc để trống")
    difficulty, message = parse_difficulty(row.get("difficulty"))
    if message:
        result.error(line, message)
    return ParsedQuestion(
        line=line,
        topic=clean_text(row.get("topic")) or DEFAULT_TOPIC,
        text=clean_text(row.get("question")),
        options=options,
        correct=correct,
        multiple=multiple,
        explanation=optional_text(row.get("explanation")),
        source=optional_text(row.get("source")),
        difficulty=difficulty,
        readable=len(result.errors) == errors_before,
    )


def parse_csv(data: bytes) -> ParseResult:
    return parse_rows(read_csv(data))


def parse_xlsx(data: bytes) -> ParseResult:
    return parse_rows(read_xlsx(data))
