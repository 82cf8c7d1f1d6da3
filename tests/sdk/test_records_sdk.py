"""The official JS SDK's data calls work unchanged against our server (issue: records API)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.sdk.conftest import run_node


def test_js_sdk_data_calls(baas_server: Any, node_modules: Path) -> None:
    assert baas_server.cli("superuser", "upsert", "sdk@example.com", "password123").returncode == 0
    env = dict(
        os.environ, BAAS_URL=str(baas_server), SU_EMAIL="sdk@example.com", SU_PASSWORD="password123"
    )
    result = run_node("records.mjs", env)
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\n--- server log ---\n{baas_server.log()[-4000:]}"
    )
    assert '"ok":true' in result.stdout
