"""DELETE /api/v1/me and the page "Xoá tài khoản": the account's personal data erased
everywhere, its sessions ended, a locked round's checksum still verifiable, a winner's row kept."""

from __future__ import annotations

from sqlalchemy import event, func, select

from quizapp.audit import AuditEvent
from quizapp.auth.models import UserSession
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.jobs.models import Job
from quizapp.judging.locking import ERASED_NAME
from quizapp.judging.models import locked_result
from quizapp.judging.ranking import rank
from quizapp.privacy.erasure import erase_person
from tests.attempt_support import API, error_code
from tests.checksum_support import csv_checksum
from tests.conftest import PASSWORD, Accounts, csrf_token
from tests.job_support import run_jobs
from tests.judging.test_judging_pages import download
from tests.privacy.support import (
    api_client,
    build,
    delete_me,
    found_in_columns,
    lock_first_round,
    needles,
    sqlite_bytes,
    user,
)


def test_after_delete_me_a_non_winner_cannot_sign_in_and_their_data_is_nowhere(app, tmp_path):
    scene = build(app, tmp_path)
    lock_first_round(app, scene)
    leaver = scene.people["leaver"]
    client, token = api_client(app, leaver)
    other_phone, other_token = api_client(app, leaver)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    response = delete_me(client, token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["deleted"] is True
    # Every session ended: this browser and the other phone are signed out.
    assert client.get(f"{API}/session").get_json()["user"] is None
    assert other_phone.get(f"{API}/session").get_json()["user"] is None
    login = app.test_client()
    assert login.post(f"{API}/login", json={"phone": leaver.phone, "password": PASSWORD},
                      headers={"X-CSRFToken": csrf_token(login)}).status_code == 401

    with app.app_context():
        account = user(leaver.user_id)
        assert not account.is_active and account.erased_at is not None
        assert account.phone.startswith("x") and len(account.phone) == 10
        assert (account.birth_date, account.gender, account.id_number, account.unit_id,
                account.participant_group) == (None, None, None, None, None)
        assert db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == leaver.user_id, UserSession.ended_at.is_(None))) == 0
        # Attempts stay as anonymous statistics, without device or address.
        attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == leaver.user_id)).all()
        assert [a.correct_count for a in attempts] == [3, 2]
        assert all(a.device_id is None and a.start_ip is None for a in attempts)
        # The events stay (one more: the erasure), without the person's data.
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1
        updated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
        assert updated.before is None and updated.after is None
        searches = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data.viewed")
                                      .order_by(AuditEvent.id)).all()
        # The searches that typed the person lose their data; a search for someone else keeps it
        # (the first three: build's; then the judge's pages when locking).
        assert [event.after for event in searches][:3] == [None, None, {
            "what": "judging.ranking", "page": 1, "search": scene.people["other"].name}]
        reason = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.disqualified"))
        assert reason.before is None and reason.after is None
        staff = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contest.staff_removed"))
        assert staff.before is None and staff.subject_id == leaver.user_id
        erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.erased"))
        assert erased.after["reason"] == "deletion" and erased.after["locked_rounds"] == [scene.locked_round]
        # Flags keep their kind and decision, not the evidence naming the person.
        flags = {flag.kind: flag for flag in db.session.scalars(select(Flag))}
        assert flags["burst_ip"].evidence == {"erased": True}
        assert flags["duplicate_person"].evidence == {"other_accounts": []}
        assert flags["duplicate_person"].decision == "cleared"
        # Nowhere in any column of any table, and (SQLite) nowhere in the file or its log.
        assert found_in_columns(needles(leaver)) == []
        # The other takers are untouched.
        assert found_in_columns([scene.people["other"].phone, scene.people["other"].name])
        data = sqlite_bytes()
        if data is not None:
            for needle in needles(leaver):
                assert needle.encode() not in data, needle
            assert scene.people["other"].phone.encode() in data


