"""``/api/realtime``: the SDKs' server-sent events (wire-api §6), as native ASGI.

Not a Django view: measured, an async Django ``StreamingHttpResponse`` per client
was slower than a plain handler fed by an in-process queue (measurements.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import parse_qs

import orjson
from django.conf import settings

from baas.api.errors import ApiError, BadRequest
from baas.hooks import realtime as connect_hooks
from baas.realtime import http
from baas.realtime.clients import Client
from baas.realtime.hub import Hub
from baas.realtime.subscriptions import validate_request

CONNECT_EVENT = "PB_CONNECT"
BATCH = 64  # queued messages sent in one write


def idle_timeout() -> float:
    return float(getattr(settings, "BAAS_REALTIME_IDLE_TIMEOUT", 300))


def max_lifetime() -> float:
    return float(getattr(settings, "BAAS_REALTIME_MAX_LIFETIME", 1800))


def frame(client_id: bytes, name: str, data: bytes) -> bytes:
    """wire-api §6.1: ``id:…\\nevent:…\\ndata:…\\n\\n``, no space after the colons."""
    return b"id:%s\nevent:%s\ndata:%s\n\n" % (client_id, name.encode(), data)


async def stream(scope: http.Scope, receive: http.Receive, send: http.Send, hub: Hub) -> None:
    client = Client(id=hub.new_client_id(), ip=http.client_ip(scope))
    refusal = await connect_hooks.refused(scope, client.id, "sse", client.ip)  # docs/hooks.md
    if refusal is not None:
        await http.send_error(scope, send, refusal)
        return
    client.task = asyncio.current_task()
    hub.add(client)
    watcher = asyncio.create_task(_watch_disconnect(receive, client))
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": http.response_headers(
                    scope,
                    [
                        (b"content-type", b"text/event-stream"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),
                    ],
                ),
            }
        )
        await _pump(client, send)
    except (asyncio.CancelledError, OSError, RuntimeError):
        pass  # the client went away (or was dropped as too slow)
    finally:
        watcher.cancel()
        hub.remove(client)
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _pump(client: Client, send: http.Send) -> None:
    client_id = client.id.encode()
    connect = orjson.dumps({"clientId": client.id})
    await send(
        {
            "type": "http.response.body",
            "body": frame(client_id, CONNECT_EVENT, connect),
            "more_body": True,
        }
    )
    idle, lifetime = idle_timeout(), max_lifetime()
    last_sent = time.monotonic()
    # wire-api §6.1: idle for 5 minutes, or 30 minutes old, the stream ends (the SDK
    # reconnects). One timer per client enforces it, re-armed only when it fires:
    # ``wait_for`` per message made a task and a timer for every delivery
    # (bench/PROFILE.md §8). It interrupts the pump only while it waits for a message.
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    waiting = expired = False
    timer: asyncio.TimerHandle | None = None

    def check() -> None:
        nonlocal timer, expired
        remaining = min(last_sent + idle, client.created + lifetime) - time.monotonic()
        if remaining <= 0 and waiting and task is not None:
            expired = True
            task.cancel()
            return
        timer = loop.call_later(max(remaining, 0.05), check)

    first = min(last_sent + idle, client.created + lifetime) - last_sent
    timer = loop.call_later(max(first, 0), check)
    try:
        while not client.gone.is_set():
            waiting = True
            try:
                name, data = await client.queue.get()
            finally:
                waiting = False
            chunks = [frame(client_id, name or "", data)]
            while len(chunks) < BATCH and not client.queue.empty():
                name, data = client.queue.get_nowait()
                chunks.append(frame(client_id, name or "", data))
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
            last_sent = time.monotonic()
    except asyncio.CancelledError:
        if not expired or task is None:
            raise
        task.uncancel()  # our own deadline: end the stream as a normal return does
    finally:
        if timer is not None:
            timer.cancel()


async def _watch_disconnect(receive: http.Receive, client: Client) -> None:
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass
    client.close()


async def set_subscriptions(
    scope: http.Scope, receive: http.Receive, send: http.Send, hub: Hub
) -> None:
    """``POST /api/realtime`` (wire-api §6.2); the client may be held by another process."""
    try:
        raw = await http.read_body(receive)
        if raw is None:
            return
        client_id, topics = validate_request(_parse_body(scope, raw))
        error = await hub.set_subscriptions(
            client_id, topics, http.header(scope, b"authorization"), http.client_ip(scope)
        )
    except http.BodyTooLarge:
        error = BadRequest()
    except ApiError as exc:
        error = exc
    if error is not None:
        await http.send_error(scope, send, error)
    else:
        await http.send_empty(scope, send, 204)


def _parse_body(scope: http.Scope, raw: bytes) -> object:
    content_type = http.header(scope, b"content-type").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(raw.decode("utf-8", "replace"))
        return {
            "clientId": (form.get("clientId") or [""])[0],
            "subscriptions": form.get("subscriptions", []),
        }
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest() from None
