"""The ``X-Baas-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.

Like Stripe's: the MAC covers ``f"{t}.{body}"`` with the webhook's secret, so a
receiver checks the body it got and rejects old timestamps (replays of a captured
request). ``docs/webhooks.md`` has the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Baas-Signature"
TOLERANCE = 300  # seconds a receiver should accept


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: int = TOLERANCE) -> bool:
    """The receiver's check (also used by the tests): a matching v1 within the tolerance."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
