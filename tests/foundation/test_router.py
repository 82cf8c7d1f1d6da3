"""The path router under ``baas serve``: lifespan, realtime paths, the rest to Django."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from baas.server import Router
from tests.foundation import fake_realtime
from tests.foundation.test_bridge import http_scope, run_in_own_loop
from tests.foundation.test_health import HEALTHY, NOT_FOUND


async def run(app: Router, scope: dict[str, Any], incoming: list[dict] | None = None) -> list[dict]:
    queue = list(incoming or [{"type": "http.request", "body": b""}])
    sent: list[dict] = []

    async def receive() -> dict:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def ws_scope(path: str) -> dict[str, Any]:
    return {**http_scope("GET", path), "type": "websocket", "scheme": "ws"}


async def lifespan(app: Router) -> list[dict]:
    return await run(
        app, {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    )


@pytest.fixture
def events() -> list[Any]:
    fake_realtime.events.clear()
    return fake_realtime.events


def test_realtime_paths_go_to_the_realtime_module_and_the_rest_to_django(events):
    app = Router(realtime_module="tests.foundation.fake_realtime")

    async def scenario() -> tuple[list, list, list, list]:
        sse = await run(app, http_scope("GET", "/api/realtime"))
        ws = await run(app, ws_scope("/api/ws/feed"))
        health = await run(app, http_scope("GET", "/api/health"))
        other_ws = await run(app, ws_scope("/api/health"))
        return sse, ws, health, other_ws

    sse, ws, health, other_ws = run_in_own_loop(scenario())
    assert events == [("http", "/api/realtime"), ("websocket", "/api/ws/feed")]
    assert sse[1]["body"].startswith(b"id:x\nevent:PB_CONNECT")
    assert ws == [{"type": "websocket.accept"}]
    assert orjson.loads(health[1]["body"]) == HEALTHY
    assert other_ws == [{"type": "websocket.close", "code": 1008}]


def test_lifespan_runs_the_realtime_hooks(events):
    app = Router(realtime_module="tests.foundation.fake_realtime")
    sent = run_in_own_loop(lifespan(app))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert events == ["startup", "shutdown"]


def test_without_a_realtime_module_its_paths_are_the_json_404():
    app = Router(realtime_module="tests.foundation.no_such_module")

    async def scenario() -> tuple[list, list, list]:
        started = await lifespan(app)
        sse = await run(app, http_scope("GET", "/api/realtime"))
        ws = await run(app, ws_scope("/api/ws"))
        return started, sse, ws

    started, sse, ws = run_in_own_loop(scenario())
    assert started[0] == {"type": "lifespan.startup.complete"}
    assert sse[0]["status"] == 404
    assert orjson.loads(sse[1]["body"]) == NOT_FOUND
    assert ws == [{"type": "websocket.close", "code": 1008}]


def test_a_failing_realtime_startup_fails_the_lifespan(monkeypatch, events):
    async def broken() -> None:
        raise RuntimeError("cannot subscribe")

    monkeypatch.setattr(fake_realtime, "startup", broken)
    app = Router(realtime_module="tests.foundation.fake_realtime")
    sent = run_in_own_loop(run(app, {"type": "lifespan"}, [{"type": "lifespan.startup"}]))
    assert sent == [{"type": "lifespan.startup.failed", "message": "cannot subscribe"}]
