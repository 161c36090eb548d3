"""ID numbers (CCCD) are encrypted at rest (DESIGN §3 rule 7, issue 19 item 4)."""

from __future__ import annotations

import os
import re
from contextlib import closing

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import select, text, update

from quizapp import create_app
from quizapp.auth.models import User
from quizapp.contests.models import Round
from quizapp.extensions import db
from quizapp.formatting import masked_id_number
from quizapp.judging.rows import ranking_rows
from quizapp.privacy import idnumbers
from tests.attempt_support import answer_key, install_clock, one_round, sign_up
from tests.conftest import TEST_ID_NUMBER_KEY, TEST_SECRET, Accounts
from tests.privacy.support import file_bytes

CCCD = "001099012345"
OTHER_CCCD = "079203004567"


def stored(app, user_id: int) -> str | None:
    """What the database really holds in the column, read past the model's type."""
    with app.app_context():
        return db.session.execute(text("SELECT id_number FROM users WHERE id = :id"), {"id": user_id}).scalar()


def database_bytes(app) -> bytes:
    """The SQLite file and its write-ahead log as a leaked backup would hand them out."""
    path = db.engine.url.database
    return file_bytes(path, path + "-wal")


def test_a_registered_number_is_stored_encrypted_and_read_back_in_full(app, client):
    accounts = Accounts(app, client)
    user_id = accounts.create("taker", id_number=CCCD)
    raw = stored(app, user_id)
    assert raw and CCCD not in raw and raw.startswith("gAAAAA")  # a Fernet token
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.id_number == CCCD and user.has_id_number
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            assert CCCD.encode() not in database_bytes(app)
        else:
            # No row of the table, read as text, holds the number anywhere.
            assert db.session.execute(text("SELECT count(*) FROM users WHERE users::text LIKE :n"),
                                      {"n": f"%{CCCD}%"}).scalar() == 0


def test_the_profile_page_writes_the_number_encrypted_and_shows_it_to_its_owner(app):
    taker = sign_up(app, full_name="Người Có Hồ Sơ")
    page = taker.client.get("/auth/profile")
    assert page.status_code == 200
    with app.app_context():
        assert db.session.get(User, taker.user_id).has_id_number is False
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = taker.client.post("/auth/profile", data={
        "csrf_token": csrf, "full_name": "Người Có Hồ Sơ", "birth_date": "", "gender": "", "id_number": OTHER_CCCD,
        "unit_code": "", "participant_group": ""})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    assert OTHER_CCCD not in stored(app, taker.user_id)
    with app.app_context():
        assert db.session.get(User, taker.user_id).has_id_number is True
    assert OTHER_CCCD in taker.client.get("/auth/profile").get_data(as_text=True)


def test_removing_the_number_clears_the_indicator(app, client):
    user_id = Accounts(app, client).create("taker", id_number=CCCD)
    with app.app_context():
        user = db.session.get(User, user_id)
        user.id_number = ""
        db.session.commit()
    assert stored(app, user_id) is None
    with app.app_context():
        assert db.session.get(User, user_id).has_id_number is False


def test_keys_rotate_new_key_first_then_rekey_then_the_old_key_goes(make_app, client, app):
    user_id = Accounts(app, client).create("taker", id_number=CCCD)
    old_token = stored(app, user_id)
    new_key = Fernet.generate_key().decode()

    both = make_app(ID_NUMBER_KEYS=[new_key, TEST_ID_NUMBER_KEY])
    with both.app_context():
        assert db.session.get(User, user_id).id_number == CCCD  # the old key still decrypts
    result = both.test_cli_runner().invoke(args=["privacy", "rekey"])
    assert result.exit_code == 0, result.output
    assert "1 tài khoản" in result.output
    assert stored(both, user_id) != old_token

    only_new = make_app(ID_NUMBER_KEYS=new_key)  # one key as a plain string, as the environment gives it
    with only_new.app_context():
        assert db.session.get(User, user_id).id_number == CCCD
    only_old = make_app()
    with only_old.app_context(), pytest.raises(RuntimeError, match="QUIZAPP_ID_NUMBER_KEYS"):
        db.session.get(User, user_id).id_number  # noqa: B018 - the read decrypts


def test_production_refuses_to_start_without_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("QUIZAPP_ID_NUMBER_KEYS", raising=False)
    settings = {"ENV": "production", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": "sqlite://",
                "INSTANCE_PATH": str(tmp_path), "SMS_BACKEND": f"file:{tmp_path}/sms.jsonl"}
    for missing in (None, "", []):
        with pytest.raises(RuntimeError, match="QUIZAPP_ID_NUMBER_KEYS must be set in production"):
            create_app({**settings, "ID_NUMBER_KEYS": missing})
    assert not (tmp_path / idnumbers.KEY_FILE).exists()
    with pytest.raises(RuntimeError, match="key 2 is not a Fernet key"):
        create_app({**settings, "ID_NUMBER_KEYS": [TEST_ID_NUMBER_KEY, "not-a-key"]})
    assert create_app({**settings, "ID_NUMBER_KEYS": [TEST_ID_NUMBER_KEY]}).extensions["quizapp.sealer"]


