"""Numbers as Vietnamese readers write them: 1.234.567 and 12,5 % (Jinja filters ``number``, ``percent``)."""

from __future__ import annotations


def number(value: float | None, decimals: int = 0) -> str:
    """``value`` with a dot between thousands and a comma before decimals; an em dash for None."""
    if value is None:
        return "—"
    english = f"{value:,.{decimals}f}"
    return english.translate(str.maketrans(",.", ".,"))


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A fraction (0.125) as a percentage ("12,5 %"); an em dash for None."""
    if fraction is None:
        return "—"
    return f"{number(fraction * 100, decimals)} %"
