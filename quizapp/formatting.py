"""Numbers as Vietnamese readers write them: 1.234.567 and 12,5 % (Jinja filters ``number``, ``percent``,
``decimal``), durations as "3 phút 5 giây" (``duration``), sizes as "64 MB" (``size``), and the name
of a time zone as people say it: "giờ Việt Nam" (``zone_label``)."""

from __future__ import annotations


def number(value: float | str | None, decimals: int = 0) -> str:
    """``value`` with a dot between thousands and a comma before decimals; an em dash for None or
    "". Text is read as a number first (a locked snapshot's cells come back as text); text that
    is none is shown as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    english = f"{value:,.{decimals}f}"
    return english.translate(str.maketrans(",.", ".,"))


def decimal(value: float | str | None, most: int = 1) -> str:
    """A measured quantity with at most ``most`` decimals and none it does not need: 2.1 as
    "2,1", 3.0 as "3", 1393.25 as "1.393,3"; an em dash for None or text that is no number (a
    locked snapshot's cells come back as text)."""
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    rounded = round(value, most)
    shown = number(rounded, most)
    if "," in shown:
        shown = shown.rstrip("0").rstrip(",")
    return shown


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


def seconds_text(seconds: float | str | None) -> str:
    """A time taken, in seconds, as a judge compares it: "31,11 giây", "17 phút 53,2 giây",
    "17 phút"; hundredths kept, because rankings break ties on them; "—" for none."""
    try:
        hundredths = round(float(seconds) * 100)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    minutes, rest = divmod(hundredths, 6000)
    if not minutes:
        return f"{decimal(rest / 100, 2)} giây"
    return f"{number(minutes)} phút {decimal(rest / 100, 2)} giây" if rest else f"{number(minutes)} phút"


# Zones whose clocks are Vietnam's: the contest default and its older name.
VIETNAM_ZONES = frozenset({"Asia/Ho_Chi_Minh", "Asia/Saigon"})


def zone_label(tz_name: str | None) -> str:
    """A time zone as people name it beside a time: "giờ Việt Nam" for Vietnam's zone, else
    "giờ " and the zone's city ("Asia/Bangkok": "giờ Bangkok"), never its code."""
    if not tz_name or tz_name in VIETNAM_ZONES:
        return "giờ Việt Nam"
    return "giờ " + tz_name.rsplit("/", 1)[-1].replace("_", " ")


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