def test_development_keeps_a_generated_key_in_the_instance_folder(tmp_path):
    first = idnumbers.load_keys({"ENV": "development"}, str(tmp_path))
    second = idnumbers.load_keys({"ENV": "development", "ID_NUMBER_KEYS": None}, str(tmp_path))
    assert first == second and len(first) == 1
    Fernet(first[0])
    assert os.stat(tmp_path / idnumbers.KEY_FILE).st_mode & 0o077 == 0


@pytest.mark.parametrize(("number", "masked"), [
    ("001099012345", "0010******45"), ("123456789", "1234***89"), ("12345", "*****"), (None, ""), ("", "")])
def test_mask_keeps_the_first_four_and_last_two_digits(number, masked):
    assert masked_id_number(number) == masked


def test_revision_0019_encrypts_every_existing_number_and_sets_the_indicator(make_app, new_database):
    from flask_migrate import downgrade

    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0018")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version,"
                " created_at, id_number) VALUES"
                " (1, '0912345678', 'x', 'Có số', 'taker', true, 1, '2026-01-01 00:00:00', :number),"
                " (2, '0912345679', 'x', 'Không số', 'taker', true, 1, '2026-01-01 00:00:00', NULL),"
                " (3, '0912345670', 'x', 'Số rỗng', 'taker', true, 1, '2026-01-01 00:00:00', '')"), {"number": CCCD})
        upgrade(revision="0019")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, id_number, has_id_number FROM users ORDER BY id")).all()
        assert [(row[0], bool(row[2])) for row in rows] == [(1, True), (2, False), (3, False)]
        assert CCCD not in rows[0][1] and rows[1][1] is None and rows[2][1] is None
        upgrade()  # the model reads the schema of the newest revision
        assert db.session.get(User, 1).id_number == CCCD
        db.session.rollback()
        db.session.remove()
        downgrade(revision="0018")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT id_number FROM users WHERE id = 1")).scalar() == CCCD


def test_award_eligibility_reads_the_indicator_not_the_number(app, tmp_path):
    """The contest requires an ID number: the better taker gave none and is passed over; the
    winner's stored number is made undecryptable, and the ranking still gives the award, so it
    decrypted nothing."""
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "can-cccd", contest={"registration_fields": ["id_number"]})
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == round_id).values(
            awards=[{"name": "Giải Nhất", "count": 1}]))
        db.session.commit()
    without = sign_up(app, full_name="Không Có Số")
    with_number = sign_up(app, full_name="Có Số", id_number=CCCD)
    for taker, right in ((without, 4), (with_number, 3)):
        # Entry requires the number, so the first taker's is removed after the start.
        if taker is without:
            with app.app_context():
                db.session.execute(update(User).where(User.id == taker.user_id).values(
                    id_number=None, has_id_number=True))
                db.session.commit()
        attempt = taker.started(round_id)
        key = answer_key(app, attempt)
        for index, question in enumerate(attempt["questions"]):
            clock.advance(seconds=5)
            wrong = next(o["id"] for o in question["options"] if o["id"] not in key[question["id"]])
            taker.save(attempt["id"], question["id"], sorted(key[question["id"]]) if index < right else [wrong])
        assert taker.submit(attempt["id"]).status_code == 200
    with app.app_context():
        db.session.execute(text("UPDATE users SET has_id_number = :f WHERE id = :id"),
                           {"f": False, "id": without.user_id})
        db.session.execute(text("UPDATE users SET id_number = 'not-a-token' WHERE id = :id"),
                           {"id": with_number.user_id})
        db.session.commit()
        round_ = db.session.get(Round, round_id)
        with closing(ranking_rows(round_)) as rows:
            awarded = {row[1]: row[9] for row in rows}
        user = db.session.scalar(select(User).where(User.id == with_number.user_id))
        assert user.has_id_number  # loading the account does not decrypt the number
    assert awarded == {"Không Có Số": "", "Có Số": "Giải Nhất"}


@pytest.mark.parametrize(("required", "shown", "hidden"), [
    (["id_number"], CCCD, None), ([], "0010******45", CCCD)])
def test_judges_see_the_number_in_full_only_when_their_contest_requires_it(app, tmp_path, required, shown, hidden):
    install_clock(app)
    round_id = one_round(app, tmp_path, "cccd-bgk", contest={"registration_fields": required})
    for taker in (sign_up(app, full_name="Có Số", id_number=CCCD),
                  sign_up(app, full_name="Người Khác", id_number=OTHER_CCCD)):
        assert taker.submit(taker.started(round_id)["id"]).status_code == 200
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    html = judge.get(f"/judging/rounds/{round_id}/ranking").get_data(as_text=True)
    assert shown in html
    if hidden:
        assert hidden not in html
        assert "Số CCCD (che bớt)" in html

