"""TOTP authenticators and recovery codes as an MFA method (beyond the peer).

The TOTP arithmetic is allauth's (``allauth.mfa.totp.internal.auth``): secret
generation and code validation with its clock tolerance. allauth's ``TOTP`` and
``RecoveryCodes`` classes are tied to its ``Authenticator`` model and so to Django's
user model, which our auth records are not; the storage is ``SecondFactor`` instead,
and recovery codes are kept as SHA-256 digests (each is used once).

TOTP secrets are stored encrypted (Fernet, key derived from ``SECRET_KEY``; the
``SECRET_KEY_FALLBACKS`` still decrypt, so the key can be rotated). A code is accepted
once: the codes used within their validity are kept on the authenticator's row, checked
and recorded under its row lock, so every process agrees without a shared cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import generate_totp_secret, validate_totp_code
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
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
            data={"sealed": _box().encrypt(secret.encode()).decode()},
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


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"baas.totp:{key}".encode()).digest()))
            for key in keys
        ]
    )


def _secret(factor: SecondFactor) -> str:
    """The authenticator's secret ("" when it cannot be read: a foreign SECRET_KEY)."""
    if "sealed" in factor.data:
        try:
            return _box().decrypt(str(factor.data["sealed"]).encode()).decode()
        except InvalidToken:
            return ""
    return str(factor.data.get("secret", ""))  # stored before secrets were sealed


def _fresh_code(factor: SecondFactor, code: str) -> bool:
    """allauth's check, plus: a code is good once (replays within its validity fail)."""
    if not validate_totp_code(_secret(factor), code):
        return False
    now = time.time()
    with transaction.atomic():
        locked = SecondFactor.objects.select_for_update().filter(pk=factor.pk).first()
        if locked is None:
            return False
        used = {c: t for c, t in dict(locked.data.get("used") or {}).items() if t > now}
        if code in used:
            return False
        used[code] = now + mfa_settings.TOTP_PERIOD * 3
        data = {k: v for k, v in locked.data.items() if k != "secret"}
        if "secret" in locked.data:  # sealed on first use
            data["sealed"] = _box().encrypt(str(locked.data["secret"]).encode()).decode()
        locked.data = {**data, "used": used}
        locked.save(update_fields=["data"])
        factor.data = locked.data
    return True


def confirm_totp(collection: Collection, record_id: str, code: str) -> list[str] | None:
    """Activate the pending secret; the new recovery codes (shown once), or None."""
    pending = _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=False).last()
    if pending is None or not _fresh_code(pending, code):
        return None
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_COUNT)]
    with transaction.atomic():
        _factors(collection, record_id, SecondFactor.TOTP).filter(confirmed=True).delete()
        _factors(collection, record_id, SecondFactor.RECOVERY).delete()
        pending.refresh_from_db(fields=["data"])
        pending.confirmed = True
        pending.save(update_fields=["confirmed", "data"])
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
