"""The OpenAPI 3.1 document, generated from the live collections (docs/api-extensions.md).

Two audiences: superusers get every collection (system auth collections included), the
rules' text and the administration endpoints; guests (when the ``openapi.public``
setting allows) get the collections that are not locked to superusers, without rules
or administration. The JSON is cached per process, keyed by every collection's id,
schema version and last change (a rule change moves ``updated``), so a schema change
is seen on the next request.
"""

from __future__ import annotations

import threading
from typing import Any

from baas.api.renderers import dumps
from baas.collections.models import RULE_NAMES, Collection
from baas.openapi import endpoints, records, schemas

VERSION = "0.1.0"
TITLE = "baas API"
DESCRIPTION = (
    "The records, auth, files and realtime API of this baas instance (PocketBase 0.40 "
    "wire-compatible), generated from its collections. Send the token as "
    "`Authorization: <token>` (a `Bearer ` prefix is accepted); API keys "
    "(`baas_...`) go in the same header. Errors use one envelope: "
    "`{status, message, data}`."
)
_cache: dict[tuple[Any, ...], bytes] = {}
_lock = threading.Lock()
MAX_CACHED = 8


def fingerprint() -> tuple[Any, ...]:
    rows = Collection.objects.order_by("id").values_list("id", "schema_version", "updated")
    return tuple((i, v, u.isoformat() if u else "") for i, v, u in rows)


def document_json(superuser: bool) -> bytes:
    """The document as JSON bytes, from the cache while no collection changed."""
    key = (superuser, fingerprint())
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    body = dumps(build(superuser))
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.clear()
        _cache[key] = body
    return body


def described(collection: Collection, superuser: bool) -> bool:
    if collection.system and not collection.is_auth:
        return False  # _mfas, _otps, _externalAuths, _authOrigins: internal, always locked
    if superuser:
        return True
    if collection.is_superusers:
        return False
    return any(collection.rule(name) is not None for name in RULE_NAMES)


def build(superuser: bool) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {**schemas.common_schemas()}
    tags: list[dict[str, str]] = []
    shown = [c for c in Collection.objects.order_by("name") if described(c, superuser)]
    names = {c.id: c.name for c in shown}
    for collection in shown:
        paths.update(records.collection_paths(collection, detailed=superuser))
        components.update(records.collection_schemas(collection, names))
        tags.append({"name": collection.name, "description": f"{collection.type} collection"})
    paths.update(endpoints.public_paths())
    if superuser:
        paths.update(endpoints.superuser_paths())
        components["CollectionBody"] = endpoints.COLLECTION_BODY
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "tags": tags,
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }


SECURITY_SCHEMES = {
    "authToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An auth token (JWT) from an auth-with-* endpoint, with no scheme.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An API key `baas_<id>_<secret>` (superuser rights within its scope).",
    },
}


def forget() -> None:
    with _lock:
        _cache.clear()
