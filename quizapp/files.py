"""Reading the text files organisers upload: UTF-8 with or without BOM, any line ends."""

from __future__ import annotations

BOM = b"\xef\xbb\xbf"


class NotUtf8(Exception):
    """The file is not UTF-8; ``line`` is where the first bad byte is."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}")
        self.line = line
        self.message = "tệp không ở mã UTF-8; hãy lưu lại tệp dạng UTF-8 (trong Excel: 'CSV UTF-8')"


def decode_utf8(data: bytes) -> str:
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8(data[: error.start].count(b"\n") + 1) from None


def sniff_delimiter(header_line: str) -> str:
    """Comma, or semicolon where the header uses more of those (Excel in some locales)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","
