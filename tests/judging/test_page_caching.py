"""Judges' pages (the round summary prints the answer key) are never stored by a cache (issue 11)."""

from __future__ import annotations

from tests.attempt_support import one_round
from tests.judging.test_locking import judge_of


def test_the_round_summary_and_the_judges_pages_are_never_stored(app, tmp_path):
    round_id = one_round(app, tmp_path, "luu-tam")
    judge = judge_of(app, round_id)

    for url in (f"/judging/rounds/{round_id}/summary", f"/judging/rounds/{round_id}",
                f"/judging/rounds/{round_id}/ranking"):
        page = judge.get(url)
        assert page.status_code == 200, url
        assert page.headers.get("Cache-Control") == "no-store", url
