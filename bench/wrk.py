"""Running ``wrk`` with bench/lua/scenario.lua and reading its one-line JSON summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "lua" / "scenario.lua"
MARK = "BENCH_JSON "


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed (apt-get install -y wrk)")
    return found


@dataclass
class Request:
    """What one scenario sends; the files are written once per server."""

    method: str
    paths: Path
    tokens: Path | None = None
    bodies: Path | None = None  # one body per line
    body: Path | None = None  # one body, the whole file
    content_type: str | None = None

    def env(self) -> dict[str, str]:
        env = {"BENCH_METHOD": self.method, "BENCH_PATHS": str(self.paths)}
        if self.tokens:
            env["BENCH_TOKENS"] = str(self.tokens)
        if self.bodies:
            env["BENCH_BODIES"] = str(self.bodies)
        if self.body:
            env["BENCH_BODY"] = str(self.body)
        if self.content_type:
            env["BENCH_CTYPE"] = self.content_type
        return env


def parse_output(stdout: str) -> dict[str, Any]:
    """The ``BENCH_JSON`` line of a wrk run, with req/s and latencies in ms added."""
    for line in stdout.splitlines():
        if line.startswith(MARK):
            raw = json.loads(line[len(MARK) :])
            break
    else:
        raise ValueError(f"no {MARK.strip()} line in wrk output: {stdout[-500:]!r}")
    seconds = raw["duration_us"] / 1e6 or 1e-9
    errors = raw["errors"]
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": raw["requests"] / seconds,
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "max_ms": lat["max"] / 1000,
        # wrk counts non-2xx/3xx answers as "status" errors; the rest are socket errors
        "errors": sum(errors.values()),
        "error_kinds": {k: v for k, v in errors.items() if v},
    }


def run(
    wrk: str,
    base: str,
    request: Request,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    timeout_s: int = 10,
) -> dict[str, Any]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(SCRIPT),
        base,
    ]
    out = subprocess.run(
        cmd,
        env={**os.environ, **request.env()},
        capture_output=True,
        text=True,
        timeout=seconds + timeout_s + 30,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr[-500:]}")
    return parse_output(out.stdout)
