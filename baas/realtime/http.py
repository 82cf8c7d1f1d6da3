"""Small ASGI helpers for the realtime endpoints (they run outside Django's stack,
so the headers Django's middleware adds are added here: wire-api §0)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from baas.api.errors import ApiError
from baas.api.middleware import SECURITY_HEADERS, CorsMiddleware

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 4 * 1024 * 1024  # 1000 topics of 2500 characters fit

_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class BodyTooLarge(Exception):
    pass


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def response_headers(scope: Scope, extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    headers = [*extra, *_SECURITY, (b"vary", b"Origin")]
    if header(scope, b"origin"):
        headers.append((b"access-control-allow-origin", b"*"))
    return headers


async def send_json(scope: Scope, send: Send, status: int, body: Any) -> None:
    data = orjson.dumps(body)
    headers = response_headers(
        scope,
        [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
    )
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def send_error(scope: Scope, send: Send, error: ApiError) -> None:
    await send_json(scope, send, error.status, error.body())


async def send_empty(
    scope: Scope, send: Send, status: int, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = response_headers(scope, [*(extra or []), (b"content-length", b"0")])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def preflight(scope: Scope, send: Send) -> None:
    """CORS preflight, answered like ``CorsMiddleware`` does for the rest of the API."""
    requested = header(scope, b"access-control-request-headers")
    await send_empty(
        scope,
        send,
        204,
        [
            (
                b"access-control-allow-headers",
                (requested or CorsMiddleware.allow_headers).encode("latin-1"),
            ),
            (b"access-control-allow-methods", CorsMiddleware.allow_methods.encode()),
            (b"access-control-max-age", b"86400"),
        ],
    )


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes | None:
    """The request body, or None when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