def test_a_locked_rounds_checksum_still_verifies_and_its_kept_files_are_made_again(app, tmp_path):
    scene = build(app, tmp_path)
    judge = lock_first_round(app, scene)
    url = f"/judging/rounds/{scene.locked_round}/export.csv"
    before = download(judge, url).data
    checksum, rows = csv_checksum(before)
    leaver, winner = scene.people["leaver"], scene.people["winner"]
    assert [row[1] for row in rows] == [winner.name, leaver.name, scene.people["other"].name,
                                        scene.people["still_playing"].name]

    client, token = api_client(app, leaver)
    assert delete_me(client, token).status_code == 200
    with app.app_context():
        # The kept file is gone and queued to be made again, from the blanked snapshot.
        prefix = f"judging:round:{scene.locked_round}:ranking"
        remade = db.session.scalars(select(Job).where(Job.key.startswith(prefix))).all()
        assert [(job.status, job.keep) for job in remade] == [("queued", True)]
    assert run_jobs(app)

    after = download(judge, url).data
    assert leaver.name.encode() not in after and leaver.phone.encode() not in after
    recomputed, rows = csv_checksum(after)
    assert recomputed == checksum
    assert rows[1][1:4] == [ERASED_NAME, "", ""]
    assert rows[1][0] == "2" and rows[1][4] == "3"  # place and score stay
    assert rows[0][1] == winner.name and rows[2][1] == scene.people["other"].name
    salts = [line.split(",")[-2] for line in after.decode("utf-8-sig").splitlines()[1:5]]
    assert salts[1] == "" and all(salts[index] for index in (0, 2, 3))
    with app.app_context():
        result = locked_result(scene.locked_round)
        assert result.checksum == checksum and result.snapshot_checksum() == checksum
        assert result.checksum_scheme == "sha256-rows-v1"


def test_a_prize_winners_name_unit_rank_and_score_stay_in_the_locked_result(app, tmp_path):
    scene = build(app, tmp_path)
    judge = lock_first_round(app, scene)
    winner = scene.people["winner"]
    client, token = api_client(app, winner)
    assert delete_me(client, token).status_code == 200

    checksum, rows = csv_checksum(download(judge, f"/judging/rounds/{scene.locked_round}/export.csv").data)
    assert rows[0][:5] == ["1", winner.name, "", "Đơn vị Thử Nghiệm Xoá", "4"] and rows[0][9] == "Giải Nhất"
    public = app.test_client().get("/contests/xoa-du-lieu/rounds/1/results").get_data(as_text=True)
    assert winner.name in public
    with app.app_context():
        assert locked_result(scene.locked_round).snapshot_checksum() == checksum
        assert found_in_columns([winner.phone, winner.id_number]) == []


def test_in_a_round_not_yet_locked_the_person_leaves_the_ranking(app, tmp_path):
    scene = build(app, tmp_path)
    playing = scene.people["still_playing"]
    with app.app_context():
        before = [row.user_id for row in rank(scene.open_round)]
    assert playing.user_id in before
    client, token = api_client(app, playing)
    assert delete_me(client, token).status_code == 200
    with app.app_context():
        assert [row.user_id for row in rank(scene.open_round)] == [u for u in before if u != playing.user_id]
        assert playing.user_id not in [row.user_id for row in rank(scene.locked_round)]
        # Still counted as an anonymous attempt.
        assert db.session.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.round_id == scene.open_round)) == 1


def test_a_kept_ranking_is_forgotten_when_a_person_in_it_is_erased(app, tmp_path):
    from quizapp.judging.materialised import keep, kept
    from quizapp.judging.rows import ranking_rows

    scene = build(app, tmp_path)
    from tests.judging.test_locking import after_close
    after_close(app)
    other = scene.people["other"]
    with app.app_context():
        from quizapp.contests.models import Round
        round_ = db.session.get(Round, scene.locked_round)
        keep(round_)
        db.session.commit()
        assert kept(round_) is not None
    client, token = api_client(app, other)
    assert delete_me(client, token).status_code == 200
    with app.app_context():
        round_ = db.session.get(Round, scene.locked_round)
        assert kept(round_) is None
        names = [row[1] for row in ranking_rows(round_)]
        assert other.name not in names and len(names) == 3


