"""Rate limits for auth endpoints, per client IP and per identity (429 in the envelope).

Counters live in Django's cache: Redis in production (shared by every process), locmem
when embedded. Keys are namespaced by the database name so two deployments, or two test
runs, sharing one Redis never share counters. Limits come from
``settings.BAAS_AUTH_RATE_LIMITS`` (``{bucket: (max, seconds)}``), merged over the
defaults below; ``settings.BAAS_RATE_LIMIT_NAMESPACE`` replaces the database name.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from baas.api.errors import TooManyRequests

log = logging.getLogger("baas.auth")

DEFAULTS: dict[str, tuple[int, int]] = {
    # failed sign-ins (password, OTP, MFA codes) from one IP / against one identity
    "fail-ip": (50, 600),
    "fail-identity": (10, 600),
    # requests that send email (verification, reset, OTP, email change), per IP
    "mail-ip": (30, 600),
    # mails to one address: beyond this the request still answers 204 but sends nothing
    "mail-identity": (3, 600),
    # any other auth attempt (OAuth2 code exchange, impersonate), per IP
    "attempt-ip": (600, 60),
}


def _limit(bucket: str) -> tuple[int, int]:
    overrides: dict[str, Any] = getattr(settings, "BAAS_AUTH_RATE_LIMITS", {}) or {}
    value = overrides.get(bucket, DEFAULTS[bucket])
    return int(value[0]), int(value[1])


def _key(bucket: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    namespace = getattr(settings, "BAAS_RATE_LIMIT_NAMESPACE", "") or connection.settings_dict.get(
        "NAME", ""
    )
    return f"baas:rl:{namespace}:{bucket}:{digest}"


def client_ip(request: Any) -> str:
    """The caller's address (``trustedProxy`` honoured: behind nginx, the client's)."""
    from baas.api.client import client_ip as caller_ip

    return caller_ip(request) or "unknown"


def _cache_down(exc: Exception) -> bool:
    """Fix (baas.backups' outage tests): with Redis down every sign-in answered 500.
    Rate limits fail open instead (counted as 0, logged) and count again once Redis
    answers; the sign-in itself does not need Redis."""
    import redis

    if isinstance(exc, redis.RedisError | OSError):
        log.warning("rate limits off: the cache is unavailable (%s)", exc)
        return True
    return False


def count(bucket: str, subject: str) -> int:
    try:
        return int(cache.get(_key(bucket, subject), 0) or 0)
    except Exception as exc:
        if _cache_down(exc):
            return 0
        raise


def exceeded(bucket: str, subject: str) -> bool:
    maximum, _ = _limit(bucket)
    return count(bucket, subject) >= maximum


def hit(bucket: str, subject: str) -> int:
    """Count one event; the counter expires ``seconds`` after the first one."""
    try:
        return _hit(bucket, subject)
    except Exception as exc:
        if _cache_down(exc):
            return 0
        raise


def _hit(bucket: str, subject: str) -> int:
    _, window = _limit(bucket)
    key = _key(bucket, subject)
    if cache.add(key, 1, window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return 1


def guard(bucket: str, subject: str) -> None:
    """429 when the bucket is already full (checked before doing the work)."""
    if exceeded(bucket, subject):
        raise TooManyRequests()


def consume(bucket: str, subject: str) -> None:
    """Count one event and 429 when it goes over the limit."""
    maximum, _ = _limit(bucket)
    if hit(bucket, subject) > maximum:
        raise TooManyRequests()


def guard_failures(request: Any, identity: str) -> None:
    guard("fail-ip", client_ip(request))
    if identity:
        guard("fail-identity", identity)


def record_failure(request: Any, identity: str) -> None:
    hit("fail-ip", client_ip(request))
    if identity:
        hit("fail-identity", identity)
