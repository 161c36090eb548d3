"""The app's log: one place for the app's own messages and Flask-Limiter's, whatever runs the app.

The app's logger ("quizapp", with the answer-save lane's warnings, which run before Flask, and
whatever background threads log) and Flask-Limiter's ("flask-limiter": falling back to in-memory
storage when Redis goes away, and recovering) share one handler instead of Flask's default, which
writes to the WSGI server's error stream inside a request and to stderr outside one. That handler
writes to ``LOG_FILE`` when set (a ``WatchedFileHandler``, reopened when logrotate moves the file),
else to standard error, in gunicorn's error-log format with the logger's name added, so that
gunicorn's ``errorlog`` pointed at the same place (deploy/) reads as one log. It does not depend
on gunicorn: ``flask run``, the command line and a background worker log the same way.

Loggers are global to the process, and a process serves one app: the last app built sets the
handler (tests build many apps; they share one).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from flask import Flask
from flask.logging import default_handler

FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
# Flask-Limiter's logger (flask_limiter/_extension.py): storage fallback and recovery.
LIMITER_LOGGER = "flask-limiter"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each message (a test's capture,
    gunicorn's redirected stream), never to a stream that was closed since."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def handler_for(app: Flask) -> logging.Handler:
    path = app.config.get("LOG_FILE")
    handler: logging.Handler
    if path:
        handler = logging.handlers.WatchedFileHandler(str(path), encoding="utf-8")
    else:
        handler = StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.quizapp_log = True  # type: ignore[attr-defined] - found and replaced by the next app built
    return handler


def init_app(app: Flask) -> None:
    handler = handler_for(app)
    level = "DEBUG" if app.debug else str(app.config.get("LOG_LEVEL") or "INFO").upper()
    for logger in (app.logger, logging.getLogger(LIMITER_LOGGER)):
        for old in [h for h in logger.handlers if getattr(h, "quizapp_log", False) or h is default_handler]:
            logger.removeHandler(old)
            if old is not default_handler:
                old.close()
        logger.addHandler(handler)
        logger.setLevel(level)
