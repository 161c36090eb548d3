"""Vietnamese mobile numbers: normalised to the ten-digit form people write (0xxxxxxxxx), and
masked where a page shows them to people who must not see them whole."""

from __future__ import annotations

import re

# Mobile prefixes since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x.
_MOBILE = re.compile(r"0[35789]\d{8}")
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalise_phone(raw: str) -> str | None:
    """Return ``0xxxxxxxxx`` for any usual way of writing a mobile number, else None.

    Accepts spaces, dots, dashes and brackets, and the international forms
    ``+84…``, ``84…`` and ``0084…``.
    """
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def mask_phone(phone: str) -> str:
    """``0912345678`` as ``09xx xxx 678``: enough to tell accounts apart (judges' evidence,
    public results), too little to call anyone."""
    return f"{phone[:2]}xx xxx {phone[-3:]}" if len(phone) >= 6 else "xxx"
