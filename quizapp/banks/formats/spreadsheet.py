"""Spreadsheets (.xlsx, .csv): one header row, one question per row."""

from __future__ import annotations

import csv
import io
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_app_context
from lxml import etree

from quizapp.banks.formats.common import (
    DEFAULT_TOPIC,
    LETTERS,
    BankFileError,
    ParsedQuestion,
    ParseResult,
    optional_text,
    parse_answer_letters,
    parse_difficulty,
    split_option_label,
    strip_question_number,
)
from quizapp.config import DEFAULTS
from quizapp.files import NotUtf8, decode_utf8, sniff_delimiter
from quizapp.formatting import number as vietnamese_number
from quizapp.text import clean_text, split_lines

# Header names, compared without accents, case, spaces or punctuation. Besides the project's
# own layout, the ones Vietnamese organisers' spreadsheets really use (issue 12): "STT, Hạng mục,
# Nội dung, Phương án trả lời, Đáp án", option columns "Lựa chọn A", "Đáp án A", "PA A",
# "Câu trả lời A", answers in "Đáp án đúng". "Đáp án A" is an option column, "Đáp án" alone the answer.
_COLUMN_NAMES = {
    "topic": ("chude", "topic", "category", "hangmuc", "linhvuc"),
    "question": ("cauhoi", "question", "noidungcauhoi", "noidung"),
    # Every option in one cell, one per line ("A. …").
    "options": ("phuongantraloi", "cacphuongantraloi", "cacphuongan", "options"),
    "answer": ("dapan", "answer", "dapandung", "correct", "dung", "phuongandung", "cautraloidung"),
    "multiple": ("nhieuluachon", "multiple", "multipleselect", "nhieudapan"),
    # Options shown in the file's order ("Giữ thứ tự" is what `banks export` writes).
    "fixed_order": ("giuthutu", "giunguyenthutu", "khongdao", "khongdaophuongan", "codinhthutu",
                    "khongtron", "khongtronphuongan", "fixedorder", "keeporder"),
    # Holds no data: the picture is an image anchored in the row (.xlsx); text here names it.
    "picture": ("hinhanh", "hinh", "anh", "picture", "image"),
    "explanation": ("giaithich", "explanation", "feedback"),
    "source": ("nguon", "source"),
    "difficulty": ("dokho", "difficulty", "mucdo"),
    # A row-number column is common in Vietnamese spreadsheets; it is read and ignored.
    "row_number": ("stt", "so", "sott", "no"),
}
_OPTION_PREFIXES = ("", "phuongan", "option", "luachon", "dapan", "pa", "cautraloi", "phuongantraloi")
for _letter in LETTERS:
    _COLUMN_NAMES[_letter] = tuple(prefix + _letter.lower() for prefix in _OPTION_PREFIXES)
_BY_NAME = {name: key for key, names in _COLUMN_NAMES.items() for name in names}
_TRUE = {"x", "co", "có", "yes", "y", "1", "true", "đúng", "dung"}
_FALSE = {"", "khong", "không", "no", "n", "0", "false", "sai"}

# Excel's own header for the template and the export.
EXPORT_HEADER = ["Chủ đề", "Câu hỏi", *LETTERS, "Đáp án", "Nhiều lựa chọn", "Giải thích", "Nguồn", "Độ khó",
                 "Giữ thứ tự"]


