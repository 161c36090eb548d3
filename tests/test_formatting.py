"""Numbers, durations and time zones as Vietnamese readers write them (quizapp/formatting.py)."""

from __future__ import annotations

import pytest

from quizapp.formatting import decimal, number, percent, seconds_text, zone_label


@pytest.mark.parametrize(("value", "shown"), [
    (1393, "1.393"), (1234567, "1.234.567"), ("1393", "1.393"), ("", "—"), (None, "—"), ("Giải Nhất", "Giải Nhất"),
])
def test_numbers_with_a_dot_between_thousands(value, shown):
    assert number(value) == shown


def test_percent_and_decimals_with_a_comma():
    assert percent(0.598) == "59,8 %" and percent(0.8872, 2) == "88,72 %" and percent(None) == "—"
    assert decimal(2.1) == "2,1" and decimal(3.0) == "3" and decimal("31.11", 2) == "31,11"
    assert decimal(1393.25) == "1.393,2" and decimal("không") == "—"


def test_times_taken_as_a_judge_compares_them():
    assert seconds_text(31.11) == "31,11 giây" and seconds_text("9.0") == "9 giây"
    assert seconds_text(1073.0) == "17 phút 53 giây" and seconds_text(161.5) == "2 phút 41,5 giây"
    assert seconds_text(120) == "2 phút" and seconds_text(None) == "—" and seconds_text("") == "—"
    # Rounding to hundredths never shows "60 giây" inside a minute.
    assert seconds_text(59.999) == "1 phút"


@pytest.mark.parametrize(("zone", "label"), [
    ("Asia/Ho_Chi_Minh", "giờ Việt Nam"), ("Asia/Saigon", "giờ Việt Nam"), ("Asia/Bangkok", "giờ Bangkok"),
    ("America/New_York", "giờ New York"), ("America/Argentina/Buenos_Aires", "giờ Buenos Aires"),
])
def test_a_zone_is_named_as_people_say_it(zone, label):
    assert zone_label(zone) == label
