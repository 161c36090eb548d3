"""deploy/gunicorn.conf.py: each instance's own control socket, and the worker count the app is told."""

from __future__ import annotations

import gc
import os
import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.delenv("QUIZAPP_WEB_WORKERS", raising=False)
    return runpy.run_path(str(CONFIG))


class FakeArbiter:
    """What gunicorn's hooks read of its arbiter: the settings and the current worker count."""

    def __init__(self, *arguments: str) -> None:
        self.cfg = Config()
        for name, value in runpy.run_path(str(CONFIG)).items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)
        parser = self.cfg.parser()
        for name, value in vars(parser.parse_args(list(arguments))).items():
            if value is not None and name in self.cfg.settings:
                self.cfg.set(name, value)
        self.num_workers = self.cfg.workers


def test_control_socket_sits_beside_the_unix_socket(settings):
    arbiter = FakeArbiter("--bind", "unix:/run/quizapp/gunicorn.sock")
    settings["on_starting"](arbiter)
    assert arbiter.cfg.control_socket == "/run/quizapp/gunicorn.ctl"


def test_two_tcp_instances_get_two_control_sockets(settings):
    first, second = FakeArbiter("--bind", "127.0.0.1:8000"), FakeArbiter("--bind", "127.0.0.1:8001")
    for arbiter in (first, second):
        settings["on_starting"](arbiter)
    assert first.cfg.control_socket != second.cfg.control_socket
    assert first.cfg.control_socket.endswith("gunicorn-127.0.0.1-8000.ctl")


def test_a_chosen_control_socket_is_kept(settings, tmp_path):
    chosen = str(tmp_path / "mine.ctl")
    arbiter = FakeArbiter("--bind", "unix:/run/quizapp/gunicorn.sock", "--control-socket", chosen)
    settings["on_starting"](arbiter)
    assert arbiter.cfg.control_socket == chosen


def test_the_app_is_told_how_many_workers_serve_it(settings, monkeypatch):
    monkeypatch.setenv("QUIZAPP_WEB_WORKERS", "99")
    arbiter = FakeArbiter("--workers", "3")
    settings["on_starting"](arbiter)
    assert os.environ["QUIZAPP_WEB_WORKERS"] == "3"
    # A worker added at run time (gunicornc "worker add", TTIN) is forked with the new count.
    arbiter.num_workers = 4
    settings["pre_fork"](arbiter, None)
    assert os.environ["QUIZAPP_WEB_WORKERS"] == "4"


def test_workers_default_to_two_per_core_plus_one(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(CONFIG))["workers"] == 2 * (os.cpu_count() or 1) + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(CONFIG))["workers"] == 3


def test_a_worker_collects_garbage_less_often_and_never_walks_the_loaded_app(settings):
    before = gc.get_threshold()
    try:
        settings["post_worker_init"](None)
        assert gc.get_threshold()[0] == settings["GC_FIRST_GENERATION"] > before[0]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
