"""GraphQL over WebSocket at ``/api/graphql``: the graphql-transport-ws protocol
(the ``graphql-ws`` library's, which Apollo, urql and Relay clients speak).

A subscription is a subscription on this process's realtime hub (``baas.realtime``),
exactly as if the client had subscribed to ``<collection>/*`` or ``<collection>/<id>``
over ``/api/ws`` with the given ``filter``: the hub checks every delivery with the
collection's list/view rule and the subscriber's auth (``@request.context =
"realtime"``) and shapes the record with ``serialize``; only then is the event run
through the subscription's selection set here, where nested relations are resolved
through the record service with the same auth. Queries and mutations sent on the
socket run as over HTTP. Like ``/api/ws``, no channel layer: the hub feeds the
connection's bounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections
from graphql import FragmentDefinitionNode, GraphQLObjectType, OperationType
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values

from baas.api.errors import ApiError, Forbidden
from baas.auth import apikeys
from baas.auth.context import GUEST, AuthContext
from baas.collections.records import rules
from baas.collections.records.service import Call
from baas.graphql import execution
from baas.graphql import schema as schemas
from baas.graphql.resolvers import nodes_of
from baas.realtime import access, http
from baas.realtime.clients import Client, identity
from baas.realtime.hub import Hub

PROTOCOL = "graphql-transport-ws"
NO_CHANNEL_LAYER = "baas-graphql-has-no-channel-layer"
INIT_TIMEOUT = 10.0
MAX_OPERATIONS = 100
# graphql-transport-ws close codes
BAD_MESSAGE, UNAUTHORIZED, FORBIDDEN, NOT_ACCEPTABLE = 4400, 4401, 4403, 4406
INIT_TIMED_OUT, DUPLICATE_ID, DUPLICATE_INIT, TOO_SLOW = 4408, 4409, 4429, 4008
REVOKED = "The API key has been revoked or has expired."


@dataclass
class Operation:
    """A running subscription: its document and its key on the hub."""

    id: str
    payload: dict[str, Any]
    prepared: execution.Prepared
    key: str


class GraphQLSocket(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER

    def __init__(self, *args: Any, hub: Hub, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = hub
        self.acked = False
        self.initialising = False
        self.operations: dict[str, Operation | None] = {}  # None: being prepared
        self.by_key: dict[str, str] = {}

    async def dispatch(self, message: Any) -> None:
        # As baas.realtime.ws: no database work on this loop, so Channels' per-message
        # close_old_connections() hop is skipped.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        if PROTOCOL not in self.scope.get("subprotocols", []):
            await self.close(code=NOT_ACCEPTABLE)
            return
        await self.accept(subprotocol=PROTOCOL)
        self.client = Client(id=self.hub.new_client_id(), ip=http.client_ip(self.scope), kind="ws")
        self.token = http.header(self.scope, b"authorization") or _query_token(self.scope)
        self.hub.add(self.client)
        self.pump = asyncio.create_task(self._pump())
        self.client.task = self.pump
        self.timer = asyncio.create_task(self._init_deadline())

    async def disconnect(self, code: int) -> None:
        self.disconnected = True
        client = getattr(self, "client", None)
        if client is not None:
            self.hub.remove(client)
            self.pump.cancel()
            self.timer.cancel()

    async def _init_deadline(self) -> None:
        await asyncio.sleep(INIT_TIMEOUT)
        if not self.acked:
            await self.close(code=INIT_TIMED_OUT, reason="Connection initialisation timeout")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = orjson.loads(text_data if text_data is not None else bytes_data or b"")
        except orjson.JSONDecodeError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
        if handler is None or kind in ("connection_ack", "next", "error"):
            await self.close(code=BAD_MESSAGE, reason="Invalid message received")
            return
        assert isinstance(message, dict)
        await handler(message)

    # ---- client messages -------------------------------------------------------------------
    async def on_connection_init(self, message: dict[str, Any]) -> None:
        if self.acked or self.initialising:
            await self.close(code=DUPLICATE_INIT, reason="Too many initialisation requests")
            return
        self.initialising = True
        payload = message.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        token = next(
            (
                str(payload[k])
                for k in ("Authorization", "authorization", "token")
                if isinstance(payload.get(k), str) and payload[k]
            ),
            self.token,
        )
        auth: AuthContext = GUEST
        if token:
            auth = await self.hub.run_sync(access.resolve_auth, token)
            if identity(auth) is None:
                await self.close(code=FORBIDDEN, reason="Forbidden")
                return
        self.hub.set_auth(self.client, auth)
        self.acked = True
        self._send({"type": "connection_ack"})

    async def on_ping(self, message: dict[str, Any]) -> None:
        self._send({"type": "pong"})

    async def on_pong(self, message: dict[str, Any]) -> None:
        return None

    async def on_subscribe(self, message: dict[str, Any]) -> None:
        if not self.acked:
            await self.close(code=UNAUTHORIZED, reason="Unauthorized")
            return
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            await self.close(code=BAD_MESSAGE, reason="Invalid message received")
            return
        if op_id in self.operations:
            await self.close(code=DUPLICATE_ID, reason=f"Subscriber for {op_id} already exists")
            return
        if len(self.operations) >= MAX_OPERATIONS:
            self._send(
                {"type": "error", "id": op_id, "payload": [{"message": "Too many operations."}]}
            )
            return
        self.operations[op_id] = None
        kind, result = await asyncio.to_thread(_start, op_id, payload, self.client.auth)
        if op_id not in self.operations:
            return  # completed by the client meanwhile
        if kind == "error":
            del self.operations[op_id]
            self._send({"type": "error", "id": op_id, "payload": result})
        elif kind == "result":
            del self.operations[op_id]
            self._send({"type": "next", "id": op_id, "payload": result})
            self._send({"type": "complete", "id": op_id})
        else:
            self.operations[op_id] = result
            self.by_key[result.key] = op_id
            self._resubscribe()

    async def on_complete(self, message: dict[str, Any]) -> None:
        operation = self.operations.pop(str(message.get("id")), None)
        if operation is not None:
            self.by_key.pop(operation.key, None)
            self._resubscribe()

    def _resubscribe(self) -> None:
        self.hub.subscribe(self.client, list(self.by_key))

    # ---- sending -------------------------------------------------------------------------
    async def _pump(self) -> None:
        try:
            while True:
                key, data = await self.client.queue.get()
                if key is None:
                    await self.send(text_data=data.decode())
                    continue
                op_id = self.by_key.get(key)
                operation = self.operations.get(op_id) if op_id else None
                if operation is None:
                    continue
                kind, result = await asyncio.to_thread(_on_event, operation, data, self.client.auth)
                if self.operations.get(operation.id) is not operation:
                    continue
                if kind == "error":  # the collection changed so that the document no longer fits
                    await self.on_complete({"id": operation.id})
                    frame = {"type": "error", "id": operation.id, "payload": result}
                else:
                    frame = {"type": "next", "id": operation.id, "payload": result}
                await self.send(text_data=orjson.dumps(frame).decode())
        except asyncio.CancelledError:
            if not getattr(self, "disconnected", False):
                with contextlib.suppress(Exception):
                    await self.close(code=TOO_SLOW if self.client.dropped_as_slow else 1001)
            raise

    def _send(self, message: dict[str, Any]) -> None:
        """Through the client's queue, so protocol frames keep their order with events."""
        self.client.push((None, orjson.dumps(message)))