def _column_key(header: str) -> str:
    decomposed = unicodedata.normalize("NFD", header.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def header_keys(cells: list[str]) -> list[str | None]:
    """What each header cell names ("question", "answer", "A", …), None for a cell naming nothing known."""
    return [_BY_NAME.get(_column_key(cell)) for cell in cells]


def looks_like_question_header(cells: list[str]) -> bool:
    """A row naming a question column and option columns: questions one a row below it, as in
    this layout. A Word table laid out this way is read with ``parse_rows`` too."""
    keys = set(header_keys(cells))
    return "question" in keys and bool(keys & {"A", "options"})


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


def parse_rows(rows: Iterable[tuple[int, list[str]]],
               picture_refs: dict[int, list[str]] | None = None) -> ParseResult:
    """The questions of a sheet. With ``picture_refs``, a cell showing a WPS in-cell picture
    (``=DISPIMG("ID_…",1)``) is read as empty and its picture id collected by row."""
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
    present = {key for key in columns if key}
    for line, cells in rows:
        if picture_refs is not None:
            cells = _take_picture_refs(line, cells, picture_refs)
        if not any(cell.strip() for cell in cells):
            continue
        # Data under no header would be lost without a word: say where it is.
        stray = [cell for index, cell in enumerate(cells)
                 if cell.strip() and (index >= len(columns) or columns[index] is None)]
        if stray:
            result.error(line, f"có dữ liệu ở cột không có tiêu đề: {clean_text(stray[0])[:40]!r}")
        row = {key: cells[index] if index < len(cells) else "" for index, key in enumerate(columns) if key}
        result.questions.append(_question(line, row, present, result))
    if not result.questions and not result.errors:
        result.error(header_line + 1, "tệp không có câu hỏi nào")
    return result


# WPS Office, common in Vietnamese offices, stores a picture "in a cell" as this formula, with the
# formula text as the cell's saved value and the picture in xl/cellimages.xml under that id.
_DISPIMG = re.compile(r'^=?(?:_xlfn\.)?DISPIMG\(\s*"([^"]{1,100})"\s*(?:,\s*\d+\s*)?\)$', re.IGNORECASE)


def _take_picture_refs(line: int, cells: list[str], picture_refs: dict[int, list[str]]) -> list[str]:
    found = [_DISPIMG.match(cell.strip()) for cell in cells]
    if not any(found):
        return cells
    picture_refs.setdefault(line, []).extend(match.group(1) for match in found if match)
    return ["" if match else cell for cell, match in zip(cells, found, strict=True)]


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
    letters = [key for key in columns if key is not None and len(key) == 1 and key in LETTERS]
    if "options" in seen and letters:
        result.error(line, "dùng một cột Phương án trả lời (mỗi phương án một dòng) hoặc các cột A, B, …, "
                           "không dùng cả hai")
    required = [("question", "Câu hỏi"), ("answer", "Đáp án")]
    if "options" not in seen:
        required[1:1] = [("A", "A"), ("B", "B")]
    for key, label in required:
        if key not in seen:
            result.error(line, f"thiếu cột {label}")
    expected = list(LETTERS[: len(letters)])
    if sorted(letters) != expected and "options" not in seen:
        result.error(line, f"các cột phương án phải liên tục từ A: có {', '.join(sorted(letters))}")
    return None if len(result.errors) > errors_before else columns


def _question(line: int, row: dict[str, str], present: set[str], result: ParseResult) -> ParsedQuestion:
    """The row as a question; cells that cannot be read are reported and mark it invalid,
    and ``check_all`` still reports the row's other problems."""
    errors_before = len(result.errors)
    notes: list[str] = []
    if "options" in present:
        options = _options_in_one_cell(line, row.get("options", ""), result, notes)
    else:
        options = _options_in_columns(row, notes)
    correct, multiple = _answer(line, row.get("answer", ""), len(options), "multiple" in present, result, notes)
    if "multiple" in present:
        flag = _flag(row.get("multiple"))
        if flag is None:
            result.error(line, f"cột Nhiều lựa chọn {row.get('multiple')!r}: ghi x (có) hoặc để trống")
        else:
            multiple = flag
    # With the column the file decides (an exported bank comes back as it was); without it,
    # check_all decides by the options (formats/order.py).
    fixed_order = None
    if "fixed_order" in present:
        fixed_order = _flag(row.get("fixed_order"))
        if fixed_order is None:
            result.error(line, f"cột Giữ thứ tự {row.get('fixed_order')!r}: ghi x (giữ nguyên thứ tự phương án) "
                               "hoặc để trống")
        elif fixed_order:
            notes.append("giữ nguyên thứ tự phương án (theo cột Giữ thứ tự)")
    difficulty, message = parse_difficulty(row.get("difficulty"))
    if message:
        result.error(line, message)
    text, number = strip_question_number(clean_text(row.get("question")))
    if number:
        notes.append(f"đã bỏ số thứ tự {number!r} ở đầu câu hỏi")
    return ParsedQuestion(
        line=line,
        topic=clean_text(row.get("topic")) or DEFAULT_TOPIC,
        text=clean_text(text),
        options=options,
        correct=correct,
        multiple=multiple,
        explanation=optional_text(row.get("explanation")),
        source=optional_text(row.get("source")),
        difficulty=difficulty,
        readable=len(result.errors) == errors_before,
        fixed_order=fixed_order,
        # What the row's Hình ảnh cell calls its picture; the picture itself is attached later.
        picture_name=optional_text(row.get("picture")),
        notes=notes,
    )


def _flag(raw: str | None) -> bool | None:
    """A yes/no cell: True, False, or None when it is neither."""
    value = clean_text(raw).casefold()
    if value.endswith(".0"):
        value = value[:-2]
    return True if value in _TRUE else False if value in _FALSE else None


# --- options ----------------------------------------------------------------------------------


def _options_in_columns(row: dict[str, str], notes: list[str]) -> list[str]:
    """Options from the A, B, … columns; labels ("A. Hà Nội" in column A) are removed only when
    every filled option carries its own column's letter, so "A. Lincoln" alone keeps its text."""
    options = [clean_text(row.get(letter)) for letter in LETTERS if letter in row]
    while options and not options[-1]:
        options.pop()
    split = [split_option_label(option) if option else None for option in options]
    filled = [(index, parts) for index, parts in enumerate(split) if parts is not None]
    if len(filled) < 2 or any(parts[0] != index for index, parts in filled):
        return options
    notes.append("đã bỏ nhãn A., B., … ở đầu phương án")
    _note_unspaced_labels(options, [parts[2] for _, parts in filled], notes)
    return [clean_text(parts[1]) if parts else "" for parts in split]


def _options_in_one_cell(line: int, raw: str, result: ParseResult, notes: list[str]) -> list[str]:
    """Options written in one cell, one per line with its label ("A. …", "B) …"); "A. x; B. y"
    on one line is split too, but only before the next letter's capital label, so a ";" inside an
    option ("điểm a; b) khoản 2") stays. Lines with no label at all are the options in order."""
    lines = [part for part in split_lines(raw.replace("\v", "\n")) if clean_text(part)]
    labelled = [split_option_label(part)[0] is not None for part in lines]
    if not any(labelled):
        options = [clean_text(part) for part in lines]
        if len(options) > 1:
            notes.append("phương án không có nhãn A., B., …: lấy theo thứ tự các dòng trong ô")
        return options
    pieces = [piece for part in lines for piece in _split_inline(part)]
    # Unreadable labels are reported once; the options are still returned as well as they can
    # be read, so the rules checked later (count, answer letters) add no follow-on errors.
    options = [clean_text(split_option_label(piece)[1]) for piece in pieces]
    if not all(labelled):
        unlabelled = clean_text(lines[labelled.index(False)])
        result.error(line, f"ô Phương án trả lời: dòng {unlabelled[:40]!r} không có nhãn; mỗi phương án "
                           "một dòng, bắt đầu bằng A., B., …")
        return options
    for position, piece in enumerate(pieces):
        index = split_option_label(piece)[0]
        if index != position:
            expected = LETTERS[position] if position < len(LETTERS) else "tối đa H"
            result.error(line, f"ô Phương án trả lời: nhãn {LETTERS[index]} sai thứ tự, cần {expected}")
            return options
    _note_unspaced_labels(options, [split_option_label(piece)[2] for piece in pieces], notes)
    return options


def _split_inline(line: str) -> list[str]:
    """'A. x; B. y' → ['A. x', 'B. y']: split at ';', a tab or a run of spaces followed by the
    next letter's capital label."""
    index = split_option_label(line)[0]
    pieces = []
    while index is not None and index + 1 < len(LETTERS):
        following = re.search(rf"(?:\s*;\s*|\t\s*|\s{{2,}})(?={LETTERS[index + 1]}\s*[.)])", line)
        if following is None or split_option_label(line[following.end():])[0] != index + 1:
            break
        pieces.append(line[: following.start()])
        line, index = line[following.end():], index + 1
    return [*pieces, line]


def _note_unspaced_labels(options: list[str], spaced: list[bool], notes: list[str]) -> None:
    letters = [LETTERS[index] for index, has_space in enumerate(spaced) if not has_space]
    if letters:
        notes.append(f"nhãn phương án {', '.join(letters)} viết liền nội dung (như 'A.12 giờ'): đã tách nhãn")


# --- answers ----------------------------------------------------------------------------------

_NUMERIC_FILE_NOTE = "đáp án ghi bằng số: 1 là A, 2 là B, 3 là C, …"
_ANSWER_PARTS = re.compile(r"[\s,;/]+")
_DECIMAL = re.compile(r"\d\.\d")


def _answer(line: int, raw: str, option_count: int, has_multiple: bool, result: ParseResult,
            notes: list[str]) -> tuple[set[int] | None, bool]:
    """(correct option indexes or None when unreadable, multiple-select) from letters ``A``,
    ``A, C``, ``AC``, ``A;C`` or option numbers ``1``–``8``, ``1, 3``."""
    value = clean_text(raw)
    parts = [part for part in _ANSWER_PARTS.split(value) if part]
    if parts and all(part.isdigit() for part in parts):
        numbers = {int(part) for part in parts}
        if not all(1 <= number <= len(LETTERS) for number in numbers):
            result.error(line, f"đáp án {raw!r} không hợp lệ: số phương án phải từ 1 đến {len(LETTERS)}")
            return None, False
        if max(numbers) > option_count >= 1:
            # Said in numbers, not as the letter check_question would name ("đáp án E").
            result.error(line, f"đáp án {raw!r}: không có phương án thứ {max(numbers)} (câu có {option_count} "
                               "phương án)")
            return None, False
        correct = {number - 1 for number in numbers}
        # Said once for the file, not on every row: the preview shows each row's letters.
        if _NUMERIC_FILE_NOTE not in result.notes:
            result.notes.append(_NUMERIC_FILE_NOTE)
    elif _DECIMAL.fullmatch(value):
        # Excel set to Vietnamese reads "1,3" typed in a cell as the number 1.3.
        result.error(line, f"đáp án {raw!r} không hợp lệ: Excel có thể đã đọc '1,3' thành số thập phân; "
                           "ghi 1;3 hoặc A,C")
        return None, False
    else:
        correct, message = parse_answer_letters(raw)
        if message:
            result.error(line, message.replace("ví dụ A hoặc A,C", "ví dụ A hoặc A,C, hoặc số 1–8"))
            return None, False
    multiple = len(correct) > 1
    if multiple and not has_multiple:
        notes.append(f"có {len(correct)} đáp án ({_letters(correct)}): câu nhiều lựa chọn")
    return correct, multiple


def _letters(indexes: set[int]) -> str:
    return ", ".join(LETTERS[index] for index in sorted(indexes))


def parse_csv(data: bytes) -> ParseResult:
    result = parse_rows(read_csv(data))
    _attach_pictures(result, {})
    return result


def parse_xlsx(data: bytes) -> ParseResult:
    picture_refs: dict[int, list[str]] = {}
    result = parse_rows(read_xlsx(data), picture_refs)
    extras = read_sheet_extras(data, XlsxLimits.configured())
    for row, ids in picture_refs.items():
        for id_ in ids:
            if id_ in extras.cell_images:
                extras.pictures.setdefault(row, []).append(extras.cell_images[id_])
            else:
                extras.cell_errors.append((row, f"ảnh {id_} (ảnh trong ô của WPS) không có trong tệp; chèn lại ảnh"))
    by_row = {question.line: question for question in result.questions}
    for row, message in extras.cell_errors:
        result.error(row, message)
        if row in by_row:
            by_row[row].readable = False
    _attach_pictures(result, extras.pictures, skip={row for row, _ in extras.cell_errors})
    return result


def _attach_pictures(result: ParseResult, pictures: dict[int, list[SheetPicture]], skip: set[int] = frozenset()
                     ) -> None:
    """Give each question the picture anchored in its row; a picture on no question's row, two in
    one row, or a Hình ảnh cell naming a picture that is not there are errors at that row (not on
    ``skip`` rows, whose cells were already reported)."""
    by_row = {question.line: question for question in result.questions}
    for row, found in sorted(pictures.items()):
        question = by_row.get(row)
        names = ", ".join(picture.name for picture in found)
        if question is None:
            result.error(row, f"ảnh {names} không nằm trong dòng của câu hỏi nào; đặt ảnh vào dòng của câu hỏi")
        elif len(found) > 1:
            result.error(row, f"dòng này có {len(found)} ảnh ({names}); mỗi câu hỏi chỉ được một ảnh")
            question.readable = False
        else:
            question.picture = found[0].data
            question.picture_name = question.picture_name or found[0].name
    for question in result.questions:
        if (question.picture_name and question.picture is None and question.line not in pictures
                and question.line not in skip):
            result.error(question.line, f"cột Hình ảnh ghi {question.picture_name!r} nhưng dòng này không có ảnh; "
                                        "chèn ảnh vào dòng của câu hỏi (chỉ tệp .xlsx mang được ảnh)")
            question.readable = False


# --- what openpyxl's read-only mode does not read: pictures, formulas with no saved value -------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_DRAWING_MAIN = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
# A sheet with neither a formula nor an error value needs no second reading.
_WORTH_SCANNING = re.compile(rb"<(?:\w+:)?f[\s>/]|\bt=\"e\"")


@dataclass(frozen=True)
class SheetPicture:
    name: str
    data: bytes


@dataclass
class SheetExtras:
    # Excel row → the pictures anchored in it.
    pictures: dict[int, list[SheetPicture]]
    # (row, message) for cells whose value cannot be trusted.
    cell_errors: list[tuple[int, str]]
    # WPS in-cell pictures by the id their DISPIMG formula names.
    cell_images: dict[str, SheetPicture]


def read_sheet_extras(data: bytes, limits: XlsxLimits) -> SheetExtras:
    """The first sheet's pictures by row, and its formula cells with no saved value or an error.

    Reads the parts openpyxl skips in read-only mode straight from the archive, after the same
    size checks; a part that is missing or damaged is an error, never an exception."""
    check_xlsx_archive(data, limits)
    extras = SheetExtras({}, [], {})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        sheet = _first_sheet_path(archive)
        if sheet is None:
            return extras
        _scan_cells(archive.read(sheet), extras)
        for drawing in _related(archive, sheet, "/drawing"):
            _read_drawing(archive, drawing, extras)
        _read_cell_images(archive, extras)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, OSError, EOFError) as error:
        raise BankFileError(0, f"tệp Excel có phần bị hỏng ({type(error).__name__}); "
                               "mở và lưu lại bằng Excel") from None
    return extras


