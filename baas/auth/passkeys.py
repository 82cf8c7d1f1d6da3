"""Passkeys (WebAuthn), beyond the peer: sign-in without a password, or a second factor.

The ceremony checks are the ``fido2`` library's ``Fido2Server`` (the library allauth's
own WebAuthn support is built on). allauth's ``mfa.webauthn`` wrappers keep their state
in the Django session and take a Django user, neither of which an API with our auth
records has, so the ceremony state lives in the cache under a random ceremony id that
the client sends back, and credentials are ``SecondFactor`` rows.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from baas.auth.models import SecondFactor
from baas.collections.models import Collection
from baas.settings_api.service import current as app_settings

CEREMONY_SECONDS = 300


class CeremonyFailed(Exception):
    """The ceremony id is unknown or spent, or the authenticator's answer does not verify."""


def _server() -> Fido2Server:
    """The relying party is the app URL of the settings (wire-api §7.3 ``meta.appURL``).

    Origins must match it exactly: WebAuthn would also accept any subdomain of the RP
    id, which an API server whose clients live at one URL has no use for.
    """
    meta = app_settings()["meta"]
    url = urlsplit(str(meta.get("appURL", "")))
    host = url.hostname or "localhost"
    origin = f"{url.scheme}://{url.netloc}".lower()
    rp = PublicKeyCredentialRpEntity(name=str(meta.get("appName") or host), id=host)
    return Fido2Server(rp, verify_origin=lambda given: given.lower() == origin)


def _passkeys(collection: Collection, record_id: str | None = None) -> Any:
    rows = SecondFactor.objects.filter(collection_id=collection.id, kind=SecondFactor.PASSKEY)
    return rows.filter(record_id=record_id) if record_id else rows


def _credential(row: SecondFactor) -> AttestedCredentialData:
    return AttestedCredentialData(websafe_decode(row.data["credential"]))


def _stash(purpose: str, collection: Collection, record_id: str, state: Any) -> str:
    ceremony = secrets.token_urlsafe(24)
    cache.set(
        f"baas:webauthn:{ceremony}",
        {"purpose": purpose, "collection": collection.id, "record": record_id, "state": state},
        CEREMONY_SECONDS,
    )
    return ceremony


def _take(ceremony: str, purpose: str, collection: Collection) -> dict[str, Any]:
    key = f"baas:webauthn:{ceremony}"
    stored = cache.get(key)
    cache.delete(key)  # single use
    if not stored or stored["purpose"] != purpose or stored["collection"] != collection.id:
        raise CeremonyFailed()
    return dict(stored)


def begin_registration(collection: Collection, record: dict[str, Any]) -> dict[str, Any]:
    label = str(record.get("email") or record["id"])
    user = PublicKeyCredentialUserEntity(name=label, id=record["id"].encode(), display_name=label)
    options, state = _server().register_begin(
        user,
        [_credential(r) for r in _passkeys(collection, record["id"])],
        resident_key_requirement=ResidentKeyRequirement.REQUIRED,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    ceremony = _stash("register", collection, record["id"], state)
    return {"ceremonyId": ceremony, "options": dict(options)}


def complete_registration(
    collection: Collection, record_id: str, ceremony: str, credential: Any, name: str
) -> SecondFactor:
    stored = _take(ceremony, "register", collection)
    if stored["record"] != record_id:
        raise CeremonyFailed()
    try:
        auth_data = _server().register_complete(stored["state"], credential)
    except (ValueError, KeyError, TypeError) as exc:
        raise CeremonyFailed() from exc
    data = auth_data.credential_data
    assert data is not None
    return SecondFactor.objects.create(
        collection_id=collection.id,
        record_id=record_id,
        kind=SecondFactor.PASSKEY,
        name=name or "passkey",
        confirmed=True,
        data={
            "credential": websafe_encode(bytes(data)),
            "credentialId": websafe_encode(data.credential_id),
            "signCount": auth_data.counter,
        },
    )


def begin_authentication(collection: Collection, record_id: str = "") -> dict[str, Any]:
    """Options for a sign-in; with a known record, only its passkeys are allowed."""
    allowed = [_credential(r) for r in _passkeys(collection, record_id)] if record_id else None
    options, state = _server().authenticate_begin(
        allowed or None, user_verification=UserVerificationRequirement.REQUIRED
    )
    return {"ceremonyId": _stash("login", collection, "", state), "options": dict(options)}


def complete_authentication(collection: Collection, ceremony: str, credential: Any) -> str:
    """The id of the record whose passkey signed the challenge."""
    stored = _take(ceremony, "login", collection)
    try:
        response = AuthenticationResponse.from_dict(credential)
        wanted = websafe_encode(response.raw_id)
    except (ValueError, KeyError, TypeError) as exc:
        raise CeremonyFailed() from exc
    row = _passkeys(collection).filter(data__credentialId=wanted).first()
    if row is None:
        raise CeremonyFailed()
    try:
        _server().authenticate_complete(stored["state"], [_credential(row)], response)
    except ValueError as exc:
        raise CeremonyFailed() from exc
    counter = response.response.authenticator_data.counter
    if counter and counter <= int(row.data.get("signCount", 0)):
        raise CeremonyFailed()  # a cloned authenticator replays an old counter
    row.data = {**row.data, "signCount": counter}
    row.save(update_fields=["data"])
    return row.record_id


def list_passkeys(collection: Collection, record_id: str) -> list[dict[str, Any]]:
    return [
        {"id": str(r.pk), "name": r.name, "created": r.created.isoformat()}
        for r in _passkeys(collection, record_id).order_by("created")
    ]


def delete_passkey(collection: Collection, record_id: str, passkey_id: str) -> bool:
    if not passkey_id.isdigit():
        return False
    return bool(_passkeys(collection, record_id).filter(pk=int(passkey_id)).delete()[0])
