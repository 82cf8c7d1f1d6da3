"""Stands in for ``baas.realtime.asgi`` in the router tests: records what it got."""

from __future__ import annotations

from typing import Any

events: list[Any] = []


async def startup() -> None:
    events.append("startup")


async def shutdown() -> None:
    events.append("shutdown")


async def application(scope: dict, receive: Any, send: Any) -> None:
    events.append((scope["type"], scope["path"]))
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream")],
        }
    )
    await send({"type": "http.response.body", "body": b"id:x\nevent:PB_CONNECT\ndata:{}\n\n"})
