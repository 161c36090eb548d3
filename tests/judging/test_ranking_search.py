"""The judges' ranking search ignores diacritics and case (issue 14): "tran van binh" finds
"Trần Văn Bình" while the round runs (the ranking computed now), once it is finished (the kept
ranking) and once it is locked (the snapshot)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.judging.locking import lock_round
from quizapp.judging.materialised import kept
from quizapp.judging.models import locked_result
from tests.attempt_support import CLOSES, install_clock
from tests.judging.test_judging_pages import judge_client
from tests.ranking_support import generate_round

RENAMED = {"0966000010": "Trần Văn Bình", "0966000011": "ĐỖ THỊ ĐÀO", "0966000012": "Trần Bình Trọng"}
SEARCHES = {"tran van binh": {"0966000010"}, "TRẦN VĂN BÌNH": {"0966000010"}, "do thi dao": {"0966000011"},
            "đỗ thị đào": {"0966000011"}, "tran": {"0966000010", "0966000012"}, "BINH": {"0966000010", "0966000012"},
            "0966000011": {"0966000011"}, "dao thi": set()}


def phones_found(judge, round_id: int, query: str) -> set[str]:
    page = judge.get(f"/judging/rounds/{round_id}/ranking", query_string={"q": query})
    assert page.status_code == 200
    return set(re.findall(r"<td>(0966\d{6})</td>", page.get_data(as_text=True)))


@pytest.mark.parametrize("stage", ["running", "finished", "locked"])
def test_the_ranking_search_ignores_diacritics_and_case(app, tmp_path, stage):
    round_id, _rows = generate_round(app, tmp_path, people=40)
    with app.app_context():
        for user in db.session.scalars(select(User).where(User.phone.in_(RENAMED))):
            user.full_name = RENAMED[user.phone]
        db.session.commit()
    if stage != "running":
        install_clock(app, CLOSES + timedelta(hours=1))
    if stage == "locked":
        with app.app_context():
            lock_round(db.session.get(Round, round_id), None, reason="Kiểm thử")
            db.session.commit()
    judge = judge_client(app, round_id)

    found = {query: phones_found(judge, round_id, query) for query in SEARCHES}

    assert found == SEARCHES
    # Each stage reads its own source: the ranking now, the kept one, the locked snapshot.
    with app.app_context():
        assert (kept(db.session.get(Round, round_id)) is None) == (stage == "running")
        assert (locked_result(round_id) is not None) == (stage == "locked")
