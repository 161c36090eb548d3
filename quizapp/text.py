"""Text clean-up shared by every input path (forms, API, files)."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Control characters (NUL, the C0 and C1 ranges) break databases and Excel exports alike.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def clean_text(value: str | None) -> str:
    """NFC-normalise, trim and collapse white space.

    Vietnamese typed on some systems arrives decomposed (a base letter followed by
    combining marks); without NFC two spellings of one name would not compare equal.
    """
    if not value:
        return ""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    return _SPACE.sub(" ", text).strip()


def split_lines(text: str) -> list[str]:
    """Lines as a text editor numbers them: only CR, LF and CRLF end a line.

    ``str.splitlines`` also breaks at vertical tab, form feed and U+2028, which Word's soft
    line breaks produce inside one line, and would shift every line number after them.
    """
    return _LINE_BREAK.split(text)


# "đ" is a letter of its own, not "d" with a mark: NFD leaves it whole.
_STROKED_D = str.maketrans({"đ": "d"})


def fold(text: str | None) -> str:
    """``text`` as searches compare it: lowercase, without tones or other marks, "đ" as "d",
    so "tran van binh" and "TRẦN VĂN BÌNH" both find "Trần Văn Bình", and "xa tan lap" finds
    "Xã Tân Lập" (accounts and the units picker): people search as they type on a phone keyboard
    without Vietnamese input. NFD splits each accented letter into its base and marks, which
    are dropped."""
    if not text:
        return ""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered.translate(_STROKED_D))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str | None, limit: int = 64) -> str:
    """``text`` as an address segment: folded (``fold``) and every run of other characters one
    hyphen, "Tìm hiểu tư tưởng Hồ Chí Minh 2024" as "tim-hieu-tu-tuong-ho-chi-minh-2024"; cut
    to ``limit`` at a word's end where one fits. static/slug-suggest.js applies the same rule
    as an organiser types, so what the page suggests is what the server would choose."""
    words = _NOT_SLUG.sub("-", fold(text)).strip("-")
    if len(words) <= limit:
        return words
    cut = words[:limit]
    if words[limit] != "-" and "-" in cut:
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")
