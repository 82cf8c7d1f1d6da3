"""Fallback handlers so even Django's own 404/500 use the contract's envelope."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from baas.api.errors import ApiError, NotFound, error_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(ApiError(status=500))