def test_wrong_password_missing_password_staff_and_signed_out_change_nothing(app, tmp_path):
    scene = build(app, tmp_path)
    leaver = scene.people["leaver"]
    client, token = api_client(app, leaver)
    wrong = delete_me(client, token, "sai-mat-khau")
    assert wrong.status_code == 403 and error_code(wrong) == "wrong_password"
    missing = client.delete(f"{API}/me", json={}, headers={"X-CSRFToken": token})
    assert missing.status_code == 422
    assert client.delete(f"{API}/me", json={"password": PASSWORD}).status_code == 400  # no CSRF header
    assert client.delete(f"{API}/me", data="x", headers={"X-CSRFToken": token}).status_code == 400
    with app.app_context():
        assert user(leaver.user_id).erased_at is None and user(leaver.user_id).phone == leaver.phone
    assert client.get(f"{API}/session").get_json()["user"]["phone"] == leaver.phone

    anonymous = app.test_client()
    assert anonymous.delete(f"{API}/me", json={"password": PASSWORD},
                            headers={"X-CSRFToken": csrf_token(anonymous)}).status_code == 401

    staff = app.test_client()
    accounts = Accounts(app, staff)
    for role in ("organiser", "judge", "admin"):
        phone = accounts.login_as(role)
        response = staff.delete(f"{API}/me", json={"password": PASSWORD}, headers={"X-CSRFToken": csrf_token(staff)})
        assert response.status_code == 403 and error_code(response) == "staff_account", role
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "privacy.erased")) == 0, phone
        accounts.logout()


def test_the_page_asks_for_the_password_and_an_explicit_confirmation(app, tmp_path):
    scene = build(app, tmp_path)
    leaver = scene.people["leaver"]
    browser = app.test_client()
    assert Accounts(app, browser).login(leaver.phone).status_code == 302
    profile = browser.get("/auth/profile").get_data(as_text=True)
    assert "/privacy/delete-account" in profile
    page = browser.get("/privacy/delete-account")
    assert page.status_code == 200 and "Xoá tài khoản" in page.get_data(as_text=True)

    token = csrf_token(browser)
    unconfirmed = browser.post("/privacy/delete-account", data={"csrf_token": token, "password": PASSWORD})
    assert unconfirmed.status_code == 422 and "Hãy đánh dấu ô này" in unconfirmed.get_data(as_text=True)
    wrong = browser.post("/privacy/delete-account",
                         data={"csrf_token": token, "password": "sai", "confirm": "y"})
    assert wrong.status_code == 403 and "Mật khẩu không đúng" in wrong.get_data(as_text=True)
    with app.app_context():
        assert user(leaver.user_id).erased_at is None

    done = browser.post("/privacy/delete-account", data={"csrf_token": token, "password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    assert browser.get("/auth/profile").status_code == 302  # signed out
    with app.app_context():
        assert user(leaver.user_id).erased_at is not None
        assert found_in_columns(needles(leaver)) == []


def test_erasing_one_person_finds_their_audit_events_by_index_not_by_reading_the_log(app, tmp_path):
    scene = build(app, tmp_path)
    leaver = scene.people["leaver"]
    statements: list[tuple[str, object]] = []

    def capture(_connection, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("UPDATE AUDIT_EVENTS"):
            statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            erase_person(user(leaver.user_id), "deletion")
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert len(statements) == 3  # about the person, their actions, searches that typed them
        cursor = db.session.connection().connection.driver_connection.cursor()
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a plan with no usable index still scans
        for statement, parameters in statements:
            cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert ("Seq Scan on audit_events" if postgres else "SCAN audit_events") not in plan, (statement, plan)
        db.session.rollback()
