"""JWTs of wire-api §4.5: HS256, signed with the record's ``tokenKey`` + the collection's secret.

Rotating ``tokenKey`` (password change, reset, force logout) revokes every older token.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from baas.collections.models import Collection

ALGORITHM = "HS256"
# token type -> the collection option that holds its secret and duration (wire-api §4.5)
KIND_OF = {
    "auth": "authToken",
    "file": "fileToken",
    "verification": "verificationToken",
    "passwordReset": "passwordResetToken",
    "emailChange": "emailChangeToken",
}


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


def resolve(
    token: str, token_type: str
) -> tuple[Collection, dict[str, Any], dict[str, Any]] | None:
    """The collection, record and verified claims of a token of ``token_type``, or None.

    wire-api §4.5: read ``id``/``collectionId`` unverified, load the record, then verify
    with that record's key; a rotated ``tokenKey`` or a wrong type fails here.
    """
    claims = unverified_claims(token)
    if not claims or claims.get("type") != token_type:
        return None
    record_id, collection_id = claims.get("id"), claims.get("collectionId")
    if not isinstance(record_id, str) or not isinstance(collection_id, str):
        return None
    from baas.auth import records

    found = records.load(collection_id, record_id)
    if found is None:
        return None
    collection, record = found
    verified = verify(token, collection, record, KIND_OF[token_type])
    if verified is None or verified.get("type") != token_type:
        return None
    return collection, record, verified
