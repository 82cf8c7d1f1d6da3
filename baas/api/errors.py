"""The one error envelope (wire-api §0.1), produced from domain exceptions.

Services raise ``ApiError`` subclasses; views never build error bodies by hand.
DRF's exceptions and Django's ``Http404`` are mapped here too, and anything else
becomes a logged 500 whose details never reach the body.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf_exceptions

from baas.api.renderers import dumps

log = logging.getLogger("baas.api")

DEFAULT_MESSAGES = {
    400: "Something went wrong while processing your request.",
    401: "The request requires valid record authorization token.",
    403: "You are not allowed to perform this request.",
    404: "The requested resource wasn't found.",
    405: "Method not allowed.",
    413: "Request entity too large.",
    429: "Too Many Requests.",
    500: "Something went wrong while processing your request.",
    503: "Service temporarily unavailable. Please try again.",
}

FORM_MESSAGE = "An error occurred while validating the submitted data."


def field_error(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if params is not None:
        error["params"] = params
    return error


class ApiError(Exception):
    status = 400

    def __init__(
        self,
        message: str | None = None,
        data: dict[str, Any] | None = None,
        status: int | None = None,
    ):
        if status is not None:
            self.status = status
        self.message = message or DEFAULT_MESSAGES.get(self.status, DEFAULT_MESSAGES[400])
        self.data = data or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "data": self.data}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class TooManyRequests(ApiError):
    status = 429


class ServiceUnavailable(ApiError):
    status = 503


class ValidationFailed(BadRequest):
    """Field errors: ``data`` maps field names to ``field_error`` dicts."""


def error_response(error: ApiError) -> HttpResponse:
    return HttpResponse(dumps(error.body()), status=error.status, content_type="application/json")


def to_api_error(exc: BaseException) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, drf_exceptions.ParseError):
        return BadRequest()
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return BadRequest()
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return NotFound()  # wire-api §9: an unsupported method on a records URL is a 404
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        return Unauthorized()
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return Forbidden()
    if isinstance(exc, drf_exceptions.Throttled):
        return TooManyRequests()
    if isinstance(exc, drf_exceptions.APIException):
        return ApiError(status=exc.status_code)
    return _database_error(exc)


def _database_error(exc: BaseException) -> ApiError | None:
    from django.db import DataError, InterfaceError, OperationalError

    if isinstance(exc, DataError):
        # Fix (baas.backups' hostile-input sweep): a value the column cannot hold (on
        # PostgreSQL a NUL byte in any text: a path segment, a filter, a field) was a
        # 500. It is the caller's input: a 400.
        log.info("refused by the database: %s", exc)
        return BadRequest()
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("database unavailable: %s", exc)
        return ServiceUnavailable()
    import redis

    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        # What needs Redis (passkey ceremonies, the cache) waits for it: a clean 503.
        log.warning("redis unavailable: %s", exc)
        return ServiceUnavailable()
    return None


def exception_handler(exc: BaseException, context: dict[str, Any]) -> HttpResponse | None:
    """DRF hook: every exception raised in a view ends here."""
    error = to_api_error(exc)
    if error is None:
        log.exception("unhandled error in %s", context.get("view"), exc_info=exc)
        error = ApiError(status=500)
    return error_response(error)
