"""Configuration: defaults in code, overrides from ``QUIZAPP_*`` environment variables.

Tests pass a mapping to ``create_app`` instead. Every key below may be set from the
environment by prefixing it with ``QUIZAPP_`` (``QUIZAPP_DATABASE_URL`` and
``QUIZAPP_REDIS_URL`` are the two most admins need); values are parsed as JSON when they
look like JSON (numbers, ``true``/``false``, lists), and used as strings otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

# Placeholders people paste from tutorials; production refuses them like a missing key.
_WEAK_SECRET_KEYS = {"", "dev", "secret", "changeme", "change-me", "you-will-never-guess"}
MIN_SECRET_KEY_LENGTH = 32

DEFAULTS: dict[str, object] = {
    # "production" makes the app refuse weak settings instead of inventing them.
    "ENV": "development",
    "SECRET_KEY": None,
    # Keys that encrypt ID numbers (CCCD) at rest (quizapp/privacy/idnumbers.py): a list of Fernet
    # keys, the first encrypts and every one decrypts, so a key can be rotated (README,
    # "ID numbers"). Production refuses to start without one; elsewhere one is generated once
    # and kept in instance/id_number_key.
    "ID_NUMBER_KEYS": None,
    # None means the embedded default: an SQLite file in the instance folder.
    "DATABASE_URL": None,
    # None means no shared Redis: rate limits are kept per process.
    "REDIS_URL": None,
    # Serve behind HTTPS: marks cookies Secure and sends HSTS.
    "HTTPS": False,
    # How many reverse proxies in front of the app set X-Forwarded-For (0 ignores it).
    "TRUSTED_PROXIES": 0,
    # The site's public address, scheme and host only (https://thi.example.vn): share links and
    # QR codes are built from it, never from a request's Host header. Without it they come from
    # the request outside production, and production shows none.
    "PUBLIC_URL": None,
    # This host's own folder (SQLite file, generated secret key); None: instance/ in the checkout.
    "INSTANCE_PATH": None,
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # While the database is unreachable or locked, requests get 503 with this Retry-After
    # (seconds); the phone's retry queue waits that long (quizapp/outages.py).
    "OUTAGE_RETRY_AFTER": 5,
    # PostgreSQL: give up connecting after this many seconds (a host that does not answer
    # would otherwise hold a worker until the kernel gives up, minutes later).
    "DATABASE_CONNECT_TIMEOUT": 5,
    # The app's log (quizapp/logs.py): a file (reopened when logrotate moves it) or, unset,
    # standard error; point gunicorn's errorlog at the same place.
    "LOG_FILE": None,
    "LOG_LEVEL": "INFO",
    # Argon2id cost: the cheapest here of OWASP's equivalent profiles (bench/README.md,
    # signin.py); tests lower it so thousands of hashes stay quick. Older hashes are rewritten
    # at the next successful sign-in.
    "PASSWORD_TIME_COST": 5,
    "PASSWORD_MEMORY_COST_KIB": 7168,
    "PASSWORD_PARALLELISM": 1,
    # Password hashes computed at once on this host, across every worker (quizapp/slots.py):
    # 0 = one fewer than the cores; never as many as the cores, nor as WEB_WORKERS.
    "PASSWORD_HASH_SLOTS": 0,
    # How many gunicorn workers serve this host (`make run` sets it), so that hashing never
    # holds every one of them; unknown (None) counts only the cores.
    "WEB_WORKERS": None,
    # Where the slots' lock files live (default: a directory under the system's temp dir,
    # shared by every instance the same user runs on the host).
    "PASSWORD_HASH_SLOTS_DIR": None,
    # How long a request waits for a free slot before it is answered 503 busy, and the
    # Retry-After it is given.
    "PASSWORD_HASH_WAIT_MS": 60,
    "PASSWORD_HASH_RETRY_AFTER": 1,
    "PASSWORD_MIN_LENGTH": 8,
    "SESSION_DAYS": 14,
    # Rate limits (Flask-Limiter syntax; the table is in quizapp/limits.py). Per account or
    # phone first; per IP only as a flood guard, because many honest takers share one IP.
    "RATELIMIT_LOGIN_PER_IP": "300 per minute",
    # Failed sign-ins only (auth/protection.py): per address, per phone across all addresses,
    # and a browser's own budget for an account it signed in to before.
    "RATELIMIT_LOGIN_FAILURES_PER_IP": "40 per 10 minutes",
    "RATELIMIT_LOGIN_FAILURES_PER_PHONE": "10 per 15 minutes",
    "RATELIMIT_LOGIN_FAILURES_PER_BROWSER": "10 per 15 minutes",
    # How long a browser stays trusted for an account it signed in to (quizapp_signin cookie).
    "SIGNIN_COOKIE_DAYS": 365,
    "RATELIMIT_REGISTER_PER_IP": "30 per hour",
    "RATELIMIT_UNIT_SEARCH_PER_IP": "600 per minute",
    "RATELIMIT_START_PER_ACCOUNT": "6 per minute",
    "RATELIMIT_SAVE_PER_ACCOUNT": "120 per minute",
    "RATELIMIT_SUBMIT_PER_ACCOUNT": "10 per minute",
    # Certificates made in the request (a winner's own, an organiser's sample): 30-40 ms of CPU each.
    "RATELIMIT_CERTIFICATE_PER_ACCOUNT": "20 per minute",
    "RATELIMIT_CERTIFICATE_VERIFY_PER_IP": "600 per minute",
    # Guesses at one contest's password by one account, from its page and the API alike.
    "RATELIMIT_CONTEST_PASSWORD": "10 per 10 minutes",
    # The answer-save lane reports an account's saves to Redis this many at a time (1: each).
    "RATELIMIT_SAVE_BATCH": 4,
    "RATELIMIT_KEY_PREFIX": "quizapp",
    # New attempts per second across every worker and host (0: no cap); beyond it a start
    # gets 503 with Retry-After and the phone waits and tries again.
    "ADMISSION_STARTS_PER_SECOND": 100,
    # How often a process looks for a changed units directory (units/search.py), in seconds.
    "UNIT_INDEX_CHECK_SECONDS": 5,
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    # The privacy notice (quizapp/privacy/notice.py, Law 91/2025/QH15): who controls the
    # personal data (the organising body), whom to contact about it, and how many days a
    # taker's data is kept after their last activity (registration, sign-in or attempt), once
    # every round they took part in is over: the background worker erases it then, daily at
    # PRIVACY_PURGE_AT (Vietnam's time, HH:MM), as ``flask privacy purge`` does by hand.
    "PRIVACY_CONTROLLER": "Ban Tổ chức cuộc thi (cơ quan tổ chức cuộc thi trên hệ thống này)",
    "PRIVACY_CONTACT": "Ban Tổ chức cuộc thi, qua địa chỉ liên hệ ghi trong thể lệ cuộc thi",
    "PRIVACY_RETENTION_DAYS": 730,
    "PRIVACY_PURGE_AT": "02:30",
    # Suspicion flags (flags/services.py): floors for too_fast, and thresholds for
    # shared_device and burst_ip.
    "FLAG_MIN_ANSWERED": 5,
    "FLAG_MIN_SECONDS_PER_ANSWER": 3,
    "FLAG_MIN_ATTEMPT_SECONDS": 60,
    "FLAG_SHARED_DEVICE_ACCOUNTS": 3,
    "FLAG_BURST_ACCOUNTS": 10,
    "FLAG_BURST_SECONDS": 10,
    # Saves and submits are accepted this long after an attempt's deadline (network delay).
    "ATTEMPT_GRACE_SECONDS": 5,
    # Request bodies that are parsed whole are bounded far below MAX_CONTENT_LENGTH (16 MiB,
    # for files sent with a page): a JSON body (the API's are a few hundred bytes) and a page form.
    "JSON_MAX_BYTES": 64 * 1024,
    "FORM_MAX_BYTES": 1024 * 1024,
    # The bank upload page alone (a Word bank with a few hundred pictures runs past 20 MB)
    # takes bodies up to this size; every other request keeps MAX_CONTENT_LENGTH. nginx must
    # say the same: `make run-prod` writes it into its nginx configuration, and a hand-installed
    # site changes the one line marked QUIZAPP_UPLOAD_MAX_BYTES in deploy/nginx/quizapp-server.conf.
    "UPLOAD_MAX_BYTES": 64 * 1024 * 1024,
    # A bank's .xlsx is a zip of XML: its members are checked before openpyxl reads a byte, so
    # that a 0.1 MB file holding a 300 MB cell costs nothing (banks/formats/spreadsheet.py).
    # Ratio: a member's uncompressed size over its compressed size (Excel's are about 10).
    "BANK_XLSX_MAX_MEMBERS": 1000,
    "BANK_XLSX_MAX_UNCOMPRESSED_BYTES": 64 * 1024 * 1024,
    "BANK_XLSX_MAX_COMPRESSION_RATIO": 100,
    # Cells read from the first sheet (an empty row counts as one): about 70,000 questions.
    "BANK_XLSX_MAX_CELLS": 1_000_000,
    # Upload previews kept in the database until confirmed (banks/previews.py): how long, how
    # many files (a preview with an answer key file counts two) and how many bytes in all,
    # whoever uploaded them.
    "UPLOAD_PREVIEW_SECONDS": 24 * 3600,
    "UPLOAD_PREVIEW_MAX_FILES": 100,
    "UPLOAD_PREVIEW_MAX_BYTES": 256 * 1024 * 1024,
    # Background jobs (quizapp/jobs): the RQ queue on REDIS_URL, how long one job may run (the
    # worker stops it then; no web worker timeout applies), and how long an unlocked round's
    # file is kept for its download (a locked round's are kept for good).
    "JOBS_QUEUE": "quizapp",
    # A finished round's ranking is kept the first time a judge needs it (judging/materialised.py).
    # Up to this many attempts that is done in the judge's request (it takes about 1 s for
    # 20,000 on a loaded 2-core machine: 450,000 took 8-23 s); a bigger round's is kept by a
    # background job while the page shows its progress.
    "RANKING_INLINE_MAX_ATTEMPTS": 20_000,
    # A round's item analysis (judging/items.py) reads every attempt item: up to this many
    # submitted attempts it is computed in the judge's request (about 2 s for 20,000 attempts of
    # 20 questions on a loaded 2-core machine); a bigger round's by a background job, kept until
    # an attempt is submitted or a key corrected (bench/README.md, item_analysis.py).
    "ITEM_ANALYSIS_INLINE_MAX_ATTEMPTS": 10_000,
    # While a round still takes attempts, a big round's analysis computed less than this many
    # seconds ago is shown (with its time) instead of waiting for a new one.
    "ITEM_ANALYSIS_REUSE_SECONDS": 600,
    # While a round is still taking attempts the contest's standings are provisional: computed
    # by a background job (about 1-2 s for 500,000 attempts) at most once in this many seconds,
    # and read from that snapshot, with the time it was computed (judging/provisional.py).
    "PROVISIONAL_STANDINGS_SECONDS": 60,
    "JOBS_TIMEOUT_SECONDS": 1800,
    # Award certificates in one judges' ZIP (about 70 KB each: 5,000 make some 350 MB, kept in
    # the database); participation certificates are each person's own download, never zipped.
    "CERTIFICATES_ZIP_MAX": 5000,
    "JOBS_KEEP_SECONDS": 3600,
    # Text messages (quizapp/sms): "log" (development: the app's log), "file:PATH" (one JSON
    # line per message) or "http" (a gateway, set by the SMS_HTTP_* keys; README, "SMS").
    "SMS_BACKEND": "log",
    "SMS_SENDER": "",
    "SMS_HTTP_URL": None,
    "SMS_HTTP_METHOD": "POST",
    # The body, with {to}, {to84}, {text} and {sender} replaced (escaped for the content type).
    "SMS_HTTP_BODY": '{"to": "{to84}", "from": "{sender}", "text": "{text}"}',
    "SMS_HTTP_CONTENT_TYPE": "application/json",
    # A whole header line, "Authorization: Bearer …" or "X-Api-Key: …".
    "SMS_HTTP_AUTH_HEADER": None,
    "SMS_HTTP_TIMEOUT_SECONDS": 10,
    # When set, a 2xx answer counts as sent only if its body contains this text.
    "SMS_HTTP_SUCCESS_TEXT": None,
    # One-time codes (auth/codes.py): how long one lives, and how many wrong tries kill it.
    "CODE_TTL_SECONDS": 600,
    "CODE_MAX_TRIES": 5,
    # Codes sent by SMS (password reset, phone verification): per phone, counted for every
    # number asked for, with an account or not; and per client address, as a flood guard only
    # (DESIGN §3 rule 5). Thousands of takers share one carrier-NAT or office address, and a
    # contest's opening hour sends many of them to "Quên mật khẩu?" at once: the address's budget
    # is generous, and what holds a flood back is the per-phone budget (an SMS goes only to a
    # registered phone, at most 10 a day each).
    "RATELIMIT_CODE_SEND_PER_PHONE": "3 per 15 minutes; 10 per day",
    "RATELIMIT_CODE_SEND_PER_IP": "1000 per hour",
    # Codes typed in (reset confirm, verification confirm): per phone and per address.
    "RATELIMIT_CODE_CHECK_PER_PHONE": "10 per 15 minutes",
    "RATELIMIT_CODE_CHECK_PER_IP": "60 per 15 minutes",
    # Who takes part, as registration asks it; contests report and award by group.
    "PARTICIPANT_GROUPS": [
        ["can_bo", "Cán bộ, đảng viên, công chức, viên chức, người lao động"],
        ["luc_luong_vu_trang", "Lực lượng vũ trang"],
        ["doan_vien_hoi_vien", "Đoàn viên, hội viên các đoàn thể"],
        ["hoc_sinh_sinh_vien", "Học sinh, sinh viên"],
        ["nhan_dan", "Nhân dân"],
    ],
}


def _parse(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    """The ``QUIZAPP_*`` variables, with the prefix removed and values parsed."""
    prefix = "QUIZAPP_"
    return {
        key[len(prefix):]: _parse(value)
        for key, value in environ.items()
        if key.startswith(prefix) and value != ""
    }


def load_secret_key(config: dict[str, object], instance_path: str) -> str:
    """Return a usable secret key or raise ``RuntimeError``.

    Production must be given a real key. Anywhere else a random key is generated once and
    kept in the instance folder, so sessions survive restarts and every gunicorn worker
    signs cookies with the same key.
    """
    key = config.get("SECRET_KEY")
    if isinstance(key, str) and key not in _WEAK_SECRET_KEYS and len(key) >= MIN_SECRET_KEY_LENGTH:
        return key
    if config.get("ENV") == "production":
        raise RuntimeError(
            "QUIZAPP_SECRET_KEY must be set to a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters in production "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    if key:
        raise RuntimeError(
            f"QUIZAPP_SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters."
        )
    return kept_in_instance(Path(instance_path) / "secret_key", lambda: secrets.token_urlsafe(48))


def kept_in_instance(path: Path, generate) -> str:
    """The secret stored at ``path`` (in the instance folder), written from ``generate()`` the
    first time; owner-only, and safe when several workers start at once."""
    try:
        # O_EXCL: when several workers start at once exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(generate())
    for _ in range(50):
        stored = path.read_text().strip()
        if stored:
            return stored
        # Another worker created the file and has not written it yet.
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; delete it to generate a new key.")


def public_url(value: object) -> str | None:
    """The configured public address without a trailing slash, or None; ``RuntimeError`` if it
    is not an absolute http(s) URL of a host alone (the app's own paths are added to it)."""
    if value is None or value == "":
        return None
    problem = "QUIZAPP_PUBLIC_URL must be the site's public address, scheme and host only, e.g. https://thi.example.vn"
    if not isinstance(value, str):
        raise RuntimeError(f"{problem}; got {value!r}.")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise RuntimeError(f"{problem}; got {value!r}.") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise RuntimeError(f"{problem}; got {value!r}.")
    return f"{parts.scheme}://{parts.netloc}"
