"""The official JS SDK's file calls work unchanged against a real ``baas serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.sdk.conftest import node_modules, run_node  # noqa: F401 - the npm fixture

HERE = Path(__file__).parent


def test_js_sdk_file_calls(baas_server: Any, node_modules: Path) -> None:  # noqa: F811
    assert (
        baas_server.cli("superuser", "upsert", "files@example.com", "password123").returncode == 0
    )
    env = dict(
        os.environ,
        BAAS_URL=str(baas_server),
        SU_EMAIL="files@example.com",
        SU_PASSWORD="password123",
        PB_SDK=str(node_modules / "pocketbase" / "dist" / "pocketbase.es.mjs"),
    )
    result = run_node(str(HERE / "files_sdk.mjs"), env)
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\n--- server log ---\n{baas_server.log()[-4000:]}"
    )
    assert '"ok":true' in result.stdout
