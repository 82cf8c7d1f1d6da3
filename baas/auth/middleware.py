"""Resolve ``Authorization`` into an AuthContext; anything invalid is a guest (wire-api §0).

Besides the JWTs of wire-api §4.5 the header may carry an API key (``baas_…``, see
``baas.auth.apikeys``), which resolves to a scoped superuser context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from baas.auth import tokens
from baas.auth.context import GUEST, AuthContext
from baas.collections.models import Collection, read_only_request


def resolve_token(token: str, token_type: str = "auth") -> AuthContext:
    resolved = tokens.resolve(token, token_type)
    if resolved is None:
        return GUEST
    collection, record, _ = resolved
    if token_type == "auth" and not _passes_auth_rule(collection, record):
        return GUEST
    return AuthContext(record=record, collection=collection)


def _passes_auth_rule(collection: Collection, record: dict[str, Any]) -> bool:
    """The peer applies ``authRule`` to every request's token, not only at sign-in: a
    record that no longer satisfies it is a guest (checked on the 0.40.6 binary)."""
    rule = collection.rule("authRule")
    if rule is None:
        return False
    if not rule.strip():
        return True
    from baas.auth.service import record_matches

    return record_matches(collection, record, rule, None, "default")


def token_from_header(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


def resolve_header(request: HttpRequest) -> AuthContext:
    header = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers, without building it
    token = token_from_header(header) if header else ""
    if not token:
        return GUEST
    from baas.auth import apikeys

    if apikeys.looks_like_key(token):
        return apikeys.resolve(token, request.method or "GET", request.path)
    return resolve_token(token)


def _superuser_ip_allowed(request: HttpRequest) -> bool:
    import ipaddress

    from baas.auth.ratelimit import client_ip
    from baas.settings_api.service import current

    listed = current().get("superuserIPs") or []
    if not listed:
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    for entry in listed:
        try:
            if address in ipaddress.ip_network(str(entry), strict=False):
                return True
        except ValueError:
            continue
    return False


class AuthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            read_only_request(True)  # one collections token check for the whole request
            try:
                return self._call(request)
            finally:
                read_only_request(False)
        return self._call(request)

    def _call(self, request: HttpRequest) -> HttpResponse:
        from baas.auth.apikeys import OutOfScope

        try:
            auth = resolve_header(request)
            if auth.is_superuser and not _superuser_ip_allowed(request):
                auth = GUEST  # settings.superuserIPs: superuser tokens count only from there
            request.baas_auth = auth  # type: ignore[attr-defined]
        except OutOfScope:
            from baas.api.errors import Forbidden, error_response

            return error_response(Forbidden("The API key does not allow this request."))
        return self.get_response(request)
