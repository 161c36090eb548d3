"""A plain Python ranking of a round, written from DESIGN §4 and quizapp/judging/ranking.py's
docstring without its SQL, for the tests to hold the SQL ranking against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Row:
    """One attempt as the oracle sees it."""

    id: int
    user_id: int
    number: int
    status: str
    disqualified: bool
    correct_count: int | None
    question_count: int
    prediction: int | None
    duration_ms: int | None
    submitted_at: datetime | None


def oracle_rank(rows: list[Row], tie_breakers: list[str], counting: str, truth_kind: str | None,
                locked: bool) -> list[tuple[int, int]]:
    """[(place, attempt id)], best first."""
    used: dict[int, int] = {}
    for row in rows:
        used[row.user_id] = used.get(row.user_id, 0) + 1
    first_prediction: dict[int, int] = {}
    for row in sorted(rows, key=lambda r: r.number):
        if row.prediction is not None and row.user_id not in first_prediction:
            first_prediction[row.user_id] = row.prediction
    eligible = [row for row in rows if row.status == "submitted" and not row.disqualified]

    def prediction(row: Row) -> int | None:
        return first_prediction.get(row.user_id) if locked else row.prediction

    truth = None
    if truth_kind == "participants":
        truth = len({row.user_id for row in eligible})
    elif truth_kind == "attempts":
        truth = len(eligible)
    elif truth_kind == "participants_all_correct":
        if counting == "best":
            truth = len({row.user_id for row in eligible if row.correct_count == row.question_count})
        else:
            counted = _by_number(eligible, last=counting == "last")
            truth = sum(1 for row in counted.values() if row.correct_count == row.question_count)

    def key(row: Row) -> tuple:
        parts = []
        for name in tie_breakers:
            if name == "correct_desc":
                parts.append(-row.correct_count)
            elif name == "prediction_error_asc":
                guess = prediction(row)
                error = abs(guess - truth) if guess is not None and truth is not None else None
                parts.append((1, 0) if error is None else (0, error))
            elif name == "duration_asc":
                parts.append(row.duration_ms)
            elif name == "submitted_at_asc":
                parts.append(row.submitted_at)
            elif name == "attempts_used_asc":
                parts.append(used[row.user_id])
        return (*parts, row.id)

    if counting == "best":
        counted: dict[int, Row] = {}
        for row in sorted(eligible, key=key):
            counted.setdefault(row.user_id, row)
    else:
        counted = _by_number(eligible, last=counting == "last")
    return [(place, row.id) for place, row in enumerate(sorted(counted.values(), key=key), start=1)]


def _by_number(rows: list[Row], *, last: bool) -> dict[int, Row]:
    chosen: dict[int, Row] = {}
    for row in sorted(rows, key=lambda r: r.number, reverse=last):
        chosen.setdefault(row.user_id, row)
    return chosen
