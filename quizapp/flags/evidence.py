"""A flag's evidence as judges read it: one Vietnamese sentence per flag, the one place that turns
the evidence the checks store (flags/services.py) into words, for every page and file that shows it.

The stored evidence is a record of what a check saw, kept as it was when a judge decided on it;
older flags and erased people's flags carry other shapes (``{"erased": true}``, fewer keys), so
every sentence is built from what is there and never shows a key or a raw value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from quizapp.formatting import decimal, number

# What a flag's page says once the person's data is erased (privacy/erasure.py blanks it).
ERASED = "Người dự thi đã xoá dữ liệu cá nhân; căn cứ của dấu hiệu này không còn được lưu."
UNKNOWN = "Không có mô tả chi tiết cho dấu hiệu này."


def evidence_text(kind: str, evidence: Mapping | None) -> str:
    """The evidence of a flag of ``kind`` as a sentence."""
    if not isinstance(evidence, Mapping) or evidence.get("erased"):
        return ERASED
    describe = _SENTENCES.get(kind)
    return (describe(evidence) if describe else None) or UNKNOWN


def device_reference(device: str) -> str:
    """A short reference to a device that lets judges see two flags name the same one without
    showing the cookie: four characters derived from the part the evidence keeps."""
    return hashlib.sha256(device.encode()).hexdigest()[:4].upper()


def _seconds(value: object) -> str | None:
    return f"{decimal(value)} giây" if isinstance(value, int | float) else None


def _too_fast(evidence: Mapping) -> str | None:
    floors = evidence.get("floors") if isinstance(evidence.get("floors"), Mapping) else {}
    median, per_answer = evidence.get("median_seconds_per_answer"), floors.get("seconds_per_answer")
    duration, whole = evidence.get("duration_seconds"), floors.get("attempt_seconds")
    answered, correct = evidence.get("answered"), evidence.get("correct")
    parts = []
    if isinstance(answered, int):
        done = f"Trả lời {number(answered)} câu"
        if isinstance(correct, int):
            done += f" (đúng {number(correct)} câu)"
        if _seconds(duration):
            done += f" trong {_seconds(duration)}"
        parts.append(done)
    if _seconds(median):
        pace = f"trung bình {_seconds(median)} mỗi câu"
        if _seconds(per_answer):
            below = median < per_answer  # type: ignore[operator]
            pace += f", {'dưới' if below else 'không dưới'} ngưỡng {_seconds(per_answer)}"
        parts.append(pace)
    if _seconds(duration) and _seconds(whole) and duration < whole:  # type: ignore[operator]
        parts.append(f"cả bài dưới ngưỡng {_seconds(whole)}")
    if not parts:
        return None
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def _duplicate_person(evidence: Mapping) -> str | None:
    others = evidence.get("other_accounts")
    if not isinstance(others, list):
        return None
    phones = [str(other["phone"]) for other in others if isinstance(other, Mapping) and other.get("phone")]
    if not others:
        return "Các tài khoản trùng thông tin đã xoá dữ liệu cá nhân."
    sentence = (f"Cùng họ tên, ngày sinh và đơn vị với {number(len(others))} tài khoản khác cũng dự thi vòng này")
    return sentence + (f": {', '.join(phones)}." if phones else ".")


def _shared_device(evidence: Mapping) -> str | None:
    accounts = evidence.get("accounts_on_device")
    if not isinstance(accounts, int):
        return None
    sentence = f"{number(accounts)} tài khoản đã làm bài vòng này trên cùng một thiết bị"
    device = evidence.get("device")
    if isinstance(device, str) and device:
        sentence += f" (thiết bị {device_reference(device)})"
    return sentence + "."


def _burst_ip(evidence: Mapping) -> str | None:
    accounts = evidence.get("accounts_starting", evidence.get("accounts"))
    if not isinstance(accounts, int):
        return None
    sentence = f"{number(accounts)} tài khoản bắt đầu làm bài từ cùng địa chỉ IP"
    if isinstance(evidence.get("ip"), str):
        sentence += f" {evidence['ip']}"
    if _seconds(evidence.get("within_seconds")):
        sentence += f" trong khoảng {_seconds(evidence['within_seconds'])}"
    # Why it is only informational, said where the judge decides.
    return sentence + " (một cơ quan hay một mạng di động cũng vậy: chỉ để tham khảo)."


_SENTENCES: dict[str, Callable[[Mapping], str | None]] = {
    "too_fast": _too_fast, "duplicate_person": _duplicate_person, "shared_device": _shared_device,
    "burst_ip": _burst_ip}
