"""Realtime across processes: two servers on one database, messages from processes that
do not serve, and a Redis that goes away and comes back.

On the PostgreSQL run the two servers share the database and Redis (production
mode); on the SQLite run they share a data directory, and the bus is the servers'
own Unix sockets (embedded mode: no Redis).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import services
from tests.realtime.live import PASSWORD, Api, SSEClient
from tests.services import wait_until

SECRET = "realtime-test-secret-4b8e2f6a1c9d3e7b5a0f2c4e6d8b1a3c"
OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}


def _postgres() -> bool:
    return (os.environ.get("DATABASE_URL") or "").startswith(("postgres", "pgsql"))


@contextmanager
def servers(tmp_path: Path, count: int, redis_url: str | None, workers: int = 1) -> Iterator[list]:
    """``count`` servers on one database: PostgreSQL (+ Redis) or one SQLite data dir."""
    with ExitStack() as stack:
        database_url = stack.enter_context(services.live_database())
        env = services.baas_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            BAAS_SECRET_KEY=SECRET if database_url or redis_url else None,
        )
        shared_dir = tmp_path / "data"
        running = []
        for index in range(count):
            data_dir = tmp_path / f"data{index}" if _postgres() else shared_dir
            running.append(
                stack.enter_context(services.baas_server(data_dir, env=env, workers=workers))
            )
        yield running


def _setup(server) -> tuple[Api, str]:
    result = server.cli("superuser", "upsert", "rt-two@example.com", PASSWORD)
    assert result.returncode == 0, result.stderr
    api = Api(str(server))
    root = api.sign_in("_superusers", "rt-two@example.com")["token"]
    api.ok(
        "POST",
        "/api/collections",
        {"name": "items", "type": "base", **OPEN, "fields": [{"name": "title", "type": "text"}]},
        token=root,
    )
    return api, root


@pytest.fixture(scope="module")
def bus_redis(redis_url: str) -> str | None:
    """Redis for the production-mode run; None for the embedded run."""
    return redis_url if _postgres() else None


@pytest.fixture(scope="module")
def pair(tmp_path_factory, bus_redis) -> Iterator[tuple[Any, Any, Api, str]]:
    """Two servers on one database (started once: a server takes seconds to start)."""
    with servers(tmp_path_factory.mktemp("pair"), 2, bus_redis) as (first, second):
        api, root = _setup(first)
        yield first, second, api, root


def test_a_subscriber_on_one_server_sees_writes_made_through_another(pair):
    first, second, api, _ = pair
    listener = SSEClient(str(second))
    try:
        # the subscription POST lands on the server that does not hold the stream
        body = {"clientId": listener.client_id, "subscriptions": ["items/*"]}
        assert httpx.post(f"{first}/api/realtime", json=body).status_code == 204
        unknown = {"clientId": "Q" * 40, "subscriptions": []}
        assert httpx.post(f"{first}/api/realtime", json=unknown).status_code == 404
        record = api.create("items", {"title": "from the first server"})
        event = listener.next()
        assert event.name == "items/*"
        assert event.data["action"] == "create"
        assert event.data["record"]["id"] == record["id"]
        Api(str(second)).update("items", record["id"], {"title": "from the second"})
        assert listener.next().data["record"]["title"] == "from the second"
    finally:
        listener.close()


def test_two_workers_route_subscriptions_to_the_worker_that_holds_the_client(tmp_path, bus_redis):
    with servers(tmp_path, 1, bus_redis, workers=2) as (server,):
        api, _ = _setup(server)
        clients = [SSEClient(str(server)) for _ in range(10)]  # spread over both workers
        try:
            for client in clients:
                body = {"clientId": client.client_id, "subscriptions": ["items/*"]}
                for _ in range(3):  # a new connection each: it may land on either worker
                    assert httpx.post(f"{server}/api/realtime", json=body).status_code == 204
            api.create("items", {"title": "x"})
            for client in clients:
                assert client.next().data["action"] == "create"
        finally:
            for client in clients:
                client.close()


def _send_from_a_script(server, code: str) -> None:
    """Run ``code`` in a fresh Python process with the server's settings (not serving)."""
    env = {**server.env, "BAAS_DIR": str(server.data_dir)}
    script = f"import django; django.setup()\n{code}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "baas.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=services.REPO,
    )
    assert result.returncode == 0, result.stderr


