"""Numbers as Vietnamese readers write them: 1.234.567 and 12,5 % (Jinja filters ``number``, ``percent``),
durations as "3 phút 5 giây", sizes as "64 MB" (filter ``size``), and time zones as people name them
("giờ Việt Nam", filter ``zone_label``)."""

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


def duration_text(milliseconds: int | None) -> str:
    """A duration as a taker reads it: "45 giây", "3 phút", "3 phút 5 giây"; "" for none."""
    if milliseconds is None:
        return ""
    minutes, seconds = divmod(round(milliseconds / 1000), 60)
    if not minutes:
        return f"{seconds} giây"
    return f"{minutes} phút {seconds} giây" if seconds else f"{minutes} phút"


def size_text(byte_count: int) -> str:
    """A size limit as people read it: "64 MB", "1,5 MB", "64 KB" (binary units, as nginx's)."""
    if byte_count >= 1024 * 1024:
        return f"{number(byte_count / (1024 * 1024), 0 if byte_count % (1024 * 1024) == 0 else 1)} MB"
    return f"{number(byte_count / 1024, 0 if byte_count % 1024 == 0 else 1)} KB"


def masked_id_number(number: str | None) -> str:
    """An ID number (CCCD) as staff who do not need it in full see it: ``001099012345`` as
    ``0010******45``, enough to tell two people apart, not to use the number ("" for none)."""
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


# Vietnam's zone under both its IANA names (Asia/Saigon is the older alias some systems still give).
_VIETNAM_ZONES = {"Asia/Ho_Chi_Minh", "Asia/Saigon"}


def zone_label(tz_name: str | None) -> str:
    """A time zone as a page names it: "giờ Việt Nam" for Vietnam's, otherwise "giờ" and the
    zone's city ("Asia/Bangkok" as "giờ Bangkok", "America/New_York" as "giờ New York")."""
    if not tz_name or tz_name in _VIETNAM_ZONES:
        return "giờ Việt Nam"
    return "giờ " + tz_name.rsplit("/", 1)[-1].replace("_", " ")
