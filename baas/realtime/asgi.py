"""The realtime ASGI application that ``baas.server`` routes ``/api/realtime*`` and
``/api/ws*`` to (DESIGN §8), with the lifespan hooks that start this process's hub."""

from __future__ import annotations

import asyncio

from baas.api.errors import NotFound
from baas.realtime import http, hub, sse

_starting: asyncio.Lock | None = None


async def startup() -> None:
    await _hub()


async def shutdown() -> None:
    await hub.stop()


async def _hub() -> hub.Hub:
    """This process's hub; started on first use where no lifespan ran (tests)."""
    global _starting
    current = hub.current()
    if current is not None:
        return current
    if _starting is None:
        _starting = asyncio.Lock()
    async with _starting:
        return await hub.start()


async def application(scope: http.Scope, receive: http.Receive, send: http.Send) -> None:
    path = scope["path"].rstrip("/") or "/"
    if scope["type"] == "websocket":
        if path == "/api/ws":
            from baas.realtime.ws import WebSocketConsumer

            await WebSocketConsumer.as_asgi(hub=await _hub())(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008})
        return
    method = scope.get("method", "GET")
    if path != "/api/realtime":
        await http.send_error(scope, send, NotFound())
    elif method == "GET":
        await sse.stream(scope, receive, send, await _hub())
    elif method == "POST":
        await sse.set_subscriptions(scope, receive, send, await _hub())
    elif method == "OPTIONS":
        await http.preflight(scope, send)
    else:
        await http.send_error(scope, send, NotFound())
