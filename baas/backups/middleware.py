"""Stepping aside during a restore (``restore``): 503 in the envelope, with Retry-After.

First in the middleware chain, before anything reads the database or a cache. It costs
one ``stat`` of the state file per request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from baas.api.errors import ServiceUnavailable, error_response
from baas.backups.state import is_stale

MESSAGE = "The app is restoring a backup. Please try again in a moment."


class RestoreGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_stale():
            response = error_response(ServiceUnavailable(MESSAGE))
            response["Retry-After"] = "2"
            return response
        return self.get_response(request)
