"""Bank file formats, chosen by file extension."""

from __future__ import annotations

from pathlib import PurePath

from quizapp.banks.formats.aiken import parse_aiken
from quizapp.banks.formats.common import BankFileError, ParsedQuestion, ParseResult, check_all
from quizapp.banks.formats.gift import parse_gift
from quizapp.banks.formats.spreadsheet import parse_csv, parse_xlsx

PARSERS = {".xlsx": parse_xlsx, ".csv": parse_csv, ".txt": parse_aiken, ".gift": parse_gift}
EXTENSIONS = tuple(PARSERS)

__all__ = ["EXTENSIONS", "BankFileError", "ParseResult", "ParsedQuestion", "parse_file"]


def parse_file(filename: str, data: bytes) -> ParseResult:
    """Parse and check a bank file; every problem is in ``errors`` as (line, message)."""
    extension = PurePath(filename).suffix.casefold()
    parser = PARSERS.get(extension)
    if parser is None:
        result = ParseResult()
        result.error(1, f"không nhận dạng được loại tệp {extension or '(không có đuôi)'}: "
                        f"dùng {', '.join(EXTENSIONS)}")
        return result
    try:
        result = parser(data)
    except BankFileError as error:
        result = ParseResult()
        result.error(error.line, error.message)
        return result
    return check_all(result)
