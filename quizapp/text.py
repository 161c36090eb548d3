"""Text clean-up shared by every input path (forms, API, files)."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """NFC-normalise, trim and collapse white space.

    Vietnamese typed on some systems arrives decomposed (a base letter followed by
    combining marks); without NFC two spellings of one name would not compare equal.
    """
    if not value:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
