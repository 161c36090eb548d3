"""The quiz-contest platform: an application factory that reads like a table of contents."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

import redis
from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from quizapp.config import DEFAULTS, from_environment, load_secret_key, public_url

# openpyxl writes and parses through lxml whenever lxml is installed (python-docx brings it),
# and its lxml writer stores a carriage return raw, which comes back as a line feed: a name in a
# judges' export would not read back as written. Keep openpyxl on its own writer, as before.
os.environ.setdefault("OPENPYXL_LXML", "False")
from quizapp.extensions import csrf, db, limiter, login_manager, migrate


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path(test_config))
    configure(app, test_config)
    register_logging(app)
    register_input_bounds(app)
    app.json.sort_keys = False  # keep fields in the order DESIGN §5 lists them
    app.json.ensure_ascii = False  # Vietnamese as UTF-8: half the bytes of \u escapes over 3G
    register_extensions(app)
    register_features(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_commands(app)
    register_template_helpers(app)
    register_static_files(app)
    register_middleware(app)
    return app


def instance_path(test_config: Mapping[str, object] | None) -> str | None:
    """This host's own folder (its SQLite file, generated secret key): ``INSTANCE_PATH`` from the
    environment or the test's mapping, else Flask's ``instance/`` beside the package. Two
    instances on one machine, or a systemd unit, give each its own."""
    source = from_environment(os.environ) if test_config is None else test_config
    configured = source.get("INSTANCE_PATH")
    return os.path.abspath(str(configured)) if configured else None


def configure(app: Flask, test_config: Mapping[str, object] | None) -> None:
    """Defaults, then the environment (or the mapping a test passes), then derived keys."""
    os.makedirs(app.instance_path, exist_ok=True)
    settings = dict(DEFAULTS)
    settings.update(from_environment(os.environ) if test_config is None else test_config)
    app.config.update(settings)

    app.config["SECRET_KEY"] = load_secret_key(settings, app.instance_path)
    app.config["PUBLIC_URL"] = public_url(settings.get("PUBLIC_URL"))
    database_url = database_url_for(settings.get("DATABASE_URL"), app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    if database_url.startswith("postgresql"):
        # No ping before every checkout (a round trip on each answer saved): a connection the
        # server dropped fails once, SQLAlchemy then replaces the whole pool; recycle old ones.
        # A server that does not answer is an outage (503) after a few seconds, not a worker
        # held until the kernel gives up on the connection.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
            "pool_recycle": 1800,
            "connect_args": {"connect_timeout": int(settings["DATABASE_CONNECT_TIMEOUT"])},
        })

    https = bool(settings.get("HTTPS"))
    app.config.update(
        SESSION_COOKIE_NAME="quizapp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PREFERRED_URL_SCHEME="https" if https else "http",
        PERMANENT_SESSION_LIFETIME=timedelta(days=int(settings["SESSION_DAYS"])),
        # The cookie is re-signed only when the session changes, not on every answer saved.
        SESSION_REFRESH_EACH_REQUEST=False,
        # A taker may keep a page open for a whole timed attempt: the token lives as long
        # as the signed session instead of expiring after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=https,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )

    redis_url = settings.get("REDIS_URL")
    app.config.update(
        RATELIMIT_STORAGE_URI=redis_url or "memory://",
        # A Redis that stops answering must cost a request half a second, not hang it.
        RATELIMIT_STORAGE_OPTIONS={"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if redis_url else {},
        RATELIMIT_STRATEGY="moving-window",
        # Only a 429 carries Retry-After (errors.py), not every limited response.
        RATELIMIT_HEADERS_ENABLED=False,
        # If Redis goes away takers keep being served, limited per process meanwhile.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    app.config.setdefault("RATELIMIT_ENABLED", True)


def database_url_for(configured: object, instance_path: str) -> str:
    if not configured:
        return "sqlite:///" + os.path.join(instance_path, "quizapp.db")
    url = str(configured)
    # The project ships psycopg 3; accept the URLs hosting providers hand out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def register_logging(app: Flask) -> None:
    """The app's log, and Flask-Limiter's, in one place whatever server runs the app."""
    from quizapp import logs

    logs.init_app(app)


def register_input_bounds(app: Flask) -> None:
    """What a client may send (quizapp/inputs.py); before any route exists or JSON is read,
    since routes bind their converters when they are added."""
    from quizapp import inputs

    inputs.init_app(app)


def register_extensions(app: Flask) -> None:
    from quizapp.sessions import CachedCookieSessionInterface

    app.session_interface = CachedCookieSessionInterface()
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        # SQLite can only alter tables by copying them; batch mode does that for us.
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    # Imported for its user loader and unauthorised handler.
    from quizapp.auth import session as _session  # noqa: F401

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))

    redis_url = app.config.get("REDIS_URL")
    app.extensions["quizapp.redis"] = (
        redis.Redis.from_url(str(redis_url), socket_timeout=1, socket_connect_timeout=1)
        if redis_url
        else None
    )
    from quizapp import pressure

    # When a protection turns people away: shared through that Redis when there is one.
    pressure.init_app(app)
    from quizapp import sms

    # Text messages (codes for password resets and phone checks): the configured backend.
    sms.init_app(app)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one worker writes; the busy timeout makes a second
        # writer wait its turn instead of failing with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def register_features(app: Flask) -> None:
    """What one feature lends another that may not import it (docs/architecture.md, Packages)."""
    from quizapp import privacy
    from quizapp.contests import access as contest_access
    from quizapp.judging import items, locking, materialised
    from quizapp.judging import jobs as judging_jobs

    # Banks sit below contests, yet the organisers of a contest see the banks it draws from.
    contest_access.init_app(app)
    # A locked round's attempts never change, whatever code tries (a guard on every flush).
    locking.init_app(app)
    # The background jobs (a base room) run judging's exports: judging registers them.
    judging_jobs.init_app(app)
    # A finished round's kept ranking is forgotten whenever one of its attempts changes.
    materialised.init_app(app)
    # The organisers' dashboard lists the questions judging's item analysis marks.
    items.init_app(app)
    from quizapp.privacy import idnumbers

    # Accounts keep ID numbers encrypted with the keys privacy holds (refused in production
    # without a key, like the secret key).
    idnumbers.init_app(app)

    # Accounts and attempts ask for consent to the privacy notice, which privacy/ owns.
    privacy.init_app(app)


def register_blueprints(app: Flask) -> None:
    from quizapp.admin.routes import bp as admin_bp
    from quizapp.api import attempts as _attempt_routes  # noqa: F401 - adds its routes to the api blueprint
    from quizapp.api import units as _unit_routes  # noqa: F401 - adds its route to the api blueprint
    from quizapp.api.routes import bp as api_bp
    from quizapp.attempts.routes import bp as attempts_bp
    from quizapp.attempts.routes import mine as my_results_bp
    from quizapp.auth.routes import bp as auth_bp
    from quizapp.banks.picture_routes import bp as pictures_bp
    from quizapp.banks.routes import bp as banks_bp
    from quizapp.contests import dashboard_routes as _dashboard  # noqa: F401 - adds its route to contests
    from quizapp.contests import organiser as _organiser  # noqa: F401 - adds its routes to contests
    from quizapp.contests.blueprint import bp as contests_bp
    from quizapp.health import bp as health_bp
    from quizapp.judging import item_routes as _items  # noqa: F401 - adds its routes to the judging blueprint
    from quizapp.judging import summary as _summary  # noqa: F401 - adds its route to the judging blueprint
    from quizapp.judging.certificates.routes import bp as certificates_bp
    from quizapp.judging.public import bp as results_bp
    from quizapp.judging.routes import bp as judging_bp
    from quizapp.main.routes import bp as main_bp
    from quizapp.privacy.deletion_routes import api_bp as privacy_deletion_api_bp
    from quizapp.privacy.deletion_routes import bp as privacy_deletion_bp
    from quizapp.privacy.mydata_routes import bp as mydata_bp
    from quizapp.privacy.routes import api_bp as privacy_api_bp
    from quizapp.privacy.routes import bp as privacy_bp
    from quizapp.units.routes import bp as units_bp

    for blueprint in (main_bp, auth_bp, banks_bp, contests_bp, attempts_bp, my_results_bp, results_bp, judging_bp,
                      certificates_bp,
                      units_bp, admin_bp, api_bp, health_bp, pictures_bp, mydata_bp, privacy_deletion_bp,
                      privacy_deletion_api_bp, privacy_bp, privacy_api_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from quizapp.errors import register_errorhandlers as register

    register(app)


def register_security(app: Flask) -> None:
    from quizapp import devices
    from quizapp.security import init_app

    init_app(app)
    devices.init_app(app)


def register_commands(app: Flask) -> None:
    from quizapp import backup
    from quizapp.cli import init_app
    from quizapp.privacy import commands as privacy_commands

    init_app(app)
    backup.init_app(app)
    privacy_commands.init_app(app)


def register_middleware(app: Flask) -> None:
    from quizapp.api.answer_lane import AnswerSaveLane

    app.wsgi_app = AnswerSaveLane(app, app.wsgi_app)
    # Outermost, so every layer inside sees the client's address and scheme.
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_static_files(app: Flask) -> None:
    """Versioned static URLs, so nginx may cache them for a year, /favicon.ico and /sw.js."""
    from quizapp import staticfiles

    staticfiles.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from quizapp import clock, formatting
    from quizapp.auth.models import ROLE_LABELS

    # Compact HTML: takers pay for every byte over 3G.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Times as a contest's (or the installation's) clocks show them, with the zone in words.
    app.jinja_env.globals.update(ROLE_LABELS=ROLE_LABELS, local_time=clock.local_time,
                                 labelled_time=clock.labelled_time)
    # Numbers as Vietnamese write them: 1.234 and 12,5 %; sizes as 64 MB; zones as "giờ Việt Nam".
    app.jinja_env.filters.update(number=formatting.number, percent=formatting.percent, size=formatting.size_text,
                                 decimal=formatting.decimal, seconds=formatting.seconds_text,
                                 zone_label=formatting.zone_label)
