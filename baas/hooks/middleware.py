"""Per request: makes the request visible to record hooks, and runs ``auth.before``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from baas.api.errors import ApiError, error_response
from baas.hooks import dispatch
from baas.hooks.context import HookContext, current_request
from baas.hooks.loader import registry

# The sign-in endpoints of wire-api §4 (a token is issued at the end of each).
AUTH_PATH = re.compile(
    r"^/api/collections/(?P<collection>[^/]+)/"
    r"(auth-with-password|auth-with-otp|auth-with-oauth2|auth-refresh)/?$"
)


class HooksMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            found = AUTH_PATH.match(request.path) if request.method == "POST" else None
            if found:
                refused = _before_auth(request, found["collection"])
                if refused is not None:
                    return refused
            return self.get_response(request)
        finally:
            current_request.reset(token)


def _before_auth(request: HttpRequest, name: str) -> HttpResponse | None:
    from django.db.models import Q

    from baas.collections.models import Collection

    if not any(handler.event == "auth.before" for handler in registry().handlers):
        return None  # no lookup on the sign-in path unless some hook asks for it
    collection = Collection.objects.filter(Q(id=name) | Q(name__iexact=name)).first()
    if collection is None or not dispatch.has_handlers("auth.before", collection):
        return None
    ctx = HookContext.for_request("auth.before", collection=collection, body=_body(request))
    try:
        dispatch.run(ctx)
    except ApiError as exc:
        return error_response(exc)
    return None


def _body(request: HttpRequest) -> dict[str, Any]:
    """The submitted fields (JSON or a form); the view still reads the same body."""
    if request.content_type == "application/json":
        try:
            data = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    return {key: request.POST.get(key) for key in request.POST}
