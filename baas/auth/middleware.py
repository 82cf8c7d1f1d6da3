"""Resolve ``Authorization`` into an AuthContext; anything invalid is a guest (wire-api §0)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from baas.auth import tokens
from baas.auth.context import GUEST, AuthContext
from baas.collections.models import Collection


def resolve_token(token: str, token_type: str = "auth") -> AuthContext:
    claims = tokens.unverified_claims(token)
    if not claims or claims.get("type") != token_type or not isinstance(claims.get("id"), str):
        return GUEST
    collection = Collection.objects.filter(id=str(claims.get("collectionId", ""))).first()
    if collection is None or not collection.is_auth:
        return GUEST
    from baas.collections.records import rows

    record = rows.fetch_one(collection, claims["id"])
    kind = "authToken" if token_type == "auth" else "fileToken"
    if record is None or tokens.verify(token, collection, record, kind) is None:
        return GUEST
    return AuthContext(record=record, collection=collection)


def token_from_header(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


class AuthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        token = token_from_header(header) if header else ""
        request.baas_auth = resolve_token(token) if token else GUEST  # type: ignore[attr-defined]
        return self.get_response(request)
