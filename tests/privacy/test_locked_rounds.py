"""Erasure is the one change the lock lets through on a locked round's attempts, and rounds
locked before the per-row checksum keep theirs and say so."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.judging.locking import ERASED_NAME, erasing
from quizapp.judging.models import SCHEME_CSV, RoundLocked, RoundResult, locked_result
from quizapp.privacy.erasure import erase_person
from tests.privacy.support import build, lock_first_round, user


def test_only_the_device_and_address_of_named_attempts_may_change_in_a_locked_round(app, tmp_path):
    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    leaver, other = scene.people["leaver"], scene.people["other"]
    with app.app_context():
        attempt = db.session.get(Attempt, leaver.attempt_ids[0])
        attempt.device_id = None  # outside an erasure: refused
        with pytest.raises(RoundLocked):
            db.session.flush()
        db.session.rollback()

        with erasing(db.session, {leaver.attempt_ids[0]}):
            attempt = db.session.get(Attempt, leaver.attempt_ids[0])
            attempt.device_id = None
            attempt.correct_count = 4  # more than the erasure: refused
            with pytest.raises(RoundLocked):
                db.session.flush()
            db.session.rollback()

            mine = db.session.get(Attempt, other.attempt_ids[0])  # not named: refused
            mine.start_ip = None
            with pytest.raises(RoundLocked):
                db.session.flush()
            db.session.rollback()

            attempt = db.session.get(Attempt, leaver.attempt_ids[0])
            attempt.device_id, attempt.start_ip = None, None
            db.session.flush()
            db.session.commit()
        assert db.session.get(Attempt, leaver.attempt_ids[0]).start_ip is None


def test_a_round_locked_with_the_old_checksum_keeps_it_and_says_so(app, tmp_path):
    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    leaver = scene.people["leaver"]
    with app.app_context():
        # As a round locked before this version: the SHA-256 of its canonical CSV, no digests.
        result = locked_result(scene.locked_round)
        result.checksum_scheme, result.row_digests = SCHEME_CSV, None
        result.checksum = hashlib.sha256(result.canonical_csv).hexdigest()
        db.session.commit()
        old = result.checksum
        erase_person(user(leaver.user_id), "retention")
        db.session.commit()
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == scene.locked_round))
        assert (result.checksum_scheme, result.checksum) == (SCHEME_CSV, old)
        rows = list(csv.reader(io.StringIO(result.canonical_csv.decode())))
        assert rows[2][1:4] == [ERASED_NAME, "", ""]
        assert leaver.phone.encode() not in result.canonical_csv
        # Its old checksum no longer recomputes once a row is blanked (documented).
        assert result.snapshot_checksum() != old
    page = app.test_client().get("/contests/xoa-du-lieu/rounds/1/results").get_data(as_text=True)
    assert "cách tính cũ" in page


def test_an_erased_winner_keeps_their_place_as_an_anonymous_fact_and_the_checksum_verifies(app, tmp_path):
    """Erasure and the places the lock wrote (attempt_places): the place and award stay with
    the attempt, like its score; the account no longer names anyone, and the published
    checksum still recomputes."""
    from quizapp.contests.models import AttemptPlace

    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    winner = scene.people["winner"]
    with app.app_context():
        before = locked_result(scene.locked_round).checksum
        erase_person(user(winner.user_id), "deletion")
        db.session.commit()
        place = db.session.get(AttemptPlace, winner.attempt_ids[0])
        assert (place.rank, place.award) == (1, "Giải Nhất")
        assert user(winner.user_id).full_name != winner.name
        result = locked_result(scene.locked_round)
        assert result.checksum == before and result.snapshot_checksum() == before
