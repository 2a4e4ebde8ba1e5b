"""Turn every error into a clean answer: JSON for the API, a page for the browser.

No stack trace ever reaches a user; unexpected errors are logged with their
trace and answered with a generic 500.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .errors import AppError, DatabaseUnavailable
from .i18n import gettext as _
from .security import is_api_request

LOGGER = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "unprocessable",
    428: "precondition_required", 429: "too_many_requests", 500: "internal_error",
    503: "database_unavailable",
}
HTTP_MESSAGES = {
    400: "请求有误", 401: "需要登录", 403: "无权访问", 404: "未找到该页面或对象",
    405: "不支持该请求方法", 413: "上传内容过大", 429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请联系管理员", 503: "数据库暂时不可用，请稍后再试",
}


def _respond(status: int, code: str, message: str, extra: dict | None = None, headers: dict | None = None):
    headers = dict(headers or {})
    if status == 503:
        headers["Retry-After"] = "5"
    if is_api_request():
        body = {"code": code, "message": message}
        body.update(extra or {})
        return jsonify(body), status, headers
    return render_template("error.html", status=status, message=message), status, headers


def _app_error(exc: AppError):
    if exc.status == 401 and not is_api_request():
        from flask import redirect, url_for
        return redirect(url_for("auth.login"))
    return _respond(exc.status, exc.code, exc.message, exc.details)


def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = _(HTTP_MESSAGES.get(status, exc.name))
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110: a 405 lists the methods allowed
    return _respond(status, HTTP_CODES.get(status, "http_error"), message, headers=headers)


def _database_error(exc: Exception):
    if isinstance(exc, (OperationalError, PoolTimeout)) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        LOGGER.warning("database unavailable: %s", exc.__class__.__name__)
        err = DatabaseUnavailable(_(HTTP_MESSAGES[503]))
        return _respond(503, err.code, err.message)
    # The last line of defence for values the parsers should have refused (SQLSTATE class 22: data
    # exception, e.g. out of range) and for constraints a service did not check first (class 23):
    # the request's fault, not the server's — 400/409/422, never a 500.
    pgcode = getattr(getattr(exc, "orig", None), "pgcode", None) or ""
    if isinstance(exc, DataError) or pgcode.startswith("22"):
        LOGGER.warning("value refused by PostgreSQL (SQLSTATE %s): %s", pgcode, str(exc.orig).splitlines()[0][:200])
        return _respond(400, "invalid_value", _("请求中的某个值超出允许的范围或格式"))
    if isinstance(exc, IntegrityError):
        LOGGER.warning("constraint refused a write (SQLSTATE %s): %s", pgcode, str(exc.orig).splitlines()[0][:200])
        if pgcode in ("23505", "23P01"):
            return _respond(409, "duplicate", _("与已有数据重复"))
        return _respond(422, "constraint", _("数据不符合约束"))
    return _unexpected(exc)


def _value_error(exc: ValueError):
    """psycopg2 refuses text holding NUL before sending it: the request's fault (400), anything else a 500."""
    if "NUL (0x00)" in str(exc):
        LOGGER.warning("text with NUL reached the database layer: %s", exc)
        return _respond(400, "bad_text", _("请求含有无法存储的字符"))
    return _unexpected(exc)


def _unencodable(exc: UnicodeEncodeError):
    """A request carried text no database can store (a lone surrogate from a JSON \\udXXX escape)."""
    LOGGER.warning("unencodable text in a request: %s", exc.reason)
    return _respond(400, "bad_text", _("请求含有无法存储的字符"))


def _unexpected(exc: Exception):
    LOGGER.exception("unexpected error")
    return _respond(500, "internal_error", _(HTTP_MESSAGES[500]))


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _database_error)
    app.register_error_handler(UnicodeEncodeError, _unencodable)
    app.register_error_handler(ValueError, _value_error)
    app.register_error_handler(Exception, _unexpected)
