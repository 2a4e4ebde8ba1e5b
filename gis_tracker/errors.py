"""One error hierarchy: each error knows its HTTP status, a stable code and a safe message.

Messages are written in Chinese; :attr:`AppError.message` gives them in the
language of the request (the English comes from the catalogue, see
:mod:`gis_tracker.i18n`).
"""
from __future__ import annotations

from .i18n import translate


class AppError(Exception):
    """Base of every error the app reports to a user."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message)
        self.text = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}

    @property
    def message(self) -> str:
        """Return the message in the current language."""
        return translate(self.text)

    @message.setter
    def message(self, value: str) -> None:
        self.text = value

    def to_dict(self) -> dict:
        """Return the JSON body ``{"code", "message", ...details}``."""
        body = {"code": self.code, "message": self.message}
        body.update(self.details)
        return body


class BadParameter(AppError):
    """A query parameter or field is malformed."""

    status = 400
    code = "bad_parameter"


class NotFound(AppError):
    """The collection, feature or page does not exist."""

    status = 404
    code = "not_found"


class Unauthorized(AppError):
    """The request carries no valid login or token."""

    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    """The user's role may not do this."""

    status = 403
    code = "forbidden"


class Conflict(AppError):
    """The request conflicts with the current state (e.g. an invalid transition)."""

    status = 409
    code = "conflict"


class PreconditionFailed(AppError):
    """If-Match does not match the current version: someone else saved first."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(AppError):
    """A write came without If-Match."""

    status = 428
    code = "precondition_required"


class Unprocessable(AppError):
    """The body is well-formed but its content is invalid (e.g. bad geometry)."""

    status = 422
    code = "unprocessable"


class DatabaseUnavailable(AppError):
    """PostgreSQL cannot be reached; the client should retry later."""

    status = 503
    code = "database_unavailable"
