"""Personal data as Law 91/2025/QH15 asks (issue 19): the privacy notice and consent on record
(``notice``, ``consent``), and what the other parts of the issue add beside them.

Sits above the API in the import contracts: it reaches into accounts and attempts, and hands
accounts what registration must ask (``auth.terms``) when the app is built."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from quizapp.privacy import consent

    consent.init_app(app)
