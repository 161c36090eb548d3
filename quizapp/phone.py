"""Vietnamese mobile numbers: normalised to the ten-digit form people write (0xxxxxxxxx), and
masked where a page shows them to people who must not see them whole."""

from __future__ import annotations

import re

# Mobile prefixes since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x. ASCII digits only
# ([0-9], not \d, which takes any script's digits): one number must be one string, or
# full-width or Arabic-Indic digits would register a second account for it.
_MOBILE = re.compile(r"0[35789][0-9]{8}")
_SEPARATORS = re.compile(r"[\s.\-()]")
# Longer input is no phone number, however it is spaced; refused before any work on it.
MAX_INPUT = 64


def normalise_phone(raw: str) -> str | None:
    """Return ``0xxxxxxxxx`` for any usual way of writing a mobile number, else None.

    Accepts spaces, dots, dashes and brackets, and the international forms
    ``+84…``, ``84…`` and ``0084…``; digits must be ASCII. Everything that looks a phone up
    or counts by phone (registration, sign-in, the sign-in limit) goes through this one
    function, so they all agree on which number a string is.
    """
    if not raw or len(raw) > MAX_INPUT:
        return None
    digits = _SEPARATORS.sub("", raw)
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