def test_custom_topics_and_oauth2_from_a_process_that_does_not_serve(pair):
    server = pair[1]
    listener, bystander = SSEClient(str(server)), SSEClient(str(server))
    try:
        assert listener.subscribe("chat/room1", "@oauth2").status_code == 204
        assert bystander.subscribe("@oauth2").status_code == 204
        _send_from_a_script(
            server,
            "from baas.realtime.events import send_to_topic, send_oauth2_result\n"
            "send_to_topic('chat/room1', {'text': 'hi'})\n"
            f"send_oauth2_result('{listener.client_id}', {{'state': '{listener.client_id}', 'code': 'abc'}})\n",
        )
        first, second = listener.next(), listener.next()
        assert (first.name, first.data) == ("chat/room1", {"text": "hi"})
        assert (second.name, second.data) == (
            "@oauth2",
            {"state": listener.client_id, "code": "abc"},
        )
        assert bystander.quiet() == []  # @oauth2 goes to the client named by state only
    finally:
        listener.close()
        bystander.close()


def start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until(lambda: services.redis_answers(f"redis://127.0.0.1:{port}/0"), 10, "redis")
    return proc


def test_writes_succeed_while_redis_is_down_and_realtime_resumes_after(tmp_path):
    port = services.free_port()
    redis = start_redis(port)
    try:
        with servers(tmp_path, 1, f"redis://127.0.0.1:{port}/0") as (server,):
            api, root = _setup(server)
            listener = SSEClient(str(server))
            try:
                assert listener.subscribe("items/*", token=root).status_code == 204
                services.stop_process(redis)
                # Redis is gone: writes succeed, quickly, and the server still
                # delivers its own writes to its own clients
                started = time.monotonic()
                api.create("items", {"title": "while down"})
                assert time.monotonic() - started < 2
                assert listener.next().data["record"]["title"] == "while down"
                redis = start_redis(port)
                # back: writes from another process reach the server through Redis again
                # (the server reconnects within a few seconds)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    result = server.cli("superuser", "upsert", "rt-back@example.com", PASSWORD)
                    assert result.returncode == 0, result.stderr
                    topics = ("items/*", "_superusers/*")
                    assert listener.subscribe(*topics, token=root).status_code == 204
                    if listener.quiet(1.0):
                        break
                else:
                    raise AssertionError("no event through Redis after it came back")
            finally:
                listener.close()
    finally:
        services.stop_process(redis)


def test_presence_and_broadcasts_cross_servers(pair):
    from tests.realtime.test_ws import Socket

    first, second, _, root = pair
    alice, bob = Socket(str(first), root), Socket(str(second), root)
    try:
        assert alice.ask(type="join", channel="room", meta="alice")["type"] == "joined"
        assert bob.ask(type="join", channel="room", meta="bob")["type"] == "joined"
        assert alice.next()["member"]["meta"] == "bob"

        def both_seen_from_the_second() -> bool:  # alice's join crosses the bus meanwhile
            members = bob.ask(type="presence", channel="room")["members"]
            return sorted(m["meta"] for m in members) == ["alice", "bob"]

        wait_until(both_seen_from_the_second, 10, "alice in the second server's view")
        bob.send(type="broadcast", channel="room", data="across")
        assert alice.next()["data"] == "across"
        bob.close()
        left = alice.next()
        assert (left["event"], left["member"]["meta"]) == ("leave", "bob")
    finally:
        alice.close()
        bob.close()


def test_sigterm_ends_open_streams_so_the_server_stops_promptly(tmp_path):
    with services.baas_server(tmp_path / "data", env=services.baas_env(), workers=2) as server:
        streams = [SSEClient(str(server)) for _ in range(4)]
        try:
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=30) == 0
            assert time.monotonic() - started < 20  # not the 5-minute idle timeout
            assert all(stream.ended(5) for stream in streams)
        finally:
            for stream in streams:
                stream.close()
