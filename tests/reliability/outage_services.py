"""Throwaway services to take away: a PostgreSQL cluster and a Redis of the test's own.

Never the machine's shared PostgreSQL or the Redis on 6379: these run on free ports
in temp dirs (measurements.md: a cluster with ``fsync=off`` is up in under a second),
and ``stop``/``start`` them at will.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests import services


def _as_postgres(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: its tools run as the ``postgres`` user."""
    runuser = shutil.which("runuser")
    prefix = [runuser, "-u", "postgres", "--"] if runuser else []
    return subprocess.run(
        [*prefix, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def _tool(name: str) -> str:
    found = shutil.which(name) or next(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), None)
    if found is None:
        raise services.ServiceError(f"{name} is not installed (Debian: postgresql)")
    return str(found)


@dataclass
class PgCluster:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "baas") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        done = _as_postgres(
            _tool("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )
        if done.returncode != 0:
            raise services.ServiceError(f"pg_ctl start failed: {done.stderr}{self.log()}")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every client connection is cut, then the server stops. (Not
        ``immediate``: with ``synchronous_commit=off`` a crash may lose commits.)"""
        _as_postgres(_tool("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    """A fresh cluster (trust auth, database ``baas``), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="baas-pg-"))
    shutil.chown(root, "postgres")
    cluster = PgCluster(root, services.free_port())
    try:
        done = _as_postgres(
            _tool("initdb"),
            "-D",
            str(cluster.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        if done.returncode != 0:
            raise services.ServiceError(f"initdb failed: {done.stderr}")
        cluster.start()
        services.create_database(cluster.url(), "baas")
        yield cluster
    finally:
        with suppress(Exception):
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise services.ServiceError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        services.wait_until(lambda: services.redis_answers(self.url), 10, f"redis on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            services.stop_process(self.process, timeout=5)
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(services.free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
