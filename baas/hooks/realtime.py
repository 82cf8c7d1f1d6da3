"""``realtime.connect``: hooks see every realtime connection before it is accepted.

Run for the SSE stream (``/api/realtime``) and the WebSocket feed (``/api/ws``), before
the client is registered: a handler may refuse the connection by raising ``HookError``
(or any ``ApiError``), which the client gets as that error (SSE: the response, in the
envelope; WebSocket: the close code 4000 + status, e.g. 4403). ``ctx.payload`` holds
``clientId``, ``transport`` (``"sse"``/``"ws"``), ``ip`` and ``headers`` (lower-case
names). The hooks run in a worker thread, off the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async

from baas.api.errors import ApiError
from baas.hooks import dispatch
from baas.hooks.context import HookContext

EVENT = "realtime.connect"


async def refused(
    scope: Mapping[str, Any], client_id: str, transport: str, ip: str
) -> ApiError | None:
    """The error a ``realtime.connect`` handler refused the connection with, or None."""
    if not dispatch.has_handlers(EVENT):
        return None
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    ctx = HookContext(
        event=EVENT,
        payload={"clientId": client_id, "transport": transport, "ip": ip, "headers": headers},
    )
    try:
        await sync_to_async(dispatch.run, thread_sensitive=False)(ctx)
    except ApiError as exc:
        return exc
    return None
