"""A loopback webhook receiver (down, up, or hanging) and a live baas to call it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import services
from tests.webhooks.live import Stack, live_stack

BACKOFF = 0.3


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Listens on a fixed loopback port once ``up()``; answers ``status`` (or hangs)."""

    port: int
    status: int = 200
    hang: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers), body))
                if receiver.hang is not None:
                    receiver.hang.wait(60)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(port=services.free_port())
    yield found
    if found.hang is not None:
        found.hang.set()
    found.down()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with live_stack(
        tmp_path_factory.mktemp("webhooks-live"),
        BAAS_WEBHOOK_BACKOFF=str(BACKOFF),
        BAAS_WEBHOOK_MAX_ATTEMPTS="6",
        # long: a write that waited for a hanging receiver would hang the test itself
        BAAS_WEBHOOK_TIMEOUT="120",
    ) as found:
        yield found
