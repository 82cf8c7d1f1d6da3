"""Hooks on a real ``baas serve`` with two workers: reload on change in every worker,
hook-made changes reach realtime subscribers, failures are the envelope and logged."""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import services
from tests.realtime.live import PASSWORD, Api, SSEClient

ALL_OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}

HOOKS = """
from baas.collections.records.payload import Submission
from baas.hooks import on, route

@on("records.before_create", collection="live_posts")
def slug(ctx):
    ctx.record["slug"] = ctx.record["title"].lower().replace(" ", "-")

@on("records.after_create", collection="live_posts")
def audit(ctx):
    audit = ctx.collection_named("live_audit")
    values = {"what": "created " + ctx.record["slug"]}
    ctx.records.create_record(audit, Submission(values=values), ctx.system)

@route("GET", "/boom")
def boom(ctx):
    raise ValueError("live failure")
"""


def version_hook(number: int) -> str:
    return textwrap.dedent(
        f"""
        from baas.hooks import route

        @route("GET", "/version")
        def version(ctx):
            return {{"version": {number}}}
        """
    )


@dataclass
class Live:
    server: services.LiveServer
    api: Api
    root: str
    hooks: Path


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with (
        tempfile.TemporaryDirectory(prefix="baas-hooks-") as tmp,
        services.live_database() as database_url,
    ):
        data = Path(tmp) / "data"
        hooks = data / "hooks"  # the default hooks directory: <data dir>/hooks
        hooks.mkdir(parents=True)
        (hooks / "main.py").write_text(textwrap.dedent(HOOKS))
        env = services.baas_env(
            DATABASE_URL=database_url,
            REDIS_URL=os.environ.get("REDIS_URL"),
            BAAS_SECRET_KEY=os.environ.get("BAAS_SECRET_KEY"),
        )
        with services.baas_server(data, env=env, workers=2) as server:
            result = server.cli("superuser", "upsert", "hooks@example.com", PASSWORD)
            assert result.returncode == 0, result.stderr
            api = Api(str(server))
            root = api.sign_in("_superusers", "hooks@example.com")["token"]
            for name, fields in (
                (
                    "live_posts",
                    [{"name": "title", "type": "text"}, {"name": "slug", "type": "text"}],
                ),
                ("live_audit", [{"name": "what", "type": "text"}]),
            ):
                body = {"name": name, "type": "base", **ALL_OPEN, "fields": fields}
                api.ok("POST", "/api/collections", body, token=root)
            yield Live(server, api, root, hooks)


def test_realtime_subscribers_see_the_changes_hooks_make(live):
    client = SSEClient(live.server.url)
    try:
        assert client.subscribe("live_posts/*", "live_audit/*").status_code == 204
        created = live.api.create("live_posts", {"title": "Live Hooks"})
        assert created["slug"] == "live-hooks"
        event = client.until("live_posts/*")
        assert event.data["action"] == "create"
        assert event.data["record"]["slug"] == "live-hooks"
        audit = client.until("live_audit/*")
        assert audit.data["record"]["what"] == "created live-hooks"
    finally:
        client.close()


def test_a_failing_hook_is_the_json_envelope_and_its_traceback_is_logged(live):
    response = live.api.request("GET", "/api/hooks/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["message"] == "A server hook failed while processing the request."
    assert "live failure" not in response.text
    services.wait_until(
        lambda: "ValueError: live failure" in live.server.log(), 10, "the traceback in the log"
    )
    assert "main.py:boom failed" in live.server.log()


def _all_answer(live: Live, version: int) -> bool:
    """Ten answers in a row from version ``version`` (both workers serve requests)."""
    for _ in range(10):
        response = live.api.request("GET", "/api/hooks/version")
        if response.status_code != 200 or response.json() != {"version": version}:
            return False
    return True


def test_every_worker_reloads_a_changed_hooks_file(live):
    path = live.hooks / "version.py"
    path.write_text(version_hook(1))
    services.wait_until(lambda: _all_answer(live, 1), 20, "version 1 in every worker")
    path.write_text(version_hook(22))
    services.wait_until(lambda: _all_answer(live, 22), 20, "version 22 in every worker")
    path.unlink()
    services.wait_until(
        lambda: live.api.request("GET", "/api/hooks/version").status_code == 404,
        20,
        "the route gone with its file",
    )


CONNECT_HOOK = """
from baas.hooks import HookError, on


@on("realtime.connect")
def gate(ctx):
    if ctx.payload["headers"].get("x-blocked") == "yes":
        raise HookError(f"No {ctx.payload['transport']} for you.", status=403)
"""


def test_a_realtime_connect_hook_refuses_sse_and_websocket_connections(live):
    import httpx
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    path = live.hooks / "connect.py"
    path.write_text(CONNECT_HOOK)
    url = f"{live.server}/api/realtime"

    def refused_sse() -> dict | None:
        with httpx.stream("GET", url, headers={"x-blocked": "yes"}, timeout=5) as answer:
            if answer.status_code != 403:
                return None  # (an accepted stream is closed unread)
            return answer.read() and answer.json()

    def refused_everywhere() -> bool:
        # every worker, each within a second of the change: a run of refusals, each
        # on a new connection (the kernel spreads them over the workers)
        return all(refused_sse() for _ in range(12))

    try:
        services.wait_until(refused_everywhere, 30, "the connect hook in every worker")
        assert refused_sse() == {"status": 403, "message": "No sse for you.", "data": {}}
        with httpx.stream("GET", url, timeout=5) as allowed:
            assert allowed.status_code == 200
            assert next(allowed.iter_lines()).startswith("id:")  # PB_CONNECT follows
        ws_url = url.replace("http", "ws", 1).replace("/api/realtime", "/api/ws")
        with (
            connect(ws_url, additional_headers={"x-blocked": "yes"}) as blocked,
            pytest.raises(ConnectionClosed) as closed,
        ):
            blocked.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        with connect(ws_url) as welcome:
            assert '"hello"' in welcome.recv(timeout=5)
    finally:
        path.unlink()