def _xml(content: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(content, parser)


def _relationships(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) of every relationship of ``part``; none when it has no .rels."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.NameToInfo:
        return []
    found = []
    for relation in _xml(archive.read(rels)).iter(f"{_PACKAGE_REL}Relationship"):
        target = relation.get("Target", "")
        if relation.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((relation.get("Id", ""), relation.get("Type", ""), path))
    return found


def _related(archive: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    return [target for _, type_, target in _relationships(archive, part) if type_.endswith(kind)]


def _workbook_path(archive: zipfile.ZipFile) -> str:
    return next(iter(_related(archive, "", "/officeDocument")), "xl/workbook.xml")


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The first worksheet in the workbook's order: the one openpyxl reads as worksheets[0]."""
    workbook = _workbook_path(archive)
    targets = {id_: target for id_, type_, target in _relationships(archive, workbook)
               if type_.endswith("/worksheet")}
    for sheet in _xml(archive.read(workbook)).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id", ""))
        if target is not None:
            return target
    return None


def _scan_cells(content: bytes, extras: SheetExtras) -> None:
    if not _WORTH_SCANNING.search(content):
        return
    parser = etree.XMLPullParser(events=("end",), tag=f"{_MAIN}c", resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    parser.feed(content)
    for _, cell in parser.read_events():
        reference = cell.get("r", "")
        message = _cell_problem(cell, reference)
        if message:
            extras.cell_errors.append((_row_of(reference), message))
        cell.clear()
    parser.close()


def _cell_problem(cell: etree._Element, reference: str) -> str | None:
    value = cell.find(f"{_MAIN}v")
    if cell.get("t") == "e":
        if cell.get("vm"):
            return (f"ô {reference} chứa ảnh đặt trong ô, chưa đọc được: chọn ảnh, chọn 'Đặt trên ô' "
                    "(Place over Cells) rồi lưu lại")
        shown = value.text if value is not None and value.text else "#N/A"
        return f"ô {reference} có lỗi công thức {shown}; sửa công thức trong Excel rồi lưu lại"
    if cell.find(f"{_MAIN}f") is None:
        return None
    # A formula whose result is the empty string is saved as <v></v> with t="str".
    if value is None or (not value.text and cell.get("t") != "str"):
        return (f"ô {reference} có công thức nhưng chưa có giá trị đã tính; mở tệp bằng Excel, để Excel "
                "tính lại rồi lưu")
    return None


def _row_of(reference: str) -> int:
    digits = "".join(ch for ch in reference if ch.isdigit())
    return int(digits) if digits else 0


def _read_drawing(archive: zipfile.ZipFile, drawing: str, extras: SheetExtras) -> None:
    """Pictures of one drawing part, by the row their top-left corner is anchored in."""
    images = {id_: target for id_, type_, target in _relationships(archive, drawing) if type_.endswith("/image")}
    for anchor in _xml(archive.read(drawing)):
        if anchor.tag not in (f"{_DRAWING}twoCellAnchor", f"{_DRAWING}oneCellAnchor", f"{_DRAWING}absoluteAnchor"):
            continue
        row_text = anchor.findtext(f"{_DRAWING}from/{_DRAWING}row")
        row = int(row_text) + 1 if row_text and row_text.strip().isdigit() else 0
        for picture in anchor.iter(f"{_DRAWING}pic"):
            name = picture.find(f"{_DRAWING}nvPicPr/{_DRAWING}cNvPr")
            label = name.get("name", "ảnh") if name is not None else "ảnh"
            blip = picture.find(f"{_DRAWING}blipFill/{_DRAWING_MAIN}blip")
            target = images.get(blip.get(f"{_REL}embed", "")) if blip is not None else None
            if target is None or target not in archive.NameToInfo:
                extras.cell_errors.append((row, f"ảnh {label!r} liên kết ra ngoài tệp hoặc bị thiếu; chèn lại ảnh "
                                                "vào tệp (Insert → Pictures → This Device)"))
                continue
            if row == 0:
                extras.cell_errors.append((0, f"ảnh {posixpath.basename(target)} không gắn với dòng nào; đặt ảnh "
                                              "vào dòng của câu hỏi"))
                continue
            extras.pictures.setdefault(row, []).append(SheetPicture(posixpath.basename(target), archive.read(target)))


def _read_cell_images(archive: zipfile.ZipFile, extras: SheetExtras) -> None:
    """WPS's store of in-cell pictures: each picture named by the id its cells' DISPIMG shows."""
    parts = _related(archive, _workbook_path(archive), "/cellImage") or (
        ["xl/cellimages.xml"] if "xl/cellimages.xml" in archive.NameToInfo else [])
    for part in parts:
        images = {id_: target for id_, type_, target in _relationships(archive, part) if type_.endswith("/image")}
        for picture in _xml(archive.read(part)).iter(f"{_DRAWING}pic"):
            name = picture.find(f"{_DRAWING}nvPicPr/{_DRAWING}cNvPr")
            blip = picture.find(f"{_DRAWING}blipFill/{_DRAWING_MAIN}blip")
            if name is None or blip is None:
                continue
            target = images.get(blip.get(f"{_REL}embed", ""))
            if target is not None and target in archive.NameToInfo:
                extras.cell_images[name.get("name", "")] = SheetPicture(posixpath.basename(target),
                                                                         archive.read(target))
