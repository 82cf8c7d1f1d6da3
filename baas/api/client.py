"""Who is calling: the client's IP address, as the ``trustedProxy`` setting says.

Behind a reverse proxy (nginx, a load balancer) the socket peer is the proxy; the
client's address is in a header the proxy sets. The settings API's ``trustedProxy``
(wire-api §7.3: ``headers``, ``useLeftmostIP``) names the headers to believe. Everything
that needs the caller's address — rate limits, ``superuserIPs``, request logs, auth
origins — asks here, so they all agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def forwarded_ip(proxy: dict[str, Any], header: Callable[[str], str | None], peer: str) -> str:
    """The first trusted header present (its leftmost or rightmost entry), else ``peer``.

    Rightmost is the default: it is the address the last (trusted) proxy saw, which a
    client cannot forge by sending the header itself.
    """
    for name in proxy.get("headers") or []:
        value = header(str(name)) or ""
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if parts:
            return parts[0] if proxy.get("useLeftmostIP") else parts[-1]
    return peer


def client_ip(request: Any) -> str:
    """The caller's IP for a Django or DRF request ("" when unknown)."""
    from baas.settings_api.service import current

    raw = getattr(request, "_request", request)
    peer = str(raw.META.get("REMOTE_ADDR", "") or "")
    return forwarded_ip(current()["trustedProxy"], raw.headers.get, peer)
