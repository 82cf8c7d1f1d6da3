"""The official JS SDK's backups and crons calls work unchanged against a real ``baas serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.reliability.live import PASSWORD, SUPERUSER, instance
from tests.sdk.conftest import node_modules, run_node  # noqa: F401 - the npm fixture

HERE = Path(__file__).parent


def test_js_sdk_backups_and_crons(tmp_path: Path, node_modules: Path) -> None:  # noqa: F811
    with instance(tmp_path, REDIS_URL=None) as live:  # cron runs in-process (no worker here)
        live.sign_in_superuser()
        env = dict(
            os.environ,
            BAAS_URL=live.url,
            SU_EMAIL=SUPERUSER,
            SU_PASSWORD=PASSWORD,
            PB_SDK=str(node_modules / "pocketbase" / "dist" / "pocketbase.es.mjs"),
        )
        result: Any = run_node(str(HERE / "backups_sdk.mjs"), env)
        assert result.returncode == 0, (
            f"{result.stdout}\n{result.stderr}\n--- server ---\n{live.log()[-4000:]}"
        )
        assert '"ok":true' in result.stdout
