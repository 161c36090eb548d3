"""Numbering and option labels that bank files carry and takers must not see
(banks/formats/common.py), shared by every format."""

from __future__ import annotations

import pytest

from quizapp.banks.formats.common import location_order, split_option_label, strip_question_number


@pytest.mark.parametrize(("raw", "text", "removed"), [
    ("Câu 12: Ai là tác giả?", "Ai là tác giả?", "Câu 12:"),
    ("Câu 12. Ai", "Ai", "Câu 12."),
    ("câu 3 - Ai", "Ai", "câu 3 -"),
    ("Cau 7: Ai", "Ai", "Cau 7:"),
    ("[1] Thủ đô là?", "Thủ đô là?", "[1]"),
    ("1. Ai", "Ai", "1."),
    ("12) Ai", "Ai", "12)"),
    ("Question 3) Who", "Who", "Question 3)"),
])
def test_a_leading_question_number_is_removed_and_named(raw, text, removed):
    assert strip_question_number(raw) == (text, removed)


@pytest.mark.parametrize("raw", ["1945 là năm nào?", "Câu 5:", "Câu 1?", "[3] …", "Năm 1930, Đảng ra đời.",
                                 "3/2/1930 là ngày gì?"])
def test_text_that_only_looks_numbered_is_kept(raw):
    assert strip_question_number(raw) == (raw, None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("A. Hà Nội", (0, "Hà Nội", True)),
    ("b) Huế", (1, "Huế", True)),
    ("C/ Đà Nẵng", (2, "Đà Nẵng", True)),
    ("D: Cần Thơ", (3, "Cần Thơ", True)),
    ("A - 1930", (0, "1930", True)),
    ("A.12 giờ", (0, "12 giờ", False)),
    ("Hà Nội", (None, "Hà Nội", True)),
    ("Ai là người", (None, "Ai là người", True)),
])
def test_option_labels_are_split_off(raw, expected):
    assert split_option_label(raw) == expected


def test_locations_sort_by_the_number_they_carry():
    assert sorted(["Câu 10", "Câu 9", "đoạn 3"], key=location_order) == ["đoạn 3", "Câu 9", "Câu 10"]
    assert sorted([12, 3, 7], key=location_order) == [3, 7, 12]
