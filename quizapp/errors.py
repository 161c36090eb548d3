"""Domain errors raised by services, and the one place that turns errors into responses.

Services raise ``DomainError`` subclasses; they never build responses. Requests under
``/api/`` get ``{"error": {"code", "message"}}`` JSON with a stable code, every other
request gets a Vietnamese error page.
"""

from __future__ import annotations

import contextlib
import math
import time

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from quizapp import formatting, outages
from quizapp.extensions import db, limiter


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "Yêu cầu không hợp lệ."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        if code:
            self.code = code


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``fields`` maps each field name to its messages."""

    status = 422
    code = "validation_error"
    message = "Thông tin chưa hợp lệ, vui lòng kiểm tra lại."

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message)
        self.fields = fields


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    message = "Số điện thoại hoặc mật khẩu không đúng."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Không tìm thấy nội dung yêu cầu."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "Bạn không có quyền thực hiện thao tác này."


# Codes and Vietnamese texts for HTTP errors raised by Flask and its extensions.
HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ", "Yêu cầu gửi lên không hợp lệ."),
    401: ("login_required", "Cần đăng nhập", "Vui lòng đăng nhập để tiếp tục."),
    403: ("forbidden", "Không có quyền truy cập", "Bạn không có quyền xem trang này."),
    404: ("not_found", "Không tìm thấy trang", "Trang bạn tìm không tồn tại hoặc đã bị xoá."),
    405: ("method_not_allowed", "Thao tác không được hỗ trợ", "Thao tác này không được hỗ trợ."),
    413: ("payload_too_large", "Tệp quá lớn", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
    415: ("unsupported_media_type", "Định dạng không hỗ trợ", "Dữ liệu phải gửi ở dạng JSON."),
    429: (
        "rate_limited",
        "Thao tác quá nhanh",
        "Bạn thao tác quá nhiều lần trong thời gian ngắn. Vui lòng chờ một lát rồi thử lại.",
    ),
    500: (
        "internal_error",
        "Lỗi hệ thống",
        "Hệ thống gặp sự cố. Dữ liệu đã lưu không bị mất; vui lòng thử lại sau ít phút.",
    ),
    503: (
        "unavailable",
        "Hệ thống đang bận",
        "Hệ thống đang bận hoặc đang bảo trì. Vui lòng thử lại sau ít phút.",
    ),
}
CSRF_MESSAGE = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, **extra: object):
    body: dict[str, object] = {"code": code, "message": message, **extra}
    return jsonify(error=body), status


def error_page(status: int, title: str, message: str):
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the layout itself failed (say, the database is down): plain text instead
        current_app.logger.exception("Error page could not be rendered")
        return f"{title}. {message}", status, {"Content-Type": "text/plain; charset=utf-8"}


def _http_error(error: HTTPException):
    status = error.code or 500
    # An outage met outside the view (an after-request hook): Flask hands it over as a 500.
    kind = outages.database_outage(error.original_exception) if isinstance(error, InternalServerError) else None
    if kind is not None:
        return _unavailable(kind)
    code, title, message = HTTP_ERRORS.get(status, HTTP_ERRORS[400 if status < 500 else 500])
    if isinstance(error, CSRFError):
        code, message = "csrf_failed", CSRF_MESSAGE
    elif status == 413 and not wants_json():
        message = _too_large_message()
    response = make_response(
        json_error(status, code, message) if wants_json() else error_page(status, title, message)
    )
    # Keep the headers the error carries (Allow on 405).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if isinstance(error, RateLimitExceeded):
        response.headers["Retry-After"] = str(_retry_after())
    return response


def _too_large_message() -> str:
    """What a page says of a body over its limit: the limit of this URL (the bank upload page
    takes more than the others) and that nothing was kept."""
    limit = request.max_content_length
    size = f" ({formatting.size_text(limit)})" if limit else ""
    return (f"Dữ liệu gửi lên vượt quá dung lượng cho phép{size}; chưa có gì được lưu. "
            "Hãy giảm kích thước tệp (ví dụ thu nhỏ hình ảnh trong tệp) rồi thử lại.")


def _retry_after() -> int:
    """Seconds until the breached limit lets the next request through.

    Only a 429 says it: Flask-Limiter's own headers (off) would cost a storage query and
    about 100 bytes over 3G on every limited request that passes.
    """
    try:
        breached = limiter.current_limit
        if breached is not None:
            return max(1, math.ceil(breached.reset_at - time.time()))
    except Exception:  # the storage went away between the breach and now
        current_app.logger.warning("Could not read the breached rate limit", exc_info=True)
    return 60


def _domain_error(error: DomainError):
    if wants_json():
        fields = getattr(error, "fields", None)
        extra = {"fields": fields} if fields else {}
        response = make_response(json_error(error.status, error.code, error.message, **extra))
    else:
        title = HTTP_ERRORS.get(error.status, HTTP_ERRORS[400])[1]
        response = make_response(error_page(error.status, title, error.message))
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def unavailable_json(app: Flask) -> bytes:
    """The body of a 503 under /api/, as jsonify writes it (the answer-save lane sends it too)."""
    code, _title, message = HTTP_ERRORS[503]
    return (app.json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":")) + "\n").encode()


def _unavailable(kind: str) -> Response:
    """503 with Retry-After for a database outage: counted in the outage's episode (one log line
    as it starts), with no traceback, on a page that needs no database."""
    app = current_app._get_current_object()
    outages.refused(app, kind)
    # The connection is gone or locked: a rollback may fail as well, and changes nothing then.
    with contextlib.suppress(Exception):
        db.session.rollback()
    if wants_json():
        response = make_response(unavailable_json(app), 503, {"Content-Type": "application/json"})
    else:
        _code, title, message = HTTP_ERRORS[503]
        # Straight from the Jinja environment: render_template's context processors would load
        # the signed-in user (Flask-Login's), from the database that is away.
        page = app.jinja_env.get_template("errors/unavailable.html").render(title=title, message=message)
        response = make_response(page, 503)
    response.headers["Retry-After"] = str(outages.retry_after(app))
    return response


def _unexpected_error(error: Exception):
    kind = outages.database_outage(error)
    if kind is not None:
        return _unavailable(kind)
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    code, title, message = HTTP_ERRORS[500]
    return json_error(500, code, message) if wants_json() else error_page(500, title, message)


def _api_answers_never_stored(response):
    # Every answer under /api/ is about one person, errors included (a URL that matches no API
    # route, 404 or 405, among them): no shared cache or phone browser cache may keep it. The
    # one exception is an answer its view made public on purpose, the same for everyone (the
    # units directory, api/units.py); its errors are kept by no cache either.
    if wants_json() and not (response.status_code in (200, 304) and response.cache_control.public):
        response.headers["Cache-Control"] = "no-store"
    return response


def _note_served(response):
    # A request the database served may end an outage episode (looked at every few seconds).
    # Only one that opened a database session: the sign-in page of a visitor, served without
    # the database, says nothing about it.
    if response.status_code < 500 and db.session.registry.has():
        outages.served(current_app)
    return response


def register_errorhandlers(app: Flask) -> None:
    app.after_request(_api_answers_never_stored)
    app.after_request(_note_served)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
