"""Bank file formats, chosen by file extension and, for .txt, by content (Aiken or GIFT)."""

from __future__ import annotations

from pathlib import PurePath

from quizapp.banks.formats.aiken import parse_aiken
from quizapp.banks.formats.common import BankFileError, ParsedQuestion, ParseResult, check_all
from quizapp.banks.formats.gift import looks_like_gift, parse_gift
from quizapp.banks.formats.keyfile import AnswerKey, apply_key, settle_answers
from quizapp.banks.formats.spreadsheet import parse_csv, parse_xlsx
from quizapp.banks.formats.word import parse_word
from quizapp.files import NotUtf8, decode_utf8

GIFT_NOTE = "tệp .txt được nhận dạng là GIFT (định dạng Moodle xuất ra), không phải Aiken"


def parse_text(data: bytes) -> ParseResult:
    """A .txt is Aiken, or GIFT when its content is (Moodle exports GIFT as .txt)."""
    try:
        gift = looks_like_gift(decode_utf8(data))
    except NotUtf8:
        gift = False  # the Aiken reader reports where the file stops being UTF-8
    if not gift:
        return parse_aiken(data)
    result = parse_gift(data)
    result.notes.insert(0, GIFT_NOTE)
    return result


PARSERS = {".xlsx": parse_xlsx, ".csv": parse_csv, ".txt": parse_text, ".gift": parse_gift, ".docx": parse_word}
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
