"""Awards given down a round's ranking (DESIGN §4).

The round's tiers (``[{"name": "Giải Nhất", "count": 1}, …]``) go in order to the first
eligible people of the ranking: a person is eligible when their counting attempt is in the
ranking (so not disqualified) and their profile has every registration field the contest
requires; with the contest's ``one_award_per_person``, a person who won an award in another
locked round of the contest is passed over. Passed-over people keep their place; the award
goes to the next eligible one.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.judging.models import RoundResult

AWARD_COLUMN, ATTEMPT_COLUMN = 9, 11


class AwardGiver:
    """Hands out a round's tiers as the ranking streams past, best first."""

    def __init__(self, round_: Round) -> None:
        self.slots = [tier["name"] for tier in round_.awards for _ in range(int(tier.get("count", 0)))]
        self.required = list(round_.contest.registration_fields)
        self.excluded = earlier_winners(round_) if round_.contest.one_award_per_person else set()

    def award(self, user_id: int, profile: dict[str, object]) -> str:
        """The award for the next person in the ranking ("" for none)."""
        if not self.slots or user_id in self.excluded:
            return ""
        if any(profile.get(field) in (None, "") for field in self.required):
            return ""
        return self.slots.pop(0)


def earlier_winners(round_: Round) -> set[int]:
    """People who won an award in another locked round of the same contest."""
    snapshots = db.session.scalars(
        select(RoundResult).join(Round, Round.id == RoundResult.round_id)
        .where(Round.contest_id == round_.contest_id, Round.id != round_.id)
    )
    attempt_ids = [
        int(row[ATTEMPT_COLUMN])
        for result in snapshots
        for row in list(csv.reader(io.StringIO(result.canonical_csv.decode("utf-8"))))[1:]
        if row[AWARD_COLUMN]
    ]
    if not attempt_ids:
        return set()
    return set(db.session.scalars(select(Attempt.user_id).where(Attempt.id.in_(attempt_ids))))
