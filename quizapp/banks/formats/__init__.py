"""Bank file formats, chosen by file extension."""

from __future__ import annotations

from pathlib import PurePath

from quizapp.banks.formats.aiken import parse_aiken
from quizapp.banks.formats.common import BankFileError, ParsedQuestion, ParseResult, check_all
from quizapp.banks.formats.gift import parse_gift
from quizapp.banks.formats.keyfile import AnswerKey, apply_key, settle_answers
from quizapp.banks.formats.spreadsheet import parse_csv, parse_xlsx
from quizapp.banks.formats.word import parse_word

PARSERS = {".xlsx": parse_xlsx, ".csv": parse_csv, ".txt": parse_aiken, ".gift": parse_gift, ".docx": parse_word}
EXTENSIONS = tuple(PARSERS)

__all__ = ["EXTENSIONS", "BankFileError", "ParseResult", "ParsedQuestion", "parse_file"]


def parse_file(filename: str, data: bytes, key: AnswerKey | None = None) -> ParseResult:
    """Parse and check a bank file; every problem is in ``errors`` as (line, message).

    With an answer ``key`` (formats.keyfile) the key decides the answers; problems it finds on
    its own side are added to ``key.errors``.
    """
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
    if key is None:
        settle_answers(result)
    elif not key.errors:  # a key with errors of its own is reported; its gaps would only echo them
        apply_key(result, key)
        settle_answers(result)
    return check_all(result)
