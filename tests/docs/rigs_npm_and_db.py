"""Rigs (rigs.py) of the pages on GraphQL, moving from PocketBase and export/import.

Beside ``env``, these rigs may set ``npm`` (a folder of npm packages the page's samples
import beside the SDK's) and ``database`` (a fresh PostgreSQL database for the docs'
``postgresql://baas:PASSWORD@127.0.0.1:5432/baas``, samples.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from contextlib import suppress
from pathlib import Path
from typing import Any

from tests.docs.rigs import PageRig
from tests.transfer import peer, world
from tests.transfer.test_export_import import postgres_url
from tests.transfer.test_pocketbase_import import PB_SUPERUSER

HERE = Path(__file__).parent


class GraphqlRig(PageRig):
    """graphql.md: its subscription sample imports graphql-ws and ws (npm_graphql)."""

    def start(self) -> None:
        folder = HERE / "npm_graphql"
        if not (folder / "node_modules" / "graphql-ws").is_dir():
            npm = shutil.which("npm")
            assert npm, "npm is required for the docs samples"
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=folder, check=True, timeout=300
            )
        self.npm = folder / "node_modules"


class MovingRig(PageRig):
    """moving-from-pocketbase.md: ``./pb_data`` is an app made through the real
    ``pocketbase`` binary (tests/transfer/world.py's collections, users, files), stopped."""

    def start(self) -> None:
        work = self.tmp / "work"  # the samples' working directory (test_docs.py)
        work.mkdir()
        peer.upsert_superuser(work, *PB_SUPERUSER)
        with peer.serving(work) as base:
            token = world.sign_in(base, "_superusers", *PB_SUPERUSER)["token"]
            world.build(base, token)
        assert (work / "pb_data" / "data.db").is_file()


class ExportImportRig(PageRig):
    """export-import.md: the page moves an embedded SQLite instance (no database
    variables in its environment) into a PostgreSQL database of its own."""

    def start(self) -> None:
        self.env.update(dict.fromkeys(("DATABASE_URL", "REDIS_URL", "BAAS_SECRET_KEY")))  # type: ignore[arg-type]
        self.database = self.stack.enter_context(postgres_url())


RIGS: dict[str, type[PageRig]] = {
    "graphql.md": GraphqlRig,
    "moving-from-pocketbase.md": MovingRig,
    "export-import.md": ExportImportRig,
}


def link_node_modules(target: Path, sdk: Path, rig: Any) -> None:
    """``target``: the SDK's packages, plus the rig's ``npm`` folder's when it has one."""
    extra: Path | None = getattr(rig, "npm", None)
    if extra is None:
        target.symlink_to(sdk)
        return
    target.mkdir()
    for package in [*sdk.iterdir(), *extra.iterdir()]:
        if not (target / package.name).exists():
            (target / package.name).symlink_to(package)


def run_script(script: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``node script`` in a session of its own, ended as a whole afterwards: a server a
    page started (samples.py) never outlives it, even when the script is killed."""
    node = subprocess.Popen(
        [shutil.which("node") or "node", str(script)],
        cwd=script.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = node.communicate(timeout=timeout)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)
        if node.returncode is None:
            out, err = node.communicate()
    return subprocess.CompletedProcess(node.args, node.returncode, out, err)
