"""Response headers the contract shows on every answer (wire-api §0) and CORS."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "1; mode=block",
    "Cross-Origin-Opener-Policy": "same-origin",
}

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


class CorsMiddleware:
    """CORS defaults to ``*`` like the peer; preflights are answered here."""

    allow_headers = "Authorization, Content-Type, Accept-Language, X-Requested-With"
    allow_methods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = request.META.get("HTTP_ORIGIN")  # request.headers, without building it
        if (
            request.method == "OPTIONS"
            and origin
            and request.headers.get("Access-Control-Request-Method")
        ):
            response = HttpResponse(status=204)
            requested = request.headers.get("Access-Control-Request-Headers")
            response["Access-Control-Allow-Headers"] = requested or self.allow_headers
            response["Access-Control-Allow-Methods"] = self.allow_methods
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        allowed = _allowed_origin(origin) if origin else None
        if allowed:
            response["Access-Control-Allow-Origin"] = allowed
        response["Vary"] = "Origin"
        return response


def _allowed_origin(origin: str) -> str | None:
    """``*`` by default (as the peer); otherwise the origin itself when it is listed in
    the app settings' ``cors.allowedOrigins``, and no CORS header when it is not."""
    from django.db import DatabaseError

    from baas.settings_api.service import current

    try:
        allowed = current().get("cors", {}).get("allowedOrigins") or ["*"]
    except DatabaseError:  # the error answer (503) must still be readable by the app
        allowed = ["*"]
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


# ---- browser-only middlewares, skipped on the hot API paths ------------------------------
#
# Sessions and flash messages serve the console (``/_/``) and the OAuth2 flows; the
# records API, file downloads and the health check never read a session or add a
# message, and on such requests these middlewares change nothing on the answer (a
# session never accessed adds no cookie and no Vary; no message, no cookie). They cost a
# SessionStore, a cookie signer and two message storages per request: those paths go
# past them. Any other path runs them as before. (allauth's AccountMiddleware stays as
# it is: allauth refuses to load unless that exact name is in MIDDLEWARE.)

_PLAIN_API_PATH = re.compile(r"^/api/(?:health$|files/|collections/[^/]+/records(?:/[^/]*)?$)")


def _skipped_on_plain_api_paths(factory: Callable[[Handler], Any]) -> type:
    class Skipped:
        def __init__(self, get_response: Handler):
            self.get_response = get_response
            self.inner = factory(get_response)
            process_exception = getattr(self.inner, "process_exception", None)
            if process_exception is not None:
                self.process_exception = process_exception

        def __call__(self, request: HttpRequest) -> HttpResponse:
            if _PLAIN_API_PATH.match(request.path):
                return self.get_response(request)
            return self.inner(request)  # type: ignore[no-any-return]

    return Skipped


def _session(get_response: Handler) -> Any:
    from django.contrib.sessions.middleware import SessionMiddleware

    return SessionMiddleware(get_response)


def _messages(get_response: Handler) -> Any:
    from django.contrib.messages.middleware import MessageMiddleware

    return MessageMiddleware(get_response)


SessionMiddleware = _skipped_on_plain_api_paths(_session)
MessageMiddleware = _skipped_on_plain_api_paths(_messages)
