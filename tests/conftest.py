"""Fixtures: a real database (SQLite, or PostgreSQL when QUIZAPP_DATABASE_URL names one)
built by the migrations, a real Redis, and a clean database for every test.

The suite never touches the database that QUIZAPP_DATABASE_URL names: on PostgreSQL it
creates a database of its own on that server and drops it at the end. With no
QUIZAPP_REDIS_URL it starts a throwaway Redis server; with one, each test uses its own key
prefix instead of flushing anything.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from quizapp import create_app, database_url_for
from quizapp.auth import services as accounts
from quizapp.auth.terms import on_paper
from quizapp.extensions import db, limiter
from quizapp.localredis import LocalRedis
from quizapp.privacy.models import Consent
from quizapp.privacy.notice import VERSION as NOTICE_VERSION

# What a registration sends to consent to the current privacy notice (quizapp/privacy).
CONSENT = {"consent_version": NOTICE_VERSION}
PASSWORD = "matkhau-123"
# The suite's own password-hashing slots (quizapp/slots.py), so a test that takes them all
# never meets, or starves, a server or another suite running on the same machine.
HASH_SLOTS_DIR = tempfile.mkdtemp(prefix="quizapp-test-slots-")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# The suite's key for ID numbers at rest (quizapp/privacy/idnumbers.py); a Fernet key.
TEST_ID_NUMBER_KEY = "JU3Rmy1432FJk6uZpUKNbOAgrDi-KGCh6fpGPQB0yUE="
# For tests of other rules that make many requests as one person in a minute.
GENEROUS_LIMITS = {
    "RATELIMIT_START_PER_ACCOUNT": "1000 per minute",
    "RATELIMIT_SAVE_PER_ACCOUNT": "10000 per minute",
    "RATELIMIT_SUBMIT_PER_ACCOUNT": "1000 per minute",
}


# --- databases --------------------------------------------------------------------------


def _server_url(url: str) -> str:
    return database_url_for(url, "")


def create_postgres_database(server_url: str) -> str:
    """Create an empty database on the server of ``server_url``; return its URL."""
    url = make_url(_server_url(server_url))
    name = f"quizapp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def new_database(tmp_path_factory) -> Iterator[callable]:
    """A factory of fresh, empty databases of the kind this run tests against."""
    configured = os.environ.get("QUIZAPP_DATABASE_URL", "")
    made: list[str] = []

    def make() -> str:
        if configured.startswith(("postgres://", "postgresql")):
            url = create_postgres_database(configured)
        else:
            url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "quizapp.db")
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_url(new_database) -> str:
    """The suite's database, built once by the migrations as `flask db upgrade` would."""
    url = new_database()
    app = create_app(base_config(url, None))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


# --- redis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    configured = os.environ.get("QUIZAPP_REDIS_URL")
    if configured:
        yield configured
        return
    with LocalRedis(directory=str(tmp_path_factory.mktemp("redis"))) as server:
        yield server.url


# --- the app ----------------------------------------------------------------------------


def base_config(database_url: str, redis_url: str | None) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "ID_NUMBER_KEYS": [TEST_ID_NUMBER_KEY],
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Cheap hashes: the suite creates hundreds of accounts.
        "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST_KIB": 8,
        "PASSWORD_HASH_SLOTS_DIR": HASH_SLOTS_DIR,
        # Admission control sheds starts beyond a rate per second; a test that starts hundreds
        # of attempts in a loop runs faster than that on a quick machine. test_admission.py
        # sets the cap it tests; everywhere else it is off.
        "ADMISSION_STARTS_PER_SECOND": 0,
    }


