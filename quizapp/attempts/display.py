"""How an attempt is shown to its taker: the same dict feeds the attempt page, the result page
(attempts/routes.py) and the JSON API (``GET /api/v1/attempts/<id>``), so a phone with or without
JavaScript sees the same questions, the same option ids and the same rules on the answer key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quizapp import clock
from quizapp.attempts import services as service
from quizapp.attempts.tokens import option_tokens, parse_indexes
from quizapp.banks.models import QuestionVersion
from quizapp.banks.picture_routes import picture_url
from quizapp.contests.keys import held_keys
from quizapp.contests.models import Attempt, AttemptItem
from quizapp.extensions import db


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def picture_fields(version: QuestionVersion) -> dict[str, object]:
    """``picture`` (its URL, cached for a year, or None), ``picture_width``, ``picture_height``."""
    picture = version.picture
    if picture is None:
        return {"picture": None, "picture_width": None, "picture_height": None}
    return {"picture": picture_url(picture),
            "picture_width": picture.width, "picture_height": picture.height}


def attempt_json(attempt: Attempt) -> dict[str, object]:
    """The attempt as its taker sees it: a question carries its key (``correct``, with its
    ``explanation`` and ``source``, which often give the key away) only when the round's review
    policy allows it and no competitive round can still draw the question (contests.keys);
    a key held back for that reason says when it will appear (``key_held_until``).

    Texts come from the revision of each question the attempt drew, never from the bank as it
    is now, so an organiser's later edit changes nothing here (DESIGN §3 rule 9).
    """
    now = clock.now()
    items = db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
        .options(selectinload(AttemptItem.version).selectinload(QuestionVersion.picture)).order_by(AttemptItem.position)
    ).all()
    review = service.review_allowed(attempt, now)
    held = held_keys([item.question_id for item in items], now) if review else {}
    round_ = attempt.round
    questions = []
    for item in items:
        tokens = option_tokens(attempt.id, item.question_id, item.option_count)
        chosen = parse_indexes(item.chosen)
        version = item.version
        option_text = version.option_texts()
        question = {
            "id": item.question_id,
            "text": version.text,
            "multiple": item.multiple,
            # An option an edit removed before revisions were kept (migration 0009) shows as a dash.
            "options": [{"id": tokens[index], "text": option_text.get(option_id, "—")}
                        for index, option_id in enumerate(item.option_ids)],
            "selected": [tokens[index] for index in chosen],
            # The picture of the revision drawn (a later replacement changes future draws only).
            **picture_fields(version),
        }
        if item.question_id in held:
            question["key_held_until"] = iso(held[item.question_id])
        elif review:
            question["correct"] = [tokens[index] for index in parse_indexes(item.correct_key)]
            question["explanation"] = version.explanation
            question["source"] = version.source
        questions.append(question)
    return {
        "id": attempt.id,
        "round_id": attempt.round_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": iso(attempt.started_at),
        "deadline": iso(attempt.deadline),
        "server_now": iso(now),
        "time_limit_seconds": round_.time_limit_seconds,
        "questions": questions,
        "prediction": attempt.prediction,
        "prediction_prompt": round_.prediction_prompt,
        "prediction_locked": bool(round_.prediction_locked and attempt.prediction is not None),
        "result": {
            "correct_count": attempt.correct_count,
            "question_count": attempt.question_count,
            "duration_ms": attempt.duration_ms,
            "submitted_at": iso(attempt.submitted_at),
            "expired": attempt.expired,
            "eligible": not attempt.disqualified,
        } if service.score_allowed(attempt, now) else None,
        "review_available": review,
        "key_held_until": iso(max(held.values())) if held else None,
    }
