"""Stepping aside during a restore (``restore``): 503 in the envelope, with Retry-After.

First in the middleware chain, before anything reads the database or a cache. It costs
one ``stat`` of the state file per request. Its first call in a process also starts
the embedded scheduler (``scheduler``; only in an embedded ``baas serve``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from baas.api.errors import ServiceUnavailable, error_response
from baas.backups.scheduler import ensure_started as start_scheduler
from baas.backups.state import is_stale

MESSAGE = "The app is restoring a backup. Please try again in a moment."


class RestoreGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.scheduled = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.scheduled:
            self.scheduled = True
            start_scheduler()  # embedded baas serve: the periodic jobs (``scheduler``)
        if is_stale():
            response = error_response(ServiceUnavailable(MESSAGE))
            response["Retry-After"] = "2"
            return response
        return self.get_response(request)
