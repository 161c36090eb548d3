"""A contest for erasure tests: round 1 closed (locked by the test when it wants), round 2
still open, a practice round closed long ago; takers with known personal data and attempts
inserted directly, so scores and places are known."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, cast, inspect, literal, or_, select
from sqlalchemy.types import JSON, LargeBinary, Text

from quizapp import audit
from quizapp.auth.models import User
from quizapp.contests.models import Attempt, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.units.models import Unit
from tests.attempt_support import (
    API,
    CLOSES,
    DURING,
    OPENS,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    simple_questions,
)
from tests.conftest import PASSWORD, Accounts, csrf_token
from tests.judging.test_locking import after_close, judge_of, lock

QUESTIONS = 4


@dataclass
class Person:
    user_id: int
    phone: str
    name: str
    id_number: str
    attempt_ids: list[int]


@dataclass
class Scene:
    locked_round: int
    open_round: int
    practice_round: int
    people: dict[str, Person]


def build(app, tmp_path) -> Scene:
    install_clock(app)
    import_bank(app, tmp_path, "bank-xoa", simple_questions("xoa", QUESTIONS))
    first = round_definition(1, bank="bank-xoa", count=QUESTIONS) | {"awards": [{"name": "Giải Nhất", "count": 1}]}
    second = round_definition(2, bank="bank-xoa", count=QUESTIONS, closes=CLOSES + timedelta(days=60))
    practice = round_definition(3, bank="bank-xoa", count=QUESTIONS, practice=True,
                                closes=OPENS + timedelta(hours=1))
    locked_round, open_round, practice_round = load_contest(app, tmp_path, "xoa-du-lieu", [first, second, practice])
    accounts = Accounts(app, app.test_client())
    # Phones, names and ID numbers no other test uses: searched for in the whole database.
    specs = {
        "winner": ("0977100201", "Hoàng Thị Quán Quân", "001077100201", [(locked_round, 4, 60_000)]),
        "leaver": ("0977100202", "Trịnh Xuân Rời Đi", "001077100202", [(locked_round, 3, 61_000),
                                                                       (practice_round, 2, 30_000)]),
        "other": ("0977100203", "Lê Văn Ở Lại", "001077100203", [(locked_round, 2, 62_000)]),
        "still_playing": ("0977100204", "Phan Thị Đang Thi", "001077100204", [(locked_round, 1, 63_000),
                                                                              (open_round, 2, 64_000)]),
        "practice_only": ("0977100205", "Vũ Văn Luyện Tập", "001077100205", [(practice_round, 1, 20_000)]),
    }
    people = {}
    with app.app_context():
        unit = Unit(code="DV-XOA-1", name="Đơn vị Thử Nghiệm Xoá")
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    for key, (phone, name, id_number, taken) in specs.items():
        user_id = accounts.create("taker", phone, full_name=name, id_number=id_number,
                                  birth_date=date(1990, 1, 2), gender="female", participant_group="Công chức")
        with app.app_context():
            db.session.get(User, user_id).unit_id = unit_id
            ids = []
            for round_id, correct, duration in taken:
                attempt = Attempt(round_id=round_id, user_id=user_id, number=1, max_attempts=3, status="submitted",
                                  started_at=DURING, deadline=DURING + timedelta(minutes=10),
                                  submitted_at=DURING + timedelta(milliseconds=duration), question_count=QUESTIONS,
                                  correct_count=correct, duration_ms=duration, device_id=f"dev{phone}",
                                  start_ip="203.0.113." + phone[-2:])
                db.session.add(attempt)
                db.session.flush()
                ids.append(attempt.id)
            db.session.commit()
        people[key] = Person(user_id, phone, name, id_number, ids)
    with app.app_context():
        leaver, other = people["leaver"], people["other"]
        # Evidence that names the leaver: on their own attempt, and on another person's.
        db.session.add(Flag(round_id=locked_round, attempt_id=leaver.attempt_ids[0], user_id=leaver.user_id,
                            kind="burst_ip", evidence={"ip": "203.0.113.02", "accounts_starting": 2}))
        db.session.add(Flag(round_id=locked_round, attempt_id=other.attempt_ids[0], user_id=other.user_id,
                            kind="duplicate_person", decision="cleared",
                            evidence={"other_accounts": [{"user_id": leaver.user_id, "phone": leaver.phone}]}))
        # An admin's earlier change to the account, and events elsewhere that quote the person:
        # searches by phone and by name, a judge's reason, and the person's time as a judge of the contest.
        audit.record("user.updated", "user", leaver.user_id, before={"full_name": "Trịnh Xuân Cũ"},
                     after={"full_name": leaver.name, "phone": leaver.phone})
        audit.personal_data_viewed("admin.users", "users", "*", page=1, search=leaver.phone)
        audit.personal_data_viewed("judging.ranking", "round", locked_round, page=1, search=leaver.name)
        audit.personal_data_viewed("judging.ranking", "round", locked_round, page=1, search=other.name)
        audit.record("attempt.disqualified", "attempt", leaver.attempt_ids[0], before={"disqualified": False},
                     after={"disqualified": True, "reason": f"Trùng với {leaver.phone}"})
        contest_id = db.session.get(Round, locked_round).contest_id
        audit.record("contest.staff_removed", "contest", contest_id,
                     before={"contest": "cu", "phone": leaver.phone, "role": "judge"}, subject=leaver.user_id)
        db.session.commit()
    return Scene(locked_round, open_round, practice_round, people)


def lock_first_round(app, scene: Scene):
    after_close(app)
    judge = judge_of(app, scene.locked_round)
    response = lock(judge, scene.locked_round)
    assert response.status_code == 200
    return judge


def api_client(app, person: Person, password: str = PASSWORD):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(f"{API}/login", json={"phone": person.phone, "password": password},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    return client, response.get_json()["csrf_token"]


def delete_me(client, token: str, password: str = PASSWORD):
    return client.delete(f"{API}/me", json={"password": password}, headers={"X-CSRFToken": token})


def needles(person: Person) -> list[str]:
    """What must appear nowhere once the person is erased (the folded name too)."""
    from quizapp.text import fold
    return [person.phone, person.name, person.id_number, fold(person.name)]


def found_in_columns(values: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) where a text, JSON or binary column of any table holds one
    of ``values`` (JSON also as \\u escapes, binary as UTF-8)."""
    found = []
    connection = db.session.connection()
    tables = set(inspect(connection).get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            continue
        for column in table.columns:
            if isinstance(column.type, LargeBinary):
                # Few rows hold bytes (snapshots, job files): read them whole.
                blobs = [blob for blob in connection.scalars(select(column)) if blob]
                found += [(table.name, column.name, value) for value in values
                          if any(value.encode() in bytes(blob) for blob in blobs)]
                continue
            if not isinstance(column.type, String | Text | JSON):
                continue
            for value in values:
                forms = [cast(column, Text).contains(form, autoescape=True)
                         for form in {value, json.dumps(value)[1:-1]}]
                if connection.execute(select(literal(1)).select_from(table).where(or_(*forms)).limit(1)).first():
                    found.append((table.name, column.name, value))
    return found


def sqlite_bytes() -> bytes | None:
    """The SQLite file's bytes and its write-ahead log's (None on PostgreSQL)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    return file_bytes(url.database, url.database + "-wal")


def file_bytes(*paths: str) -> bytes:
    """The files' bytes (those that exist), read by a child process.

    Never by this one: closing any descriptor of a file drops every POSIX lock the process
    holds on it, the locks of its open SQLite connections included (SQLite's documentation,
    "How To Corrupt An SQLite Database File", 2.2). The suite's database is shared by
    every test, and the gunicorn workers and job workers that later tests start would then
    write to it as if this process had let go: seen as "disk I/O error" and a malformed file.
    """
    existing = [path for path in paths if os.path.exists(path)]
    if not existing:
        return b""
    return subprocess.run(["cat", *existing], capture_output=True, check=True).stdout  # noqa: S603, S607


def user(user_id: int) -> User:
    return db.session.scalar(select(User).where(User.id == user_id))
