"""The official JS SDK's auth calls work unchanged against ``baas serve`` (issue: Auth)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.sdk.conftest import node_modules, run_node  # noqa: F401  (node_modules is a fixture)

SCRIPT = str(Path(__file__).with_name("sdk_auth.mjs"))


def test_js_sdk_auth_calls(baas_server: Any, node_modules: Path) -> None:  # noqa: F811
    assert (
        baas_server.cli("superuser", "upsert", "sdk-auth@example.com", "password123").returncode
        == 0
    )
    env = dict(
        os.environ,
        BAAS_URL=str(baas_server),
        SU_EMAIL="sdk-auth@example.com",
        SU_PASSWORD="password123",
    )
    result = run_node(SCRIPT, env)
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\n--- server log ---\n{baas_server.log()[-4000:]}"
    )
    assert '"ok":true' in result.stdout
