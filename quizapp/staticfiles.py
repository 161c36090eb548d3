"""Versioned static URLs and the site's icon.

In production nginx serves ``/static/`` itself with a year's ``immutable`` cache
(deploy/nginx/quizapp-server.conf), so a phone on 3G never asks for the stylesheet or a script
again. That is safe only if a changed file gets a new URL: every ``url_for('static', ...)``
therefore carries ``?v=`` and the first 12 hex digits of the file's SHA-256, computed once when
the app is built (files do not change under a running app; a deploy restarts it). Flask's own
static route ignores the query, so ``make run`` serves the same URLs.

``/favicon.ico`` is answered here too (nginx answers it before the app in production), so
browsers that ask for it by that name get the icon instead of a 404.

So is ``/sw.js``, the takers' service worker (static/sw.js; nginx serves it the same way in
production). A worker's scope can be no wider than its script's folder, and the worker must
cover /contests/, so it is served at the root, never cached for long (``no-cache``: a browser
checks it for updates). Its URL carries the version of the whole static folder (``?v=``), so a
deploy that changes the offline page or any shell file gives the worker a new URL, and the
browser installs it and drops the old cache.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, current_app, send_from_directory

VERSION_ARG = "v"
FAVICON = "favicon.ico"
# Browsers ask for /favicon.ico by that fixed name, so it cannot be versioned: a day's cache.
FAVICON_MAX_AGE = 24 * 3600
SERVICE_WORKER = "sw.js"


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


def folder_version(versions: dict[str, str]) -> str:
    """One version for the whole static folder: it changes when any file does."""
    listing = "\n".join(f"{name} {version}" for name, version in sorted(versions.items()))
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    versions = file_versions(app.static_folder)
    app.extensions["quizapp.static_versions"] = versions
    shell_version = folder_version(versions)

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict[str, object]) -> None:
        if VERSION_ARG in values:
            return
        if endpoint == "static":
            version = versions.get(str(values.get("filename", "")))
            if version:
                values[VERSION_ARG] = version
        elif endpoint == "service_worker":
            values[VERSION_ARG] = shell_version

    app.add_url_rule(f"/{FAVICON}", "favicon", favicon)
    app.add_url_rule(f"/{SERVICE_WORKER}", "service_worker", service_worker)


def favicon():
    return send_from_directory(current_app.static_folder, FAVICON, max_age=FAVICON_MAX_AGE)


def service_worker():
    response = send_from_directory(current_app.static_folder, SERVICE_WORKER, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
