"""Real-client tests: Node runs the official SDK against a real ``baas serve``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SDK_DIR = Path(__file__).parent


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``npm ci`` once per run (the npm registry is reachable here and in CI)."""
    npm = shutil.which("npm")
    assert npm, "npm is required for the SDK tests (Node.js 20 is on this machine kind)"
    if not (SDK_DIR / "node_modules" / "pocketbase").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True, timeout=300)
    return SDK_DIR / "node_modules"


def run_node(script: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    assert node, "node is required for the SDK tests"
    return subprocess.run(
        [node, script], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
