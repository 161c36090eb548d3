"""Admission control for the opening minute: a cluster-wide cap on new attempts per second.

When a weekly round opens at 10:00, tens of thousands of phones tap Start within a minute.
Each new attempt draws questions and writes a row per question; beyond what the servers
can do, more starts only make every start slower. So at most ``ADMISSION_STARTS_PER_SECOND``
new attempts begin per second across every worker and host, counted in Redis through the
rate-limit library (Flask-Limiter's storage and moving window). A start beyond the cap is
refused before anything is written, with 503 and ``Retry-After``; the phone shows a waiting
screen and tries again after that, with jitter. Resuming an open attempt is never refused.

If Redis is away the count falls back with Flask-Limiter's to per-process memory, and if even
that fails the start is admitted: a spike is slow, never refused for good.
"""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItemPerSecond

from quizapp.errors import DomainError
from quizapp.extensions import limiter

SCOPE = "admission:attempt-start"


class StartsBusy(DomainError):
    status, code = 503, "busy"
    message = "Rất đông người đang vào thi cùng lúc. Vui lòng chờ vài giây, hệ thống sẽ tự thử lại."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def admit_start() -> None:
    """Count one new attempt against the cluster's cap, or raise StartsBusy."""
    cap = int(current_app.config.get("ADMISSION_STARTS_PER_SECOND") or 0)
    if cap <= 0 or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = RateLimitItemPerSecond(cap)
    identifiers = [current_app.config.get("RATELIMIT_KEY_PREFIX") or "quizapp", SCOPE]
    try:
        admitted = limiter.limiter.hit(item, *identifiers)
    except Exception:
        current_app.logger.warning("Admission control could not count a start; admitting it", exc_info=True)
        return
    if not admitted:
        raise StartsBusy(retry_after=1)
