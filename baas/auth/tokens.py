"""JWTs of wire-api §4.5: HS256, signed with the record's ``tokenKey`` + the collection's secret.

Rotating ``tokenKey`` (password change, reset, force logout) revokes every older token.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from baas.collections.models import Collection

ALGORITHM = "HS256"


def _key(collection: Collection, record: dict[str, Any], kind: str) -> str:
    secret = collection.options.get(kind, {}).get("secret", "")
    return f"{record.get('tokenKey', '')}{secret}"


def issue(
    collection: Collection,
    record: dict[str, Any],
    token_type: str = "auth",
    *,
    kind: str = "authToken",
    duration: int | None = None,
    refreshable: bool = True,
    extra: dict[str, Any] | None = None,
) -> str:
    lifetime = duration or int(collection.options.get(kind, {}).get("duration", 0)) or 432000
    claims: dict[str, Any] = {
        "id": record["id"],
        "collectionId": collection.id,
        "type": token_type,
        "exp": int(time.time()) + lifetime,
    }
    if token_type == "auth":
        claims["refreshable"] = refreshable
    claims.update(extra or {})
    return jwt.encode(claims, _key(collection, record, kind), algorithm=ALGORITHM)


def unverified_claims(token: str) -> dict[str, Any] | None:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            return None  # alg:none and friends are guests
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def verify(
    token: str, collection: Collection, record: dict[str, Any], kind: str = "authToken"
) -> dict[str, Any] | None:
    try:
        return jwt.decode(
            token,
            _key(collection, record, kind),
            algorithms=[ALGORITHM],
            options={"require": ["exp"]},
        )
    except jwt.PyJWTError:
        return None
