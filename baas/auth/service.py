"""AuthService: what happens after an identity is proven (wire-api §3.6, §4.1, §4.4).

``sign_in`` checks the collection's ``authRule``, runs the MFA step, records the login
origin (and queues a new-origin alert) and issues the token. Every flow (password, OTP,
OAuth2) ends here, so none of them can skip a step.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from baas.api.errors import ApiError, BadRequest, Forbidden, ValidationFailed
from baas.auth import records, signals, tokens
from baas.auth.context import AuthContext
from baas.auth.ratelimit import client_ip
from baas.collections.models import Collection
from baas.collections.records import rows
from baas.collections.records.service import Call

AUTH_RULE_MESSAGE = "The request doesn't satisfy the collection requirements to authenticate."
MFA_COLLECTION = "_mfas"
ORIGINS_COLLECTION = "_authOrigins"


class MfaRequired(ApiError):
    """wire-api §4.4: 401 whose body is ``{"mfaId": ...}``, not the error envelope."""

    status = 401

    def __init__(self, mfa_id: str):
        super().__init__()
        self.mfa_id = mfa_id

    def body(self) -> dict[str, Any]:
        return {"mfaId": self.mfa_id}


def parse_wire_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def expired(created: str, duration: int) -> bool:
    at = parse_wire_date(created)
    return at is None or (datetime.now(UTC) - at).total_seconds() > duration


def record_matches(
    collection: Collection, record: dict[str, Any], rule: str, request: Any, context: str
) -> bool:
    """Does ``rule`` hold for ``record`` with the record itself as ``@request.auth``?"""
    if rule.strip() == "":
        return True
    from baas.collections.records import rules

    viewer = AuthContext(record=record, collection=collection)
    method = getattr(request, "method", None) or "GET"
    call = Call(viewer=viewer, method=method, context=context)
    where, params = rules.compile_rule(collection, rule, call.info())
    return rows.fetch_one(collection, record["id"], where, params) is not None


def check_auth_rule(collection: Collection, record: dict[str, Any], request: Any) -> None:
    rule = collection.rule("authRule")
    if rule is None or not record_matches(collection, record, rule, request, "default"):
        raise Forbidden(AUTH_RULE_MESSAGE)


def mfa_required(collection: Collection, record: dict[str, Any], request: Any) -> bool:
    """The collection's MFA (wire-api §4.4), or the user's own TOTP authenticator."""
    from baas.auth import second_factor

    options = collection.options.get("mfa", {})
    rule = str(options.get("rule") or "")
    if options.get("enabled") and record_matches(collection, record, rule, request, "default"):
        return True
    return second_factor.has_totp(collection, record["id"])


def mfa_owner(collection: Collection, mfa_id: str) -> dict[str, Any] | None:
    """The auth record an unexpired MFA session of ``collection`` belongs to."""
    mfas = records.system_collection(MFA_COLLECTION)
    found = rows.fetch_one(mfas, mfa_id) if mfa_id else None
    duration = int(collection.options.get("mfa", {}).get("duration") or 600)
    if (
        found is None
        or found.get("collectionRef") != collection.id
        or expired(found.get("created", ""), duration)
    ):
        return None
    return rows.fetch_one(collection, found.get("recordRef", ""))


def mfa_step(
    collection: Collection, record: dict[str, Any], method: str, mfa_id: str, request: Any
) -> None:
    if not mfa_required(collection, record, request):
        return
    options = collection.options.get("mfa", {})
    mfas = records.system_collection(MFA_COLLECTION)
    if not mfa_id:
        created = records.create(
            mfas, {"collectionRef": collection.id, "recordRef": record["id"], "method": method}
        )
        raise MfaRequired(created["id"])
    found = rows.fetch_one(mfas, mfa_id)
    if found is None or expired(found.get("created", ""), int(options.get("duration") or 600)):
        raise BadRequest("Invalid or expired MFA session.")
    if found.get("collectionRef") != collection.id or found.get("recordRef") != record["id"]:
        raise BadRequest("Invalid MFA session.")
    if found.get("method") == method:
        raise BadRequest("A different authentication method is required.")
    records.delete(mfas, mfa_id)


def fingerprint(request: Any) -> str:
    agent = getattr(request, "headers", {}).get("User-Agent", "")
    return hashlib.sha256(f"{client_ip(request)}\n{agent}".encode()).hexdigest()


def note_origin(collection: Collection, record: dict[str, Any], request: Any) -> None:
    """Remember where the login came from; a new place (after the first) gets an alert."""
    origins = records.system_collection(ORIGINS_COLLECTION)
    known = records.find_where(origins, collectionRef=collection.id, recordRef=record["id"])
    mark = fingerprint(request)
    if any(o.get("fingerprint") == mark for o in known):
        return
    try:
        records.create(
            origins,
            {"collectionRef": collection.id, "recordRef": record["id"], "fingerprint": mark},
        )
    except ValidationFailed:  # a concurrent login from the same place stored it first
        return
    alert = collection.options.get("authAlert", {})
    if known and alert.get("enabled") and record.get("email"):
        from baas.auth.tasks import queue_auth_email

        agent = request.headers.get("User-Agent", "")
        info = f"{client_ip(request)} {agent}".strip()
        queue_auth_email("authAlert", collection.id, record["id"], {"alertInfo": info})


def sign_in(
    request: Any,
    collection: Collection,
    record: dict[str, Any],
    method: str,
    *,
    mfa_id: str = "",
) -> str:
    """Every check after the first factor; returns the new auth token."""
    check_auth_rule(collection, record, request)
    mfa_step(collection, record, method, mfa_id, request)
    note_origin(collection, record, request)
    token = tokens.issue(collection, record)
    signals.emit_signed_in(collection, record, method)  # after commit (baas.webhooks)
    return token
