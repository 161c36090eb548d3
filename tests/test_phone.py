import pytest

from quizapp.phone import normalise_phone


@pytest.mark.parametrize(("raw", "expected"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("(091) 234-5678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084912345678", "0912345678"),
    ("0389999999", "0389999999"),
    ("0912345678 ", "0912345678"),
])
def test_usual_forms_normalise(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "091234567", "09123456789", "0212345678", "0112345678", "912345678", "09123abc78", "+1 912345678",
    "０９１２３４５６７８",
    # Digits of other scripts, whole or mixed with ASCII ones: never a second string for one number.
    "09１２３４５６７８", "٠٩١٢٣٤٥٦٧٨", "09١٢٣٤٥٦٧٨", "09۱۲۳۴۵۶۷۸", "+84９１２３４５６７８",
    # Too long to be a number, however it is spaced.
    " " * 60 + "0912345678",
])
def test_other_input_is_refused(raw):
    assert normalise_phone(raw) is None
