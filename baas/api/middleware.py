"""Response headers the contract shows on every answer (wire-api §0) and CORS."""

from __future__ import annotations

from collections.abc import Callable

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
        origin = request.headers.get("Origin")
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
