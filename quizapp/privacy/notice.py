"""The privacy notice shown at registration and on /privacy (DESIGN §3 rule 7, §5 GET /privacy).

The text is templates/privacy/notice.txt; its version is ``VERSION`` here. Changing the text
means bumping the version in the same commit, and every account is then asked to consent
again: tests/privacy/test_notice.py holds the text's digest beside the version, and fails when
the text changes while the version stays.
"""

from __future__ import annotations

from flask import current_app, render_template

VERSION = "2026-12-07.1"


def notice() -> dict[str, object]:
    """The notice as GET /api/v1/privacy returns it, with the configured values filled in."""
    config = current_app.config
    controller = str(config["PRIVACY_CONTROLLER"])
    retention_days = int(config["PRIVACY_RETENTION_DAYS"])
    text = render_template("privacy/notice.txt", controller=controller, contact=config["PRIVACY_CONTACT"],
                           retention_days=retention_days)
    return {"version": VERSION, "controller": controller, "text": text, "retention_days": retention_days}
