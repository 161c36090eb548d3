"""Personal data as Vietnam's Personal Data Protection Law (91/2025/QH15) asks (issue 19, DESIGN
§3 rule 7).

Above every feature in the import contracts: it reaches into accounts, attempts, flags, judging
and the audit log, and hands accounts what registration must ask (``auth.terms``) when the app
is built. Each module holds one part: notice.py and consent.py (the privacy notice and consent on
record), idnumbers.py (ID numbers encrypted at rest), mydata.py (what a person may see and
download), erasure.py (erasing a person's data, used by account deletion and by the retention
purge), purge.py."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from quizapp.jobs.daily import register_daily
    from quizapp.privacy import consent
    from quizapp.privacy.purge import daily_purge

    consent.init_app(app)
    # The background worker runs the retention purge once a day at PRIVACY_PURGE_AT.
    register_daily(app, "privacy_purge", daily_purge, setting="PRIVACY_PURGE_AT")
