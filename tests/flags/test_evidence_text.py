"""Each kind of flag's evidence reads as a Vietnamese sentence (flags/evidence.py): numbers as
Vietnamese write them, no stored key, no device cookie, and something sensible for the shapes
older or erased flags carry."""

from __future__ import annotations

import pytest

from quizapp.flags.evidence import ERASED, UNKNOWN, device_reference, evidence_text
from quizapp.flags.models import KINDS

TOO_FAST = {"median_seconds_per_answer": 2.1, "duration_seconds": 40.5, "answered": 20, "correct": 19,
            "floors": {"seconds_per_answer": 3.0, "attempt_seconds": 60.0}}
# What the checks store today (flags/services.py), one per kind.
STORED = {
    "too_fast": TOO_FAST,
    "duplicate_person": {"other_accounts": [{"user_id": 7, "phone": "09xx xxx 678"},
                                            {"user_id": 9, "phone": "03xx xxx 111"}]},
    "shared_device": {"accounts_on_device": 5, "device": "m1vsxI…"},
    "burst_ip": {"ip": "203.0.113.9", "accounts_starting": 1200, "within_seconds": 60.0},
}
STORED_KEYS = {"median_seconds_per_answer", "duration_seconds", "floors", "seconds_per_answer", "other_accounts",
               "user_id", "accounts_on_device", "accounts_starting", "within_seconds", "{", "=", "None"}


def test_every_kind_has_a_sentence_for_what_its_check_stores():
    assert set(STORED) == set(KINDS)
    for kind, evidence in STORED.items():
        sentence = evidence_text(kind, evidence)
        assert sentence not in (UNKNOWN, ERASED) and sentence.endswith("."), kind
        assert not any(key in sentence for key in STORED_KEYS), (kind, sentence)


def test_too_fast_says_the_pace_and_the_floors_in_vietnamese_numbers():
    assert evidence_text("too_fast", TOO_FAST) == (
        "Trả lời 20 câu (đúng 19 câu) trong 40,5 giây; trung bình 2,1 giây mỗi câu, dưới ngưỡng 3 giây; "
        "cả bài dưới ngưỡng 60 giây.")
    # Only the whole attempt was too short: the pace is said to be above its floor.
    slow_pace = {**TOO_FAST, "median_seconds_per_answer": 4.25}
    assert "trung bình 4,2 giây mỗi câu, không dưới ngưỡng 3 giây" in evidence_text("too_fast", slow_pace)


def test_duplicates_name_the_other_accounts_by_masked_phone_only():
    sentence = evidence_text("duplicate_person", STORED["duplicate_person"])
    assert sentence == ("Cùng họ tên, ngày sinh và đơn vị với 2 tài khoản khác cũng dự thi vòng này: "
                        "09xx xxx 678, 03xx xxx 111.")
    # Erasing one of them takes it out of the list (privacy/erasure.py); all of them, the list.
    assert evidence_text("duplicate_person", {"other_accounts": []}) == \
        "Các tài khoản trùng thông tin đã xoá dữ liệu cá nhân."


def test_a_shared_device_is_referred_to_without_its_cookie():
    sentence = evidence_text("shared_device", STORED["shared_device"])
    reference = device_reference("m1vsxI…")
    assert sentence == f"5 tài khoản đã làm bài vòng này trên cùng một thiết bị (thiết bị {reference})."
    assert "m1vs" not in sentence and len(reference) == 4
    # Two flags on one device carry the same reference, so a judge can match them.
    assert device_reference("m1vsxI…") == reference != device_reference("Zq0aaa…")


def test_a_burst_says_it_is_only_for_reference():
    assert evidence_text("burst_ip", STORED["burst_ip"]) == (
        "1.200 tài khoản bắt đầu làm bài từ cùng địa chỉ IP 203.0.113.9 trong khoảng 60 giây "
        "(một cơ quan hay một mạng di động cũng vậy: chỉ để tham khảo).")


@pytest.mark.parametrize("kind", KINDS)
def test_erased_and_strange_evidence_never_shows_raw_values(kind):
    assert evidence_text(kind, {"erased": True}) == ERASED
    assert evidence_text(kind, None) == ERASED
    assert evidence_text(kind, {"something": "else"}) == UNKNOWN
    assert evidence_text("a_kind_from_later", STORED["too_fast"]) == UNKNOWN


def test_an_older_burst_shape_still_reads():
    assert evidence_text("burst_ip", {"ip": "10.0.0.1", "accounts": 12}).startswith(
        "12 tài khoản bắt đầu làm bài từ cùng địa chỉ IP 10.0.0.1 (")
