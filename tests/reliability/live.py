"""Live ``baas serve`` instances for the reliability and backups tests.

Each ``Instance`` has its own ``--dir`` and, on PostgreSQL, its own database, so a
test may kill it, restore into it or take its database away without touching the
shared ``baas_server``. ``Instance.start``/``kill`` run ``baas serve`` again on the same
data, as a supervisor would.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests import services

PASSWORD = "password123"
SUPERUSER = "root@example.com"


@dataclass
class Instance:
    data_dir: Path
    env: dict[str, str]
    workers: int = 1
    server: services.LiveServer | None = None
    stack: ExitStack = field(default_factory=ExitStack)
    token: str = ""
    runs: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None, "not started"
        return self.server.url

    def start(self, timeout: float = 60) -> Instance:
        manager = services.baas_server(
            self.data_dir, env=self.env, workers=self.workers, timeout=timeout
        )
        self.server = self.stack.enter_context(manager)
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group, as a power cut would (no cleanup runs)."""
        assert self.server is not None
        os.killpg(self.server.process.pid, signal.SIGKILL)
        self.server.process.wait(10)

    def restart(self) -> Instance:
        self.stop()
        return self.start()

    def stop(self) -> None:
        self.stack.close()
        self.stack = ExitStack()
        self.server = None
        current = self._log_path()
        if current.exists():  # the next start truncates it: keep each run's log
            self.runs += 1
            current.rename(current.with_name(f"{current.name}.{self.runs}"))

    def cli(self, *args: str) -> Any:
        return services.run_baas(*args, "--dir", str(self.data_dir), env=self.env)

    def _log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-serve.log"

    def log(self) -> str:
        """Every run's server log, oldest first."""
        current = self._log_path()
        paths = [current.with_name(f"{current.name}.{n}") for n in range(1, self.runs + 1)]
        return "".join(p.read_text(errors="replace") for p in [*paths, current] if p.exists())

    # ---- HTTP ---------------------------------------------------------------------------

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def sign_in_superuser(self) -> str:
        done = self.cli("superuser", "upsert", SUPERUSER, PASSWORD)
        assert done.returncode == 0, done.stderr
        self.token = self.sign_in("_superusers", SUPERUSER)
        return self.token

    def sign_in(self, collection: str, email: str, password: str = PASSWORD) -> str:
        with self.client() as http:
            answer = http.post(
                f"/api/collections/{collection}/auth-with-password",
                json={"identity": email, "password": password},
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = self.token
        with self.client() as http:
            return http.request(method, path, headers=headers, **kwargs)


@contextmanager
def instance(
    root: Path, workers: int = 1, start: bool = True, **env: str | None
) -> Iterator[Instance]:
    """An instance of its own (data dir, database); stopped and its database dropped after."""
    with services.live_database() as database_url:
        merged: dict[str, str | None] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "BAAS_SECRET_KEY": os.environ.get("BAAS_SECRET_KEY"),
        }
        merged.update(env)
        live = Instance(root / "data", services.baas_env(**merged), workers=workers)
        try:
            if start:
                live.start()
            yield live
        finally:
            live.stop()


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``check()`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, AssertionError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
