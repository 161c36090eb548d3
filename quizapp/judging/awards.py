"""Awards given down a round's ranking (DESIGN §4).

The round's tiers (``[{"name": "Giải Nhất", "count": 1}, …]``) go in order to the first
eligible people of the ranking: a person is eligible when their counting attempt is in the
ranking (so not disqualified) and their profile has every registration field the contest
requires; with the contest's ``one_award_per_person``, a person who won an award in another
locked round of the contest is passed over. Passed-over people keep their place; the award
goes to the next eligible one. A judge may give a person a tier or withdraw their award, with
a reason (``override_award``, audit-logged); that decision stands above the rules.
"""

from __future__ import annotations

from sqlalchemy import and_, select

from quizapp import audit
from quizapp.contests.models import Attempt, Round
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.judging.models import AwardOverride, RoundLocked, RoundResult, locked_result
from quizapp.text import clean_text

# Where a ranking row (judging/rows.py HEADER) holds the place, the award and the attempt's id.
RANK_COLUMN, AWARD_COLUMN, ATTEMPT_COLUMN = 0, 9, 11
# The column the exports add after the standard ones (DESIGN §7 "Export columns") for a judge's decision.
OVERRIDE_HEADER = "Giải do BGK quyết định: lý do"
NO_AWARD = "Không trao giải"


class AwardGiver:
    """Hands out a round's tiers as the ranking streams past, best first."""

    def __init__(self, round_: Round) -> None:
        self.slots = [tier["name"] for tier in round_.awards for _ in range(int(tier.get("count", 0)))]
        self.required = list(round_.contest.registration_fields)
        self.excluded = earlier_winners(round_) if round_.contest.one_award_per_person else set()
        # Judges' decisions come first: a given award takes its tier's place, a withdrawn one
        # goes down the ranking to the next eligible person.
        self.overrides = {override.user_id: override.award for override in db.session.scalars(
            select(AwardOverride).where(AwardOverride.round_id == round_.id))}
        for award in self.overrides.values():
            if award in self.slots:
                self.slots.remove(award)

    def award(self, user_id: int, profile: dict[str, object]) -> str:
        """The award for the next person in the ranking ("" for none)."""
        if user_id in self.overrides:
            return self.overrides[user_id] or ""
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
    attempt_ids = [int(row[ATTEMPT_COLUMN]) for result in snapshots for row in result.snapshot_rows()
                   if row[AWARD_COLUMN]]
    if not attempt_ids:
        return set()
    return set(db.session.scalars(select(Attempt.user_id).where(Attempt.id.in_(attempt_ids))))


def override_award(round_: Round, user_id: int, award: str | None, reason: str, judge) -> AwardOverride:
    """Record a judge's award decision for one person in a round. Audit-logged; never commits."""
    if locked_result(round_.id) is not None:
        raise RoundLocked()
    reason = clean_text(reason)
    tiers = [tier["name"] for tier in round_.awards]
    errors = {}
    if not reason:
        errors["reason"] = ["Cần ghi lý do."]
    if award is not None and award not in tiers:
        errors["award"] = [f"Giải phải là một trong: {', '.join(tiers) or '(vòng thi chưa có giải)'}."]
    if errors:
        raise ValidationFailed(errors)
    override = db.session.scalar(select(AwardOverride).where(
        AwardOverride.round_id == round_.id, AwardOverride.user_id == user_id))
    before = {"award": override.award, "reason": override.reason} if override else None
    if override is None:
        override = AwardOverride(round_id=round_.id, user_id=user_id, award=award, reason=reason)
        db.session.add(override)
    override.award, override.reason, override.decided_by = award, reason, judge.id if judge else None
    audit.record("award.overridden", "round", round_.id, before=before,
                 after={"user_id": user_id, "award": award, "reason": reason})
    db.session.flush()
    return override


def override_marks(round_id: int) -> dict[int, str]:
    """The judges' decisions as the exports mark them, by attempt id (every attempt of the
    person, so whichever counts finds it): "Giải Nhì: <reason>", or "Không trao giải: <reason>"
    for a withdrawn award. The ``Giải`` column keeps the tier alone."""
    decided = db.session.execute(
        select(Attempt.id, AwardOverride.award, AwardOverride.reason)
        .join(AwardOverride, and_(AwardOverride.user_id == Attempt.user_id, AwardOverride.round_id == Attempt.round_id))
        .where(Attempt.round_id == round_id))
    return {attempt_id: f"{award or NO_AWARD}: {reason}" for attempt_id, award, reason in decided}
