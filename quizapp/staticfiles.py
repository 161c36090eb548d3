"""Versioned static URLs and the site's icon.

In production nginx serves ``/static/`` itself with a year's ``immutable`` cache
(deploy/nginx/quizapp-server.conf), so a phone on 3G never asks for the stylesheet or a script
again. That is safe only if a changed file gets a new URL: every ``url_for('static', ...)``
therefore carries ``?v=`` and the first 12 hex digits of the file's SHA-256, computed once when
the app is built (files do not change under a running app; a deploy restarts it). Flask's own
static route ignores the query, so ``make run`` serves the same URLs.

``/favicon.ico`` is answered here too (nginx answers it before the app in production), so
browsers that ask for it by that name get the icon instead of a 404.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, current_app, send_from_directory

VERSION_ARG = "v"
FAVICON = "favicon.ico"
# Browsers ask for /favicon.ico by that fixed name, so it cannot be versioned: a day's cache.
FAVICON_MAX_AGE = 24 * 3600


def file_versions(folder: str | None) -> dict[str, str]:
    """Every file under ``folder`` (by its URL path, with "/") and its version."""
    versions: dict[str, str] = {}
    if not folder or not os.path.isdir(folder):
        return versions
    for directory, _subdirectories, files in os.walk(folder):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            versions[os.path.relpath(path, folder).replace(os.sep, "/")] = digest[:12]
    return versions


def init_app(app: Flask) -> None:
    versions = file_versions(app.static_folder)
    app.extensions["quizapp.static_versions"] = versions

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict[str, object]) -> None:
        if endpoint == "static" and VERSION_ARG not in values:
            version = versions.get(str(values.get("filename", "")))
            if version:
                values[VERSION_ARG] = version

    app.add_url_rule(f"/{FAVICON}", "favicon", favicon)


def favicon():
    return send_from_directory(current_app.static_folder, FAVICON, max_age=FAVICON_MAX_AGE)
