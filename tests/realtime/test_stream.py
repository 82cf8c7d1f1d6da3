"""The SSE handler and the hub in-process, for what a live server makes slow to test:
timeouts, slow clients, disconnects and subscription parsing."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import override_settings

from baas.realtime import asgi, hub
from baas.realtime.clients import Client
from baas.realtime.subscriptions import parse


class FakeConnection:
    """ASGI receive/send for one GET /api/realtime."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.disconnected = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/api/realtime",
    "headers": [],
    "client": ("127.0.0.1", 5),
}


def run(coro_fn, tmp_path, **settings: Any) -> Any:
    """Run ``coro_fn(hub)`` on a fresh loop with a started hub (its own socket dir)."""

    async def main() -> Any:
        current = await hub.start()
        try:
            return await coro_fn(current)
        finally:
            await hub.stop()

    # A thread of its own: a test elsewhere in the suite (a browser driver) may leave
    # an event loop running in this thread.
    with override_settings(BAAS_DATA_DIR=tmp_path, **settings), ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_an_idle_stream_is_closed_after_the_idle_timeout(tmp_path):
    async def scenario(current: hub.Hub) -> tuple[float, bytes]:
        connection = FakeConnection()
        started = time.monotonic()
        await asyncio.wait_for(asgi.application(SCOPE, connection.receive, connection.send), 5)
        return time.monotonic() - started, connection.body

    took, body = run(scenario, tmp_path, BAAS_REALTIME_IDLE_TIMEOUT=0.3)
    assert 0.25 < took < 2
    assert body.count(b"event:") == 1 and b"event:PB_CONNECT" in body


def test_a_busy_stream_still_ends_at_its_maximum_lifetime(tmp_path):
    async def scenario(current: hub.Hub) -> tuple[float, bytes]:
        connection = FakeConnection()
        task = asyncio.create_task(asgi.application(SCOPE, connection.receive, connection.send))
        await asyncio.sleep(0.05)
        (client,) = current.clients.values()
        current.subscribe(client, ["ticks"])
        started = time.monotonic()
        while not task.done():
            current.receive({"k": "custom", "topic": "ticks", "data": 1})
            await asyncio.sleep(0.05)
        return time.monotonic() - started, connection.body

    took, body = run(
        scenario, tmp_path, BAAS_REALTIME_IDLE_TIMEOUT=0.2, BAAS_REALTIME_MAX_LIFETIME=0.6
    )
    assert took < 1.5
    assert body.count(b"event:ticks") >= 5  # never idle, yet closed by the lifetime


def test_a_disconnect_frees_the_client(tmp_path):
    async def scenario(current: hub.Hub) -> tuple[int, int]:
        connection = FakeConnection()
        task = asyncio.create_task(asgi.application(SCOPE, connection.receive, connection.send))
        await asyncio.sleep(0.05)
        (client,) = current.clients.values()
        current.subscribe(client, ["a", "b/*"])
        during = len(current.topics)
        connection.disconnected.set()
        await asyncio.wait_for(task, 5)
        return during, len(current.clients) + len(current.topics)

    during, after = run(scenario, tmp_path)
    assert (during, after) == (2, 0)


def test_a_slow_client_is_dropped_without_holding_up_the_others(tmp_path):
    async def scenario(current: hub.Hub) -> tuple[bool, bool, int]:
        slow = Client(id="s" * 40, ip="", queue=asyncio.Queue(3))
        fast = Client(id="f" * 40, ip="")
        for client in (slow, fast):
            current.add(client)
            current.subscribe(client, ["news"])
        for n in range(5):
            current.receive({"k": "custom", "topic": "news", "data": n})
        await asyncio.sleep(0.1)
        return slow.dropped_as_slow, fast.gone.is_set(), fast.queue.qsize()

    slow_dropped, fast_gone, fast_queued = run(scenario, tmp_path)
    assert slow_dropped and not fast_gone
    assert fast_queued == 5


SUBSCRIPTIONS = [
    # (key, topic, query, headers, valid)
    ("posts/*", "posts/*", {}, {}, True),
    ("posts/abc?options=%7B%22query%22%3A%7B%22filter%22%3A%22a%3D1%22%2C%22n%22%3A5%7D%7D", "posts/abc", {"filter": "a=1", "n": "5"}, {}, True),
    ('posts?options={"headers":{"X-Room-Id":"7"}}', "posts", {}, {"x_room_id": "7"}, True),
    ("posts?options=%7Bbroken", "posts", {}, {}, False),
    ("@oauth2", "@oauth2", {}, {}, True),
]  # fmt: skip


@pytest.mark.parametrize("key, topic, query, headers, valid", SUBSCRIPTIONS)
def test_subscription_keys_are_parsed_like_the_sdk_builds_them(key, topic, query, headers, valid):
    sub = parse(key)
    assert (sub.key, sub.topic, sub.query, sub.headers, sub.valid) == (
        key,
        topic,
        query,
        headers,
        valid,
    )
