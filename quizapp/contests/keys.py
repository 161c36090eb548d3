"""Whether a question's answer key may be shown yet (DESIGN §3 rule 2): the one decision every
place that shows a key to people other than the contest's judges and the bank's editors calls
(the taker's review, the public results, the printed summary, certificates later).

A key shown anywhere reaches everyone within minutes, so a question's key stays held back while
any competitive round of any contest, the taker's own included, can still draw the question:
a round that is open or scheduled (``now <= closes_at + grace``, the last moment it takes an
answer), not a practice round, with a draw entry naming the question's bank (and, when the
entry names a topic, the question's topic). A practice round is exempt because it has nothing
to win; what matters is what a competitive one can still ask.

Judges' own pages and exports, the banks' pages and ``banks export`` do not call this: their
readers write or award the keys. The review policy (attempts.services.review_allowed) still
applies first; this is the second gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from quizapp import clock
from quizapp.banks.models import Bank, Question, Topic
from quizapp.contests.models import Round
from quizapp.extensions import db

# How pages say when a held key appears, in the time zone of the contest the page belongs to.
NOTICE = "Đáp án sẽ được công bố sau {moment}"
NOTICE_PATTERN = "%H:%M ngày %d/%m/%Y"


def held_keys(question_ids: Iterable[int], now: datetime | None = None) -> dict[int, datetime]:
    """The questions of ``question_ids`` whose key must stay hidden, each with when it may
    appear: the latest close among the competitive rounds that can still draw it. A question
    not in the result may be shown.

    Two queries whatever the number of questions: the rounds still taking answers (a few
    dozen on a busy installation), then the bank and topic of those questions that sit in a
    bank one of them draws from.
    """
    wanted = set(question_ids)
    if not wanted:
        return {}
    now = now or clock.now()
    whole_bank: dict[str, datetime] = {}
    by_topic: dict[tuple[str, str], datetime] = {}
    live = select(Round.closes_at, Round.draw).where(
        Round.practice.is_(False), Round.closes_at >= now - clock.grace())
    for closes_at, draw in db.session.execute(live):
        for entry in draw or ():
            place = (entry["bank"], entry["topic"]) if entry.get("topic") else entry["bank"]
            latest = by_topic if isinstance(place, tuple) else whole_bank
            if place not in latest or latest[place] < closes_at:
                latest[place] = closes_at
    banks = set(whole_bank) | {bank for bank, _topic in by_topic}
    if not banks:
        return {}
    held: dict[int, datetime] = {}
    located = (select(Question.id, Bank.slug, Topic.name)
               .join(Bank, Bank.id == Question.bank_id).join(Topic, Topic.id == Question.topic_id)
               .where(Question.id.in_(sorted(wanted)), Bank.slug.in_(sorted(banks))))
    for question_id, bank, topic in db.session.execute(located):
        closes = [moment for moment in (whole_bank.get(bank), by_topic.get((bank, topic))) if moment]
        if closes:
            held[question_id] = max(closes)
    return held


def key_notice(moment: datetime, zone: str) -> str:
    """"Đáp án sẽ được công bố sau 09:00 ngày 13/05/2030" in the contest's time zone ``zone``."""
    return NOTICE.format(moment=clock.local_time(moment, zone, NOTICE_PATTERN))
