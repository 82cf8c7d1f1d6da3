"""A live baas for end-to-end tests (webhooks, push): serve, plus Redis and a worker on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests import services

PASSWORD = "password123456"


@dataclass
class Stack:
    """A live ``baas serve``: embedded on SQLite (deliveries on its thread pool); on
    PostgreSQL in production mode with its own Redis and a ``baas worker`` (Celery)."""

    server: services.LiveServer
    token: str
    mode: str
    processes: ExitStack  # the server (and worker): what ``restart`` stops and starts

    def restart(self) -> None:
        """Stop the server (and worker) and start them again on the same data."""
        data_dir, env = self.server.data_dir, self.server.env
        self.processes.close()
        self.processes = ExitStack()
        self.server = _start(self.processes, data_dir, env, self.mode == "celery")

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, method: str, path: str, json: Any = None, token: str | None = "") -> Any:
        auth = self.token if token == "" else token
        headers = {"Authorization": auth} if auth else {}
        return requests.request(method, self.url + path, json=json, headers=headers, timeout=30)

    def ok(self, method: str, path: str, json: Any = None) -> Any:
        answer = self.call(method, path, json)
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.status_code == 200 else None

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        return self.ok("GET", f"/api/webhooks/{webhook_id}/deliveries?perPage=100")["items"]

    def delivery(self, delivery_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/api/webhooks/deliveries/{delivery_id}")

    def wait_status(self, delivery_id: str, status: str, timeout: float = 60) -> dict[str, Any]:
        services.wait_until(
            lambda: self.delivery(delivery_id)["status"] == status, timeout, f"delivery {status}"
        )
        return self.delivery(delivery_id)


def _start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port)]
        + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    services.wait_until(lambda: services.redis_answers(url), 10, "redis")
    return proc


@contextmanager
def _worker(server: services.LiveServer) -> Iterator[None]:
    log = open(server.data_dir.parent / "worker.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*services.baas_command(), "worker", "--concurrency", "2", "--dir", str(server.data_dir)],
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        services.stop_process(proc)
        log.close()


@contextmanager
def live_stack(tmp: Path, **extra_env: str) -> Iterator[Stack]:
    production = bool(os.environ.get("DATABASE_URL"))
    with ExitStack() as stack:
        database_url = stack.enter_context(services.live_database())
        redis_url = None
        if production:  # its own Redis: no other run's worker can take these tasks
            port = services.free_port()
            redis = _start_redis(port)
            stack.callback(services.stop_process, redis)
            redis_url = f"redis://127.0.0.1:{port}/0"
        env = services.baas_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            BAAS_SECRET_KEY=os.environ.get("BAAS_SECRET_KEY"),
            **extra_env,
        )
        processes = stack.enter_context(ExitStack())
        server = _start(processes, tmp / "data", env, production)
        done = server.cli("superuser", "upsert", "root@example.com", PASSWORD)
        assert done.returncode == 0, done.stderr
        signed = requests.post(
            f"{server.url}/api/collections/_superusers/auth-with-password",
            json={"identity": "root@example.com", "password": PASSWORD},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text
        mode = "celery" if production else "embedded"
        found = Stack(server, signed.json()["token"], mode, processes)
        try:
            yield found
        finally:
            found.processes.close()


def _start(
    processes: ExitStack, data_dir: Path, env: dict[str, str], production: bool
) -> services.LiveServer:
    server = processes.enter_context(services.baas_server(data_dir, env=env))
    if production:
        processes.enter_context(_worker(server))
    return server
