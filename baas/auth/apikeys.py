"""API keys (service tokens), beyond the peer: ``Authorization: baas_<id>_<secret>``.

A key acts as a superuser limited by its scope (collections and record actions).
Scoped keys are honoured where every collection a request touches is checked against
the scope: the records API (its URL names the collection, its method the action),
GraphQL and batch (``CHECKED_INSIDE``: GraphQL builds a schema of the key's collections
only, and both reach records only through the record service, which checks the scope
for each operation), file downloads (the ``Authorization`` header plays no part there:
a protected file needs a file token, which a scoped key cannot get) and the realtime
feeds (``authenticate``: each delivery is checked against the scope, and against
``still_valid``). Anywhere else a scoped key gets 403. A key with no limits is a full superuser everywhere. Keys are
shown once, stored as a SHA-256 (they carry 240 random bits, so a slow hash adds
nothing), compared in constant time, expire, and can be revoked. Invalid, expired or
revoked keys make the caller a guest (wire-api §0).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any

from django.db.models import Q
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
# Paths that name no collection but check each one they reach against the key's scope.
CHECKED_INSIDE = frozenset({"/api/graphql", "/api/graphql/", "/api/batch", "/api/batch/"})
# A file download reads only its ?token= (a file token), never the Authorization header.
_FILE = re.compile(r"^/api/files/[^/]+/[^/]+/[^/]+$")


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
    """The context of a request's key; ``OutOfScope`` where a scoped key cannot be checked."""
    row = _valid(token)
    if row is None:
        return GUEST
    scope = _scope_of(row)
    if (scope.collections or scope.actions) and not _checked_inside(method, path):
        target = action_of(method, path)
        if target is None or not _allows(scope, *target):
            raise OutOfScope()
    return _context(row, scope)


def _checked_inside(method: str, path: str) -> bool:
    return path in CHECKED_INSIDE or (method in ("GET", "HEAD") and _FILE.match(path) is not None)


def authenticate(token: str) -> AuthContext:
    """A valid key's context, scope included, for callers that check the scope against
    every collection they touch (the realtime feeds); anything else is a guest."""
    row = _valid(token)
    return GUEST if row is None else _context(row, _scope_of(row))


def still_valid(key_ids: set[str]) -> set[str]:
    """Which of these keys are neither revoked nor expired now (one query): a realtime
    connection outlives the request that authenticated it."""
    if not key_ids:
        return set()
    alive = Q(expires__isnull=True) | Q(expires__gt=timezone.now())
    found = ApiKey.objects.filter(alive, id__in=key_ids, revoked__isnull=True)
    return set(found.values_list("id", flat=True))


def _scope_of(row: ApiKey) -> ApiKeyScope:
    return ApiKeyScope(collections=frozenset(row.collections), actions=frozenset(row.actions))


def _context(row: ApiKey, scope: ApiKeyScope) -> AuthContext:
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
