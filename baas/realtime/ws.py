"""``/api/ws``: our WebSocket feed (DESIGN §1, §6), beyond what the SDKs' SSE offers.

The same record topics as ``/api/realtime``, plus client-to-client broadcast
channels with presence; the message protocol is in docs/realtime.md.

A Channels consumer (routing and the WebSocket handshake are Channels'), but with
no channel layer: it is fed by this process's hub through the client's bounded
queue, like the SSE stream. A channel-layer hop per subscriber was measured 4–6×
slower (measurements.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qs

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer

from baas.api.errors import ApiError, BadRequest, Forbidden
from baas.hooks import realtime as connect_hooks
from baas.realtime import access, http, presence
from baas.realtime.clients import Client, identity
from baas.realtime.hub import Hub
from baas.realtime.subscriptions import validate_request

NO_CHANNEL_LAYER = "baas-realtime-has-no-channel-layer"  # an alias Channels does not know
CLOSE_TOO_SLOW = 4008


class WebSocketConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER

    def __init__(self, *args: Any, hub: Hub, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = hub

    async def dispatch(self, message: Any) -> None:
        # Channels runs close_old_connections() in a thread before every message;
        # no database work happens on this loop (it runs in the hub's pool threads,
        # which do their own housekeeping), so that hop is skipped.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        client = Client(id=self.hub.new_client_id(), ip=http.client_ip(self.scope), kind="ws")
        await self.accept()
        refusal = await connect_hooks.refused(self.scope, client.id, "ws", client.ip)
        if refusal is not None:  # docs/hooks.md: close code 4000 + the error's status
            await self.close(code=4000 + refusal.status, reason=refusal.message[:120])
            return
        self.client = client
        token = http.header(self.scope, b"authorization") or _query_token(self.scope)
        if token:
            auth = await self.hub.run_sync(access.resolve_auth, token)
            self.hub.set_auth(self.client, auth)
        self.hub.add(self.client)
        self.pump = asyncio.create_task(self._pump())
        self.client.task = self.pump
        await self._send({"type": "hello", "clientId": self.client.id})

    async def disconnect(self, code: int) -> None:
        self.disconnected = True
        client = getattr(self, "client", None)
        if client is not None:
            self.hub.remove(client)
            self.pump.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = orjson.loads(text_data if text_data is not None else bytes_data or b"")
        except orjson.JSONDecodeError:
            await self._send({"type": "error", "status": 400, "message": "Invalid JSON."})
            return
        if not isinstance(message, dict):
            message = {}
        ref = message.get("ref")
        handler = getattr(self, f"on_{message.get('type')}", None)
        try:
            if handler is None:
                raise BadRequest("Unknown message type.")
            reply = await handler(message)
        except ApiError as error:
            reply = {"type": "error", "status": error.status, "message": error.message}
            if error.data:
                reply["data"] = error.data
        if reply is not None:
            if ref is not None:
                reply["ref"] = ref
            await self._send(reply)

    # ---- client messages (docs/realtime.md) --------------------------------------------------
    async def on_ping(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"type": "pong"}

    async def on_auth(self, message: dict[str, Any]) -> dict[str, Any]:
        auth = await self.hub.run_sync(access.resolve_auth, str(message.get("token") or ""))
        if identity(auth) is None and message.get("token"):
            raise BadRequest("Invalid or expired token.")
        error = self.hub.change_auth(self.client, auth)
        if error is not None:
            raise error
        return {"type": "ok", "auth": presence.member_of(self.client, None)["auth"]}

    async def on_subscribe(self, message: dict[str, Any]) -> dict[str, Any]:
        _, topics = validate_request(
            {"clientId": self.client.id, "subscriptions": message.get("topics")}
        )
        self.hub.subscribe(self.client, topics)
        return {"type": "ok", "topics": topics}

    async def on_join(self, message: dict[str, Any]) -> dict[str, Any]:
        channel = _channel(message)
        meta = message.get("meta")
        if len(orjson.dumps(meta)) > presence.MAX_META_BYTES:
            raise BadRequest("The member meta is too large.")
        held = self.hub.presence.channels_of(self.client)
        if channel not in held and len(held) >= presence.MAX_CHANNELS_PER_CLIENT:
            raise BadRequest("Too many channels.")
        if not await self.hub.run_sync(presence.may_join, self.client.auth, channel):
            raise Forbidden("You are not allowed to join this channel.")
        members = self.hub.presence.join(self.client, channel, meta)
        return {"type": "joined", "channel": channel, "members": members}

    async def on_leave(self, message: dict[str, Any]) -> dict[str, Any]:
        self.hub.presence.leave(self.client, _channel(message))
        return {"type": "ok"}

    async def on_broadcast(self, message: dict[str, Any]) -> dict[str, Any] | None:
        channel = _channel(message)
        if not self.hub.presence.send(self.client, channel, message.get("data")):
            raise Forbidden("Join the channel first.")
        return {"type": "ok"} if message.get("ref") is not None else None

    async def on_presence(self, message: dict[str, Any]) -> dict[str, Any]:
        channel = _channel(message)
        if channel not in self.hub.presence.channels_of(self.client):
            raise Forbidden("Join the channel first.")
        return {
            "type": "presence_state",
            "channel": channel,
            "members": self.hub.presence.who(channel),
        }

    # ---- sending -------------------------------------------------------------------------
    async def _pump(self) -> None:
        try:
            while True:
                name, data = await self.client.queue.get()
                if name is None:
                    await self.send(text_data=data.decode())
                else:  # a record or custom event: data is its JSON already
                    frame = b'{"type":"event","topic":%s,"data":%s}' % (orjson.dumps(name), data)
                    await self.send(text_data=frame.decode())
        except asyncio.CancelledError:
            # closed by the hub: too slow, or the server is stopping (1001: going away)
            if not getattr(self, "disconnected", False):
                with contextlib.suppress(Exception):
                    await self.close(code=CLOSE_TOO_SLOW if self.client.dropped_as_slow else 1001)
            raise

    async def _send(self, message: dict[str, Any]) -> None:
        self.client.push((None, orjson.dumps(message)))


def _channel(message: dict[str, Any]) -> str:
    channel = message.get("channel")
    if not isinstance(channel, str) or not channel or len(channel) > presence.MAX_CHANNEL_LENGTH:
        raise BadRequest("A channel name (1 to 255 characters) is required.")
    return channel


def _query_token(scope: http.Scope) -> str:
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    return (query.get("token") or [""])[0]
