"""Configuration from the environment, and the secret-key rules."""

from __future__ import annotations

import os

import pytest

from quizapp import create_app, database_url_for
from quizapp.config import from_environment, load_secret_key


def test_environment_overrides_are_parsed():
    config = from_environment({
        "QUIZAPP_REDIS_URL": "redis://r:6379/2", "QUIZAPP_TRUSTED_PROXIES": "1",
        "QUIZAPP_HTTPS": "true", "QUIZAPP_EMPTY": "", "OTHER": "x",
    })
    assert config == {"REDIS_URL": "redis://r:6379/2", "TRUSTED_PROXIES": 1, "HTTPS": True}


def test_create_app_reads_the_environment(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("QUIZAPP_DATABASE_URL", database_url)
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("QUIZAPP_PASSWORD_MIN_LENGTH", "10")
    app = create_app()
    assert app.config["PASSWORD_MIN_LENGTH"] == 10
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url_for(database_url, "")


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    for key in (None, "", "dev", "short-key"):
        with pytest.raises(RuntimeError, match="QUIZAPP_SECRET_KEY"):
            load_secret_key({"ENV": "production", "SECRET_KEY": key}, str(tmp_path))
    assert not (tmp_path / "secret_key").exists()
    strong = "x" * 48
    assert load_secret_key({"ENV": "production", "SECRET_KEY": strong}, str(tmp_path)) == strong


def test_production_app_factory_refuses_a_missing_key(monkeypatch):
    monkeypatch.delenv("QUIZAPP_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="QUIZAPP_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_embedded_default_generates_a_key_once(tmp_path):
    first = load_secret_key({"ENV": "development"}, str(tmp_path))
    second = load_secret_key({"ENV": "development"}, str(tmp_path))
    assert first == second and len(first) >= 32
    assert os.stat(tmp_path / "secret_key").st_mode & 0o077 == 0


def test_a_weak_key_is_refused_everywhere(tmp_path):
    with pytest.raises(RuntimeError, match="too weak"):
        load_secret_key({"ENV": "development", "SECRET_KEY": "abc"}, str(tmp_path))


@pytest.mark.parametrize(("given", "expected"), [
    (None, "sqlite:////srv/instance/quizapp.db"),
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_urls(given, expected):
    assert database_url_for(given, "/srv/instance") == expected


@pytest.mark.parametrize("bad", ["thi.example.vn", "ftp://thi.example.vn", "https://", "https://thi.example.vn/thi",
                                 "https://thi.example.vn/?a=1", "https://user@thi.example.vn", 42])
def test_a_public_url_that_is_not_an_absolute_http_url_is_refused_at_start(make_app, bad):
    # Share links and QR codes are printed on posters: a wrong base must stop the start.
    with pytest.raises(RuntimeError, match="QUIZAPP_PUBLIC_URL"):
        make_app(PUBLIC_URL=bad)


def test_a_public_url_is_kept_without_its_trailing_slash(make_app):
    assert make_app(PUBLIC_URL="https://thi.example.vn:8443/").config["PUBLIC_URL"] == "https://thi.example.vn:8443"
    assert make_app().config["PUBLIC_URL"] is None


def test_each_instance_keeps_its_own_folder(monkeypatch, tmp_path):
    """Two instances on one machine (tests/test_two_hosts.py, systemd units) share no files:
    QUIZAPP_INSTANCE_PATH moves the generated key and the embedded SQLite database."""
    monkeypatch.delenv("QUIZAPP_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUIZAPP_SECRET_KEY", raising=False)
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path / "a"))
    first = create_app()
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path / "b"))
    second = create_app()

    assert first.instance_path == str(tmp_path / "a")
    assert first.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "a" / "quizapp.db")
    assert second.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "b" / "quizapp.db")
    assert (tmp_path / "a" / "secret_key").read_text() != (tmp_path / "b" / "secret_key").read_text()
