"""JWTs of wire-api §4.5: HS256, signed with the record's ``tokenKey`` + the collection's secret.

Rotating ``tokenKey`` (password change, reset, force logout) revokes every older token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from typing import Any

import jwt
import orjson

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


# Reading a token: one pass, not PyJWT's three (bench/PROFILE.md, "Fifth pass").
# PyJWT stays the issuer; a request's token is split, decoded and checked here because
# PyJWT's ``decode`` parsed every token twice per request (once unverified for the
# record's id, once to verify), checked each base64 character in Python and tried the
# HMAC key as a DER public key: about a sixth of a signed-in list request's CPU.
# What is checked is what ``jwt.decode(..., algorithms=["HS256"], options={"require":
# ["exp"]})`` checks for our tokens: the header's ``alg``, the HMAC-SHA256 signature
# (constant-time compare), ``exp`` present, a number, in the future; ``nbf``/``iat``
# not in the future; no ``aud`` (we never issue one).
_SHAPE = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class _Parsed:
    __slots__ = ("claims", "header", "signature", "signing_input")

    def __init__(
        self, signing_input: bytes, header: dict[str, Any], claims: dict[str, Any], sig: bytes
    ):
        self.signing_input = signing_input
        self.header = header
        self.claims = claims
        self.signature = sig


def _b64(segment: bytes) -> bytes:
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def _parse(token: str) -> _Parsed | None:
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        return None
    if _SHAPE.fullmatch(raw) is None:
        return None
    signing_input, _, signature = raw.rpartition(b".")
    header_part, _, payload_part = signing_input.partition(b".")
    try:
        header = orjson.loads(_b64(header_part))
        claims = orjson.loads(_b64(payload_part))
        sig = _b64(signature)
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return _Parsed(signing_input, header, claims, sig)


def unverified_claims(token: str) -> dict[str, Any] | None:
    parsed = _parse(token)
    if parsed is None or parsed.header.get("alg") != ALGORITHM:
        return None  # alg:none and friends are guests
    return parsed.claims


def _verified(parsed: _Parsed, key: str) -> dict[str, Any] | None:
    if parsed.header.get("alg") != ALGORITHM:
        return None
    expected = hmac.new(key.encode(), parsed.signing_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, parsed.signature):
        return None
    claims = parsed.claims
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
        return None
    for name in ("nbf", "iat"):
        value = claims.get(name, now)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value > now:
            return None
    if "aud" in claims:
        return None
    return claims


def verify(
    token: str, collection: Collection, record: dict[str, Any], kind: str = "authToken"
) -> dict[str, Any] | None:
    parsed = _parse(token)
    return None if parsed is None else _verified(parsed, _key(collection, record, kind))


def resolve(
    token: str, token_type: str
) -> tuple[Collection, dict[str, Any], dict[str, Any]] | None:
    """The collection, record and verified claims of a token of ``token_type``, or None.

    wire-api §4.5: read ``id``/``collectionId`` unverified, load the record, then verify
    with that record's key; a rotated ``tokenKey`` or a wrong type fails here.
    """
    parsed = _parse(token)
    if parsed is None or parsed.header.get("alg") != ALGORITHM:
        return None
    claims = parsed.claims
    if claims.get("type") != token_type:
        return None
    record_id, collection_id = claims.get("id"), claims.get("collectionId")
    if not isinstance(record_id, str) or not isinstance(collection_id, str):
        return None
    from baas.auth import records

    found = records.load(collection_id, record_id)
    if found is None:
        return None
    collection, record = found
    verified = _verified(parsed, _key(collection, record, KIND_OF[token_type]))
    if verified is None or verified.get("type") != token_type:
        return None
    return collection, record, verified
