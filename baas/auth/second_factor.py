"""TOTP authenticators and recovery codes as an MFA method (beyond the peer).

The TOTP arithmetic is allauth's (``allauth.mfa.totp.internal.auth``): secret
generation and code validation with its clock tolerance. allauth's ``TOTP`` and
``RecoveryCodes`` classes are tied to its ``Authenticator`` model and so to Django's
user model, which our auth records are not; the storage is ``SecondFactor`` instead,
and recovery codes are kept as SHA-256 digests (each is used once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import generate_totp_secret, validate_totp_code
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from baas.auth.models import SecondFactor
from baas.collections.models import Collection

RECOVERY_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _factors(collection: Collection, record_id: str, kind: str) -> Any:
    return SecondFactor.objects.filter(collection_id=collection.id, record_id=record_id, kind=kind)


def has_totp(collection: Collection, record_id: str) -> bool:
    return _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=True).exists()


def start_totp(collection: Collection, record: dict[str, Any], issuer: str) -> dict[str, str]:
    """A new (unconfirmed) secret; any earlier unconfirmed one is replaced."""
    secret = generate_totp_secret()
    with transaction.atomic():
        _factors(collection, record["id"], SecondFactor.TOTP).filter(confirmed=False).delete()
        SecondFactor.objects.create(
            collection_id=collection.id,
            record_id=record["id"],
            kind=SecondFactor.TOTP,
            data={"secret": secret},
        )
    label = f"{issuer}:{record.get('email') or record['id']}"
    params = {
        "secret": secret,
        "issuer": issuer,
        "digits": mfa_settings.TOTP_DIGITS,
        "period": mfa_settings.TOTP_PERIOD,
    }
    return {
        "secret": secret,
        "otpauthURL": f"otpauth://totp/{quote(label)}?{urlencode(params, quote_via=quote)}",
    }


def _fresh_code(factor: SecondFactor, code: str) -> bool:
    """allauth's check, plus: a code is good once (replays within its period fail)."""
    if not validate_totp_code(factor.data.get("secret", ""), code):
        return False
    return bool(cache.add(f"baas:totp-used:{factor.pk}:{code}", 1, mfa_settings.TOTP_PERIOD * 3))


def confirm_totp(collection: Collection, record_id: str, code: str) -> list[str] | None:
    """Activate the pending secret; the new recovery codes (shown once), or None."""
    pending = _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=False).last()
    if pending is None or not _fresh_code(pending, code):
        return None
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_COUNT)]
    with transaction.atomic():
        _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=True).delete()
        _factors(collection, record_id, SecondFactor.RECOVERY).delete()
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        SecondFactor.objects.create(
            collection_id=collection.id,
            record_id=record_id,
            kind=SecondFactor.RECOVERY,
            confirmed=True,
            data={"codes": [_digest(c) for c in codes]},
        )
    return codes


def remove_all(collection: Collection, record_id: str) -> None:
    SecondFactor.objects.filter(collection_id=collection.id, record_id=record_id).delete()


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def verify(collection: Collection, record_id: str, code: str) -> bool:
    """A current TOTP code or an unused recovery code (which is then spent)."""
    code = code.strip()
    for factor in _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=True):
        if _fresh_code(factor, code):
            factor.last_used = timezone.now()
            factor.save(update_fields=["last_used"])
            return True
    with transaction.atomic():
        recovery = (
            _factors(collection, record_id, SecondFactor.RECOVERY).select_for_update().first()
        )
        if recovery is None:
            return False
        wanted = _digest(code)
        stored = list(recovery.data.get("codes", []))
        matches = [hmac.compare_digest(wanted, digest) for digest in stored]
        if not any(matches):
            return False
        recovery.data = {"codes": [d for d, hit in zip(stored, matches, strict=True) if not hit]}
        recovery.last_used = timezone.now()
        recovery.save(update_fields=["data", "last_used"])
    return True


def remaining_recovery_codes(collection: Collection, record_id: str) -> int:
    recovery = _factors(collection, record_id, SecondFactor.RECOVERY).first()
    return len(recovery.data.get("codes", [])) if recovery else 0
