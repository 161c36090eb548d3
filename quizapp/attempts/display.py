"""How an attempt is shown to its taker: the same dict feeds the attempt page, the result page
(attempts/routes.py) and the JSON API (``GET /api/v1/attempts/<id>``), so a phone with or without
JavaScript sees the same questions, the same option ids and the same rules on the answer key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from quizapp import clock
from quizapp.attempts import services as service
from quizapp.attempts.tokens import option_tokens, parse_indexes
from quizapp.banks.models import Picture, QuestionVersion
from quizapp.banks.picture_routes import picture_path
from quizapp.contests.keys import held_keys
from quizapp.contests.models import Attempt, AttemptItem
from quizapp.extensions import db


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Shown:
    """What a taker is shown of one question revision. Revisions and pictures are never
    changed once written (banks/models.py), so each worker keeps the ones it has read
    (``services.cached_revisions``)."""

    text: str
    options: dict[int, str]
    explanation: str | None
    source: str | None
    picture: str | None  # the picture's SHA-256 name
    picture_width: int | None
    picture_height: int | None

    def picture_fields(self) -> dict[str, object]:
        """``picture`` (its URL, cached for a year, or None), ``picture_width``, ``picture_height``."""
        if self.picture is None:
            return {"picture": None, "picture_width": None, "picture_height": None}
        return {"picture": picture_path(self.picture), "picture_width": self.picture_width,
                "picture_height": self.picture_height}


def shown_revisions(keys: set[tuple[int, int]]) -> dict[tuple[int, int], Shown]:
    return service.cached_revisions("quizapp.shown_revisions", keys, _load_shown)


def _load_shown(keys: list[tuple[int, int]]) -> dict[tuple[int, int], Shown]:
    rows = db.session.execute(
        select(QuestionVersion.question_id, QuestionVersion.revision, QuestionVersion.text,
               QuestionVersion.options, QuestionVersion.explanation, QuestionVersion.source,
               Picture.sha256, Picture.width, Picture.height)
        .outerjoin(Picture, Picture.id == QuestionVersion.picture_id)
        .where(tuple_(QuestionVersion.question_id, QuestionVersion.revision).in_(keys)))
    return {(question_id, revision): Shown(text, {option["id"]: option["text"] for option in options}, explanation,
                                           source, sha256, width, height)
            for question_id, revision, text, options, explanation, source, sha256, width, height in rows}


def attempt_json(attempt: Attempt) -> dict[str, object]:
    """The attempt as its taker sees it: a question carries its key (``correct``, with its
    ``explanation`` and ``source``, which often give the key away) only when the round's review
    policy allows it and no competitive round can still draw the question (contests.keys);
    a key held back for that reason says when it will appear (``key_held_until``).

    Texts come from the revision of each question the attempt drew, never from the bank as it
    is now, so an organiser's later edit changes nothing here (DESIGN §3 rule 9).
    """
    now = clock.now()
    items = db.session.execute(
        select(AttemptItem.question_id, AttemptItem.question_revision, AttemptItem.multiple, AttemptItem.option_count,
               AttemptItem.option_ids, AttemptItem.chosen, AttemptItem.correct_key)
        .where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
    ).all()
    shown = shown_revisions({(item.question_id, item.question_revision) for item in items})
    review = service.review_allowed(attempt, now)
    held = held_keys([item.question_id for item in items], now) if review else {}
    round_ = attempt.round
    questions = []
    for item in items:
        tokens = option_tokens(attempt.id, item.question_id, item.option_count)
        chosen = parse_indexes(item.chosen)
        version = shown[item.question_id, item.question_revision]
        question = {
            "id": item.question_id,
            "text": version.text,
            "multiple": item.multiple,
            # An option an edit removed before revisions were kept (migration 0009) shows as a dash.
            "options": [{"id": tokens[index], "text": version.options.get(option_id, "—")}
                        for index, option_id in enumerate(item.option_ids)],
            "selected": [tokens[index] for index in chosen],
            # The picture of the revision drawn (a later replacement changes future draws only).
            **version.picture_fields(),
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
