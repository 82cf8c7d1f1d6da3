"""Fallback handlers so even Django's own 404/500 use the contract's envelope."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from baas.api.errors import ApiError, NotFound, _database_error, error_response

View = Callable[..., HttpResponse]


def not_found(
    request: HttpRequest, exception: Exception | None = None, **kwargs: object
) -> HttpResponse:
    return error_response(NotFound())


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Fix (baas.backups' hostile-input sweep): a body Django itself refuses (multipart
    # without a boundary, too many fields, too large) became Django's HTML 400; under
    # /api/ it is the envelope. Other paths (the console) keep Django's page.
    if request.path.startswith("/api/"):
        return error_response(ApiError(status=400))
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    # Fix (baas.backups' outage tests): Django calls handler500 inside its ``except``
    # block, so the exception is at hand. A database outage that escapes a middleware
    # (the auth middleware loads the token's record) is the same 503 as in a view
    # (``errors._database_error``), not a 500: guests got 503, signed-in callers 500.
    exc = sys.exc_info()[1]
    error = _database_error(exc) if exc is not None else None
    return error_response(error or ApiError(status=500))


def allow_methods(*methods: str) -> Callable[[View], View]:
    """Like ``require_http_methods``, but another method is the envelope's 404, as on the peer."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method not in methods:
                return not_found(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