# ---- the database side (in a worker thread) --------------------------------------------------


def _start(op_id: str, payload: dict[str, Any], auth: AuthContext) -> tuple[str, Any]:
    """``("error", errors)``, ``("result", result)`` or ``("stream", Operation)``."""
    close_old_connections()
    if auth.api_key and not apikeys.still_valid({auth.id}):  # revoked or expired since the init
        return "error", [{"message": REVOKED, "extensions": {"status": 401, "data": {}}}]
    try:
        prepared = execution.prepare(
            payload.get("query"), payload.get("variables"), payload.get("operationName"), auth
        )
        if prepared.operation.operation != OperationType.SUBSCRIPTION:
            return "result", execution.run(prepared, Call(viewer=auth))
        return "stream", Operation(op_id, payload, prepared, _topic(op_id, prepared, auth))
    except execution.RequestError as error:
        return "error", error.errors
    except ApiError as error:
        return "error", [
            {"message": error.message, "extensions": {"status": error.status, "data": error.data}}
        ]


def _root_field(prepared: execution.Prepared) -> tuple[str, dict[str, Any]]:
    """The subscription's one root field (SingleFieldSubscriptionsRule) and its arguments."""
    schema = prepared.built.schema
    root = schema.subscription_type
    assert isinstance(root, GraphQLObjectType)
    fragments = {
        d.name.value: d
        for d in prepared.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    fields = collect_fields(
        schema,
        fragments,
        prepared.variables or {},
        root,
        prepared.operation.selection_set,
    )
    nodes = next(iter(fields.values()))
    name = nodes[0].name.value
    args = get_argument_values(root.fields[name], nodes[0], prepared.variables)
    return name, args


def _topic(op_id: str, prepared: execution.Prepared, auth: AuthContext) -> str:
    """The hub subscription key; refused up front where the realtime feed would only
    stay silent (a locked rule, an API key's scope, a filter that does not compile)."""
    name, args = _root_field(prepared)
    collection = prepared.built.collections[name]
    record_id, filter_text = args.get("id"), args.get("filter")
    if not auth.allows(collection, "view" if record_id else "list"):
        raise Forbidden("The API key is not allowed to perform this action.")
    call = Call(viewer=auth, context="realtime")
    rules.rule_condition(collection, "viewRule" if record_id else "listRule", auth, call.info())
    rules.client_filter(collection, filter_text, auth, call.info())
    query = {"graphql": op_id, **({"filter": filter_text} if filter_text else {})}
    options = quote(orjson.dumps({"query": query}).decode())
    return f"{collection.name}/{record_id or '*'}?options={options}"


def _on_event(operation: Operation, data: bytes, auth: AuthContext) -> tuple[str, Any]:
    """Run the event (already rule-checked and shaped by the hub) through the document,
    against the current schema (a changed schema re-validates the document first)."""
    close_old_connections()
    prepared = operation.prepared
    if schemas.schema_key() != prepared.built.key:
        payload = operation.payload
        try:
            prepared = execution.prepare(
                payload.get("query"), payload.get("variables"), payload.get("operationName"), auth
            )
        except execution.RequestError as error:
            return "error", error.errors
        operation.prepared = prepared
    name, _ = _root_field(prepared)
    collection = prepared.built.collections.get(name)
    if collection is None:
        return "error", [{"message": "The collection is gone."}]
    event = orjson.loads(data)
    root = {"action": event["action"], "record": nodes_of(collection, [event["record"]])[0]}
    return "result", execution.run(prepared, Call(viewer=auth, context="realtime"), root)


def _query_token(scope: http.Scope) -> str:
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    return (query.get("token") or [""])[0]


async def application(scope: http.Scope, receive: http.Receive, send: http.Send) -> None:
    """The ASGI app ``baas.server`` routes ``/api/graphql`` WebSockets to."""
    from baas.realtime.asgi import _hub

    await GraphQLSocket.as_asgi(hub=await _hub())(scope, receive, send)
