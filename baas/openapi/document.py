"""The OpenAPI 3.1 document, generated from the live collections (docs/api-extensions.md).

Every path under ``/api`` is described (tests/openapi/test_coverage.py holds the few
left out, with the reason): the records, auth, files and realtime API, and what baas
adds (GraphQL, push, TOTP and passkeys, the hooks' custom routes; for superusers API
keys, webhooks, jobs, backups and crons, the console's previews).

Two audiences: superusers get every collection (system auth collections included), the
rules' text and the administration endpoints; guests (when the ``openapi.public``
setting allows) get the collections that are not locked to superusers, without rules
or administration. The JSON is cached per process, keyed by every collection's id,
schema version and last change (a rule change moves ``updated``) and by the hooks'
routes, so a schema change or a reloaded hooks directory is seen on the next request.
"""

from __future__ import annotations

import threading
from typing import Any

from baas.api.renderers import dumps
from baas.collections.models import RULE_NAMES, Collection
from baas.openapi import admin, endpoints, extensions, records, schemas

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
    described = tuple((i, v, u.isoformat() if u else "") for i, v, u in rows)
    return described, extensions.hook_routes_fingerprint()


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
        _merge(paths, records.collection_paths(collection, detailed=superuser))
        components.update(records.collection_schemas(collection, names))
        tags.append({"name": collection.name, "description": f"{collection.type} collection"})
    _merge(paths, endpoints.public_paths())
    _merge(paths, extensions.public_paths())
    components.update(extensions.GRAPHQL_SCHEMAS)
    if superuser:
        _merge(paths, endpoints.superuser_paths())
        _merge(paths, admin.admin_paths())
        components["CollectionBody"] = endpoints.COLLECTION_BODY
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "tags": tags,
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }


def _merge(paths: dict[str, Any], more: dict[str, Any]) -> None:
    """Add operations path by path: two modules may describe methods of one path."""
    for path, item in more.items():
        paths.setdefault(path, {}).update(item)


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
