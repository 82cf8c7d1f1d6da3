"""API keys (service tokens), beyond the peer: ``Authorization: baas_<id>_<secret>``.

A key acts as a superuser limited by its scope (collections and record actions).
Scoped keys are only honoured on the records API, whose URL names the collection and
whose method names the action; anywhere else they get 403. A key with no limits is a
full superuser everywhere. Keys are shown once, stored as a SHA-256 (they carry 240
random bits, so a slow hash adds nothing), compared in constant time, expire, and can
be revoked. Invalid, expired or revoked keys make the caller a guest (wire-api §0).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any

from django.utils import timezone

from baas.auth.context import GUEST, ApiKeyScope, AuthContext
from baas.auth.models import ApiKey
from baas.collections.fields.patterns import generate
from baas.collections.models import SUPERUSERS_ID, Collection

PREFIX = "baas_"
_KEY = re.compile(r"^baas_([a-z0-9]{15})_([A-Za-z0-9_-]{40})$")
_RECORDS = re.compile(r"^/api/collections/([^/]+)/records(?:/([^/]+))?/?$")
_ACTION = {"POST": "create", "PATCH": "update", "DELETE": "delete"}
_AGGREGATE = re.compile(r"^/api/collections/([^/]+)/aggregate/?$")  # a list (api-extensions.md)


class OutOfScope(Exception):
    """A valid key used outside its scope (the middleware answers 403)."""


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    name: str,
    collections: list[str],
    actions: list[str],
    expires: datetime | None,
    created_by: str,
) -> tuple[ApiKey, str]:
    """A new key and its plain text (returned once, never stored)."""
    key_id = generate("[a-z0-9]{15}")
    plain = f"{PREFIX}{key_id}_{secrets.token_urlsafe(30)[:40]}"
    row = ApiKey.objects.create(
        id=key_id,
        name=name,
        key_hash=digest(plain),
        collections=[c.lower() for c in collections],
        actions=actions,
        expires=expires,
        created_by=created_by,
    )
    return row, plain


def action_of(method: str, path: str) -> tuple[str, str] | None:
    """(collection, action) for a records API request, else None."""
    match = _RECORDS.match(path)
    aggregate = _AGGREGATE.match(path)
    if aggregate is not None and method in ("GET", "HEAD"):
        return aggregate.group(1), "list"
    if match is None:
        return None
    if method in ("GET", "HEAD"):
        return match.group(1), "view" if match.group(2) else "list"
    action = _ACTION.get(method)
    return (match.group(1), action) if action else None


def _valid(token: str) -> ApiKey | None:
    match = _KEY.match(token)
    if match is None:
        return None
    row = ApiKey.objects.filter(id=match.group(1), revoked__isnull=True).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest(token)):
        return None
    if row.expires is not None and row.expires <= timezone.now():
        return None
    return row


def resolve(token: str, method: str, path: str) -> AuthContext:
    row = _valid(token)
    if row is None:
        return GUEST
    scope = ApiKeyScope(collections=frozenset(row.collections), actions=frozenset(row.actions))
    if scope.collections or scope.actions:
        target = action_of(method, path)
        if target is None or not _allows(scope, *target):
            raise OutOfScope()
    ApiKey.objects.filter(id=row.id).update(last_used=timezone.now())
    superusers = Collection.objects.filter(id=SUPERUSERS_ID).first()
    record: dict[str, Any] = {"id": row.id, "email": "", "verified": True, "name": row.name}
    return AuthContext(record=record, collection=superusers, api_key=True, scopes=scope)


def _allows(scope: ApiKeyScope, collection_ref: str, action: str) -> bool:
    found = (
        Collection.objects.filter(id=collection_ref).first()
        or Collection.objects.filter(name__iexact=collection_ref).first()
    )
    return scope.allows(found if found else collection_ref.lower(), action)
