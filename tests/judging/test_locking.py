"""Locking a round's results: a stored snapshot with its SHA-256, exports equal to it, and no
change to the round's attempts from then on."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, update

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.judging.locking import CHECKSUM_LABEL, SCHEME_LABEL
from quizapp.judging.models import RoundLocked, RoundResult
from quizapp.judging.rows import local_moment
from tests.attempt_support import CLOSES
from tests.checksum_support import csv_checksum
from tests.conftest import Accounts, csrf_token
from tests.ranking_support import generate_round


def judge_of(app, round_id: int):
    """A client signed in as a judge of the round's contest."""
    client = app.test_client()
    Accounts(app, client).login_as("judge", round_id=round_id)
    return client


def lock(judge, round_id: int):
    return judge.post(f"/judging/rounds/{round_id}/lock", data={"csrf_token": csrf_token(judge), "confirm": "yes"},
                      follow_redirects=True)


def after_close(app) -> None:
    app.extensions["quizapp.clock"].set(CLOSES + timedelta(seconds=app.config["ATTEMPT_GRACE_SECONDS"] + 1))


def export(runner, round_id: int, path) -> bytes:
    result = runner.invoke(args=["rankings", "export", str(round_id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def test_an_open_round_cannot_be_locked(app, tmp_path):
    round_id, _rows = generate_round(app, tmp_path, people=20)
    judge = judge_of(app, round_id)

    page = lock(judge, round_id).get_data(as_text=True)

    assert "Chỉ khóa được kết quả khi vòng thi đã kết thúc" in page
    with app.app_context():
        assert db.session.scalar(select(RoundResult)) is None


def test_the_locked_export_carries_a_checksum_anyone_can_recompute(app, tmp_path, runner):
    round_id, _rows = generate_round(app, tmp_path, people=200)
    judge = judge_of(app, round_id)
    after_close(app)
    live = export(runner, round_id, tmp_path / "truoc.csv")

    page = lock(judge, round_id).get_data(as_text=True)
    locked = export(runner, round_id, tmp_path / "sau.csv")
    export(runner, round_id, tmp_path / "sau.xlsx")

    with app.app_context():
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        checksum = result.checksum
    assert checksum in page
    assert locked.startswith(b"\xef\xbb\xbf")
    assert locked.decode("utf-8-sig").rstrip("\r\n").rpartition("\r\n")[2] == f"{CHECKSUM_LABEL},{checksum}"
    recomputed, rows = csv_checksum(locked)
    assert recomputed == checksum
    # Locking changed nothing in the ranking itself.
    assert rows == list(csv.reader(io.StringIO(live.decode("utf-8-sig"))))[1:]
    table = [row[:-2] if len(row) > 2 else row
             for row in csv.reader(io.StringIO(locked.decode("utf-8-sig")))]
    workbook = openpyxl.load_workbook(tmp_path / "sau.xlsx", read_only=True)
    sheet_rows = workbook.worksheets[0].iter_rows(values_only=True)
    sheet = [["" if value is None else value for value in row] for row in sheet_rows]
    workbook.close()
    # The checksum lines close the first sheet, as they close the CSV.
    assert len(sheet) == len(table) and sheet[-1][:2] == [CHECKSUM_LABEL, checksum]
    assert sheet[-2][:2] == [SCHEME_LABEL, "sha256-rows-v1"]
    # Phone numbers stay text with their leading zero, not numbers.
    assert [row[2] for row in sheet[1:-2]] == [row[2] for row in table[1:-2]]
    assert all(isinstance(row[2], str) and row[2].startswith("0") for row in sheet[1:-2])
    # The standard columns are the snapshot's, typed; the time to the second.
    assert [[_same(value) for value in row[:len(table[0])]] for row in sheet[:-2]] == [
        [local_moment(value) if column == 8 and number else _same(value) for column, value in enumerate(row)]
        for number, row in enumerate(table[:-2])]
    # The judges' ranking page now pages through the snapshot, with its count.
    ranking = judge.get(f"/judging/rounds/{round_id}/ranking?page=2").get_data(as_text=True)
    assert f"({result.rows})</h1>" in ranking and ranking.count('<tr><td class="num">') == 50
    assert f'<tr><td class="num">{table[51][0]}</td><td>{table[51][1]}</td>' in ranking


def test_after_locking_the_rounds_attempts_cannot_change(app, tmp_path, runner):
    round_id, _rows = generate_round(app, tmp_path, people=50)
    judge = judge_of(app, round_id)
    after_close(app)
    lock(judge, round_id)
    before = export(runner, round_id, tmp_path / "a.csv")
    with app.app_context():
        attempt = db.session.scalars(select(Attempt).where(Attempt.round_id == round_id).order_by(Attempt.id)).first()
        attempt_id = attempt.id

    refused = judge.post(f"/judging/attempts/{attempt_id}/decision", data={
        "csrf_token": csrf_token(judge), "decision": "disqualify", "reason": "Thử sau khi khóa",
        "round_id": round_id}, follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.correct_count = 99
        with pytest.raises(RoundLocked):
            db.session.flush()
        db.session.rollback()
        # Even a change behind the app's back leaves the locked result as it was.
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(correct_count=0))
        db.session.commit()
    after = export(runner, round_id, tmp_path / "b.csv")

    assert "Kết quả vòng thi đã khóa" in refused
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).disqualified is False
    assert after == before
    assert "đã được khóa" in lock(judge, round_id).get_data(as_text=True)


def _same(value: object) -> object:
    if not isinstance(value, str):
        return float(value) if isinstance(value, int | float) else value
    try:
        return float(value)
    except ValueError:
        return value


def test_the_lock_writes_each_ranked_persons_rank_and_award_on_their_counting_attempt(app, tmp_path):
    """DESIGN §7 "Rank and award": written at the lock, from the snapshot, and not before; the
    ranking the lock kept stays kept (a rank is no ranking key)."""
    from quizapp.contests.models import AttemptPlace, Round
    from quizapp.judging.awards import override_award
    from quizapp.judging.models import RankingBuild

    round_id, _rows = generate_round(app, tmp_path, people=120)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        round_.awards = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Khuyến khích", "count": 3}]
        db.session.commit()
        # A judge gives a prize to someone far down the ranking.
        far_down = db.session.scalar(select(Attempt).where(Attempt.round_id == round_id, Attempt.status == "submitted",
                                                           Attempt.disqualified.is_(False))
                                     .order_by(Attempt.correct_count, Attempt.id.desc()).limit(1))
        override_award(round_, far_down.user_id, "Giải Khuyến khích", "Bài dự thi viết tay xuất sắc", None)
        db.session.commit()
    judge = judge_of(app, round_id)
    after_close(app)
    judge.get(f"/judging/rounds/{round_id}/ranking")  # a judge's view keeps the ranking first
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttemptPlace)) == 0
        assert db.session.get(Round, round_id).results_locked_at is None

    lock(judge, round_id)

    with app.app_context():
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        snapshot = {int(row[11]): (int(row[0]), row[9] or None) for row in result.snapshot_rows()}
        written = {attempt_id: (rank, award) for attempt_id, rank, award in db.session.execute(
            select(AttemptPlace.attempt_id, AttemptPlace.rank, AttemptPlace.award)
            .join(Attempt, Attempt.id == AttemptPlace.attempt_id).where(Attempt.round_id == round_id))}
        assert written == snapshot and len(written) == result.rows
        assert sorted(rank for rank, _award in written.values()) == list(range(1, result.rows + 1))
        awards = sorted(award for _rank, award in written.values() if award)
        assert awards == ["Giải Khuyến khích"] * 3 + ["Giải Nhất"]  # one Khuyến khích went to the override
        by_user = {db.session.get(Attempt, attempt_id).user_id: award for attempt_id, (_rank, award) in written.items()}
        assert by_user[far_down.user_id] == "Giải Khuyến khích"
        # The attempt reads its place (a taker's page), and only its counting attempt has one.
        some_attempt, (some_rank, _award) = next(iter(written.items()))
        assert db.session.get(Attempt, some_attempt).rank == some_rank
        assert {row.rank for row in db.session.scalars(select(Attempt).where(
            Attempt.round_id == round_id, Attempt.id.not_in(list(snapshot))))} <= {None}
        round_ = db.session.get(Round, round_id)
        assert round_.results_locked_at == result.locked_at and round_.ranked_count == result.rows
        assert db.session.get(RankingBuild, round_id) is not None
