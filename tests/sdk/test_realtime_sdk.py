"""The official JS SDK's realtime client works unchanged against our server (issue: Realtime).

``realtime.mjs`` subscribes and unsubscribes with ``pb.collection(c).subscribe(...)``
(EventSource polyfill from npm ``eventsource``) while another SDK client writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.realtime.live import PASSWORD, Api
from tests.sdk.conftest import run_node

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}


def _prepare(baas_server: Any) -> tuple[str, str]:
    assert baas_server.cli("superuser", "upsert", "sdk-rt@example.com", PASSWORD).returncode == 0
    api = Api(str(baas_server))
    root = api.sign_in("_superusers", "sdk-rt@example.com")["token"]
    emails = ("sdk-rt-owner@example.com", "sdk-rt-other@example.com")
    for email in emails:
        body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
        api.create("users", body, token=root)
    owner = {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}
    for collection in (
        {"name": "sdk_rt_posts", **OPEN, "fields": [{"name": "title", "type": "text"}]},
        {
            "name": "sdk_rt_notes",
            **OPEN,
            "listRule": "owner = @request.auth.id",
            "viewRule": "owner = @request.auth.id",
            "fields": [{"name": "title", "type": "text"}, owner],
        },
    ):
        api.ok("POST", "/api/collections", {"type": "base", **collection}, token=root)
    return emails


def test_js_sdk_subscribe_and_unsubscribe(baas_server: Any, node_modules: Path) -> None:
    owner, other = _prepare(baas_server)
    env = dict(
        os.environ,
        BAAS_URL=str(baas_server),
        RT_OWNER_EMAIL=owner,
        RT_OTHER_EMAIL=other,
        RT_PASSWORD=PASSWORD,
    )
    result = run_node("realtime.mjs", env)
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\n--- server log ---\n{baas_server.log()[-4000:]}"
    )
    assert '"ok":true' in result.stdout