@pytest.fixture(scope="session")
def suite_engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app(database_url, redis_url, suite_engine) -> Iterator[callable]:
    """Build apps on the suite's database; extra keys override the test config.

    Rate-limit counters start from zero in every test: the limiter is one object per
    process (as in production, where a process serves one app), so it is reset here.
    """
    apps: list[Flask] = []

    def make(**overrides: object) -> Flask:
        # A test that pointed the limiter at a dead Redis leaves it counting in memory until
        # its next backend check, seconds later; the next test's app starts on live storage.
        limiter._storage_dead = False
        app = create_app({**base_config(database_url, redis_url), **overrides})
        if not apps and "REDIS_URL" not in overrides:
            with app.app_context():
                limiter.reset()
                # And the protections' episodes (quizapp/pressure.py) kept beside the limits.
                client = app.extensions.get("quizapp.redis")
                if client is not None:
                    for key in client.scan_iter(f"{app.config['RATELIMIT_KEY_PREFIX']}:pressure:*"):
                        client.delete(key)
        apps.append(app)
        return app

    yield make
    # Every app's logger is the one "quizapp" logger: a test that silenced it must not silence
    # the next test's.
    logging.getLogger("quizapp").disabled = False
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        # Its Redis connections too: left to the garbage collector, they close with a
        # ResourceWarning whenever a collection happens to run, failing whichever test is running.
        client = app.extensions.get("quizapp.redis")
        if client is not None:
            client.close()
    clean_database(suite_engine)


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


def clean_database(engine) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- helpers ----------------------------------------------------------------------------


def csrf_token(client) -> str:
    return client.get("/api/v1/session").get_json()["csrf_token"]


class Accounts:
    """Make accounts and sign in as them, through the real pages."""

    # Shared by every helper, so two clients in one test never pick the same phone.
    _phones = itertools.count(912000001)

    def __init__(self, app: Flask, client) -> None:
        self.app = app
        self.client = client

    def create(self, role: str = "taker", phone: str | None = None, *, consent: bool = True, **fields) -> int:
        """An account, with consent to the current privacy notice on record (as `flask users
        create` records it) unless ``consent`` is False: an account from before the notice."""
        if phone is None:
            phone = f"0{next(self._phones)}"
        with self.app.app_context():
            # An account from before the notice got its birth date with no guardian asked.
            birth_date = fields.pop("birth_date", None) if not consent else None
            user = accounts.register_user(
                phone=phone, password=fields.pop("password", PASSWORD),
                full_name=fields.pop("full_name", f"Người dùng {role}"), role=role, consent=on_paper(), **fields,
            )
            if not consent:
                db.session.execute(delete(Consent).where(Consent.user_id == user.id))
                user.consent_version, user.birth_date = None, birth_date
            db.session.commit()
            return user.id

    def login(self, phone: str, password: str = PASSWORD):
        return self.client.post(
            "/auth/login",
            data={"phone": phone, "password": password, "csrf_token": csrf_token(self.client)},
        )

    def login_as(self, role: str = "taker", *, contest: int | str | None = None, round_id: int | None = None):
        """Sign in as a new account with ``role``; with ``contest`` (id or slug) or ``round_id``,
        that account also holds ``role`` in that contest (contests.access)."""
        phone = f"0{next(self._phones)}"
        user_id = self.create(role, phone)
        if contest is not None or round_id is not None:
            self.assign(user_id, role, contest=contest, round_id=round_id)
        response = self.login(phone)
        assert response.status_code == 302, response.get_data(as_text=True)
        return phone

    def assign(self, user_id: int, role: str, *, contest: int | str | None = None, round_id: int | None = None):
        """Give an account a role in a contest, as one of its organisers would."""
        from sqlalchemy import select

        from quizapp.contests.models import Contest, ContestStaff, Round

        with self.app.app_context():
            if round_id is not None:
                contest_id = db.session.get(Round, round_id).contest_id
            elif isinstance(contest, str):
                contest_id = db.session.scalar(select(Contest.id).where(Contest.slug == contest))
            else:
                contest_id = contest
            db.session.add(ContestStaff(contest_id=contest_id, user_id=user_id, role=role))
            db.session.commit()

    def logout(self):
        return self.client.post("/auth/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture
def auth(app, client) -> Accounts:
    return Accounts(app, client)


@pytest.fixture
def user_count(app):
    from sqlalchemy import func, select

    from quizapp.auth.models import User

    def count() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(User))

    return count
