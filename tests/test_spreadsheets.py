"""quizapp/spreadsheets.py: the one rule every export writer uses so no cell starts a formula."""

from __future__ import annotations

import pytest

from quizapp.spreadsheets import safe_cell, safe_row


@pytest.mark.parametrize("text", ["=1+1", "+84 912", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_would_start_a_formula_gets_a_quote_once(text):
    assert safe_cell(text) == f"'{text}"
    assert safe_cell(safe_cell(text)) == f"'{text}"


def test_numbers_and_ordinary_text_stay_as_they_are():
    assert safe_row([-2, -1.5, 0, "", "Nguyễn Văn A", "0912345678", "06/05/2030 12:00:00.000", None, "a=b"]) == [
        -2, -1.5, 0, "", "Nguyễn Văn A", "0912345678", "06/05/2030 12:00:00.000", None, "a=b"]
