"""The per-process realtime hub: connected clients, their subscriptions, and delivery.

One hub per serving process, on its event loop. It receives every bus message
(record events, custom messages, subscription requests routed from other
processes), decides who gets what (``access`` runs the database checks in a small
thread pool, off the loop) and puts the results in the clients' bounded queues.
Record events are delivered in the order they arrived, while the checks of the
next events already run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from baas.api.errors import ApiError, BadRequest, Forbidden, NotFound
from baas.realtime import access, bus
from baas.realtime.clients import Client, identity
from baas.realtime.presence import ALIVE_EVERY, Presence
from baas.realtime.subscriptions import parse

log = logging.getLogger("baas.realtime")

CHECK_THREADS = 2
MAX_PENDING_EVENTS = 10_000  # events whose checks wait; past that, memory is kept bounded
REMOTE_TIMEOUT = 10.0  # seconds to wait for the (existing) process that holds a client
CLIENT_ID_LENGTH = 40  # wire-api §6.1

Handler = Callable[[bus.Message], Awaitable[None] | None]


class Hub:
    def __init__(self) -> None:
        self.publisher = bus.publisher()
        self.process_id = self.publisher.process_id
        self.clients: dict[str, Client] = {}
        self.topics: dict[str, set[Client]] = defaultdict(set)
        self.by_auth: dict[tuple[str, str], set[Client]] = defaultdict(set)
        self.handlers: dict[str, Handler] = {
            "record": self._on_record,
            "custom": self._on_custom,
            "sub": self._on_subscription_request,
            "reply": self._on_reply,
        }
        self.replies: dict[str, asyncio.Future[bus.Message]] = {}
        self.executor = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="baas-realtime")
        self.inbox: asyncio.Queue[bus.Message] = asyncio.Queue()
        self.ordered: asyncio.Queue[tuple[asyncio.Future[Any], list[tuple[Client, str]]]] = (
            asyncio.Queue()
        )
        self.tasks: list[asyncio.Task[Any]] = []
        self.background: set[asyncio.Task[Any]] = set()
        self.skipped = 0
        self.presence = Presence(self)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread = 0

    # ---- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        ready = asyncio.Event()
        self.tasks = [
            asyncio.create_task(bus.listen(self.process_id, self.receive, ready)),
            asyncio.create_task(self._dispatch()),
            asyncio.create_task(self._push_in_order()),
            asyncio.create_task(self._heartbeat()),
        ]
        self.publisher.local_sink = self.receive
        self._end_streams_on_shutdown()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), 5)
        bus.publish({"k": "ws.sync"})  # the other processes tell who is in their channels

    async def stop(self) -> None:
        self.presence.goodbye()
        self.publisher.local_sink = None
        bus.mark_live(self.process_id, False)
        for client in list(self.clients.values()):
            client.close()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _end_streams_on_shutdown(self) -> None:
        """granian waits for open connections before it stops a worker, and an idle SSE
        stream stays open for minutes: on SIGTERM/SIGINT, end every stream first (the
        SDKs reconnect, to another worker or server), then let granian's own handler run.
        The loop's handler still fires: it is woken through the signal wakeup fd."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                previous = signal.getsignal(signum)
            except ValueError:
                return

            def handler(number: int, frame: Any, previous: Any = previous) -> None:
                for client in list(self.clients.values()):
                    client.close()
                if callable(previous):
                    previous(number, frame)

            try:
                signal.signal(signum, handler)
            except ValueError:  # not the main thread (in-process tests): nothing to do
                return

    def receive(self, message: bus.Message) -> None:
        """Any thread: queue a bus message for the loop. A record event is dropped at
        once while this process holds no client (nobody here could be sent it)."""
        if message.get("k") == "record" and not self.clients and not self.by_auth:
            return
        if threading.get_ident() == self.loop_thread:
            self.inbox.put_nowait(message)
        elif self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.inbox.put_nowait, message)

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Database work, in the hub's bounded pool (each thread keeps its connection)."""
        assert self.loop is not None
        return await self.loop.run_in_executor(self.executor, fn, *args)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(ALIVE_EVERY)
            self.presence.announce()
            self.presence.expire()

    # ---- clients ---------------------------------------------------------------------------
    def new_client_id(self) -> str:
        """40 alphanumerics (wire-api §6.1); the first 8 name this process, so a
        subscription POST that lands on another process is routed here."""
        return self.process_id + bus.random_id(CLIENT_ID_LENGTH - bus.PROCESS_ID_LENGTH)

    def add(self, client: Client) -> None:
        if not self.clients:  # before the client learns its id, so before it subscribes
            bus.mark_live(self.process_id, True)
        self.clients[client.id] = client

    def remove(self, client: Client) -> None:
        client.close()
        self.presence.leave_all(client)
        if self.clients.pop(client.id, None) is not None and not self.clients:
            bus.mark_live(self.process_id, False)
        self._unindex(client)
        identity = client.auth_identity
        if identity is not None:
            self.by_auth[identity].discard(client)
            if not self.by_auth[identity]:
                del self.by_auth[identity]

    def set_auth(self, client: Client, auth: Any) -> None:
        old = client.auth_identity
        if old is not None:
            self.by_auth[old].discard(client)
            if not self.by_auth[old]:
                del self.by_auth[old]
        client.auth = auth
        new = client.auth_identity
        if new is not None:
            self.by_auth[new].add(client)

    def subscribe(self, client: Client, keys: list[str]) -> None:
        """Replace the client's subscriptions (wire-api §6.2: the POST sends the whole set)."""
        self._unindex(client)
        client.subscriptions = {key: parse(key) for key in keys}
        for sub in client.subscriptions.values():
            self.topics[sub.topic].add(client)

    def _unindex(self, client: Client) -> None:
        for sub in client.subscriptions.values():
            holders = self.topics.get(sub.topic)
            if holders is not None:
                holders.discard(client)
                if not holders:
                    del self.topics[sub.topic]

    # ---- subscription requests -------------------------------------------------------------
    async def set_subscriptions(
        self, client_id: str, keys: list[str], token: str, ip: str
    ) -> ApiError | None:
        """The POST /api/realtime of wire-api §6.2, wherever the client is held."""
        owner = client_id[: bus.PROCESS_ID_LENGTH]
        if owner == self.process_id or len(client_id) != CLIENT_ID_LENGTH:
            return await self._set_local(client_id, keys, token, ip)
        answer = await self.request(
            owner, {"k": "sub", "client": client_id, "subs": keys, "token": token, "ip": ip}
        )
        if answer is None:  # no such process (any more): the client is unknown
            return NotFound(MISSING_CLIENT)
        status = int(answer.get("status", 204))
        return None if status == 204 else ApiError(answer.get("message"), status=status)

    async def _set_local(
        self, client_id: str, keys: list[str], token: str, ip: str
    ) -> ApiError | None:
        client = self.clients.get(client_id)
        if client is None:
            return NotFound(MISSING_CLIENT)
        if client.ip != ip:
            return BadRequest("Invalid realtime client.")
        auth = await self.run_sync(access.resolve_auth, token)
        error = self.change_auth(client, auth)
        if error is None:
            self.subscribe(client, keys)
        return error

    def change_auth(self, client: Client, auth: Any) -> ApiError | None:
        """wire-api §6.2: a guest may become a user; any other change of identity is 403
        (the same user with a new token refreshes the stored auth)."""
        new = identity(auth)
        if client.auth_identity is not None and client.auth_identity != new:
            return Forbidden("The current and the previous request authorization don't match.")
        if new is not None:
            self.set_auth(client, auth)
        return None

    async def _on_subscription_request(self, message: bus.Message) -> None:
        error = await self._set_local(
            str(message.get("client", "")),
            [str(k) for k in message.get("subs") or []],
            str(message.get("token") or ""),
            str(message.get("ip") or ""),
        )
        answer: bus.Message = {"k": "reply", "rid": message.get("rid"), "status": 204}
        if error is not None:
            answer.update(status=error.status, message=error.message)
        bus.publish(answer, to=str(message.get("reply")))

    async def request(self, process_id: str, message: bus.Message) -> bus.Message | None:
        """Send ``message`` to one process and wait for its reply (None: no answer)."""
        assert self.loop is not None
        rid = bus.random_id(16)
        future: asyncio.Future[bus.Message] = self.loop.create_future()
        self.replies[rid] = future
        request = {**message, "rid": rid, "reply": self.process_id}
        try:
            if not await asyncio.to_thread(bus.send_now, request, process_id):
                return None  # no such process: answered at once, without the timeout
            return await asyncio.wait_for(future, REMOTE_TIMEOUT)
        except TimeoutError:
            return None
        finally:
            self.replies.pop(rid, None)

    def _on_reply(self, message: bus.Message) -> None:
        future = self.replies.get(str(message.get("rid")))
        if future is not None and not future.done():
            future.set_result(message)

    # ---- delivery ------------------------------------------------------------------------
    async def _dispatch(self) -> None:
        while True:
            message = await self.inbox.get()
            handler = self.handlers.get(str(message.get("k")))
            if handler is None:
                continue
            try:
                result = handler(message)
                if asyncio.iscoroutine(result):  # a request: it waits on the database
                    task = asyncio.create_task(result)
                    self.background.add(task)  # the loop keeps only weak references
                    task.add_done_callback(self.background.discard)
            except Exception:
                log.exception("realtime: handling %s failed", message.get("k"))

    def _on_record(self, message: bus.Message) -> None:
        collection_id, name = str(message.get("c")), str(message.get("n"))
        action, row = str(message.get("a")), message.get("r")
        if not isinstance(row, dict) or not row.get("id"):
            return
        record_id = row["id"]
        topics = {
            f"{name}/{record_id}": "viewRule",
            f"{collection_id}/{record_id}": "viewRule",
            f"{name}/*": "listRule",
            f"{collection_id}/*": "listRule",
            name: "listRule",  # legacy topic (wire-api §6.3)
            collection_id: "listRule",
        }
        targets: list[tuple[Client, str]] = []
        deliveries: list[access.Delivery] = []
        for topic, rule in topics.items():
            for client in self.topics.get(topic, ()):
                for sub in client.by_topic(topic):
                    targets.append((client, sub.key))
                    deliveries.append(access.Delivery(client.auth, sub, rule))
        if deliveries and self.ordered.qsize() >= MAX_PENDING_EVENTS:
            self.skipped += 1
            if self.skipped % 1000 == 1:
                log.warning("realtime checks are behind; %d events skipped", self.skipped)
        elif deliveries:
            assert self.loop is not None
            future = self.loop.run_in_executor(
                self.executor, access.shape_event, collection_id, action, row, deliveries
            )
            self.ordered.put_nowait((future, targets))
        for client in list(self.by_auth.get((collection_id, record_id), ())):
            self.set_auth(client, access.with_auth_update(client.auth, action, row))

    async def _push_in_order(self) -> None:
        while True:
            future, targets = await self.ordered.get()
            try:
                payloads = await future
            except Exception:
                log.exception("realtime: access check failed")
                continue
            for (client, key), payload in zip(targets, payloads, strict=True):
                if payload is not None:
                    client.push((key, payload))

    def _on_custom(self, message: bus.Message) -> None:
        topic, to = str(message.get("topic")), message.get("to")
        data = orjson.dumps(message.get("data"))
        if to:
            holders = [self.clients[to]] if to in self.clients else []
        else:
            holders = list(self.topics.get(topic, ()))
        for client in holders:
            for sub in client.by_topic(topic):
                client.push((sub.key, data))


MISSING_CLIENT = "Missing or invalid client id."

_hub: Hub | None = None


def current() -> Hub | None:
    return _hub


async def start() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub()
        await _hub.start()
    return _hub


async def stop() -> None:
    global _hub
    if _hub is not None:
        hub, _hub = _hub, None
        await hub.stop()
