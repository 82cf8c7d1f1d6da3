"""Talking to a live ``baas serve`` the way the SDKs do: an SSE reader and a JSON client."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

PASSWORD = "password123"


@dataclass
class Event:
    id: str
    name: str
    data: Any
    raw: str


class SSEClient:
    """``GET /api/realtime`` read in a thread; events arrive in ``self.events``.

    A plain ``http.client`` connection, so that ``close()`` can shut the socket down
    under the reading thread (closing an httpx stream from another thread does not).
    """

    def __init__(self, base: str, headers: dict[str, str] | None = None):
        self.base = base
        self.http = httpx.Client(timeout=10)
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.headers: dict[str, str] = {}
        self.status = 0
        host, port = urlsplit(base).hostname, urlsplit(base).port
        self.connection = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=10)
        self._opened = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(headers or {},), daemon=True)
        self.thread.start()
        assert self._opened.wait(10), "no answer from /api/realtime"
        connect = self.next()
        assert connect.name == "PB_CONNECT"
        self.client_id = connect.id
        self.connect = connect

    def _read(self, headers: dict[str, str]) -> None:
        try:
            self.connection.request("GET", "/api/realtime", headers=headers)
            response = self.connection.getresponse()
            self.status = response.status
            self.headers = {k.lower(): v for k, v in response.getheaders()}
            assert self.connection.sock is not None
            self.connection.sock.settimeout(None)
            self._opened.set()
            lines: list[str] = []
            while raw := response.readline():
                line = raw.decode().rstrip("\r\n")
                if line:
                    lines.append(line)
                elif lines:
                    self.events.put(_parse(lines))
                    lines = []
        except Exception:  # closed under the reader (close()) or by the server
            pass
        finally:
            self._opened.set()
            self.events.put(None)

    def subscribe(self, *topics: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": token} if token else {}
        return self.http.post(
            f"{self.base}/api/realtime",
            json={"clientId": self.client_id, "subscriptions": list(topics)},
            headers=headers,
        )

    def next(self, timeout: float = 10) -> Event:
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout}s") from None
        assert event is not None, "the stream ended"
        return event

    def until(self, name: str, timeout: float = 10) -> Event:
        """The next event called ``name`` (others before it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.01))
            if event.name == name:
                return event

    def quiet(self, within: float = 0.8) -> list[Event]:
        """Whatever arrives within ``within`` seconds (for "nothing was delivered")."""
        found: list[Event] = []
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event is None:
                break
            found.append(event)
        return found

    def ended(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.events.get(timeout=0.2) is None:
                    return True
            except queue.Empty:
                continue
        return False

    def close(self) -> None:
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self.http.close()


def _parse(lines: list[str]) -> Event:
    fields: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields[key] = value
    data = fields.get("data", "")
    return Event(
        id=fields.get("id", ""),
        name=fields.get("event", ""),
        data=json.loads(data) if data else None,
        raw="\n".join(lines),
    )


def with_options(
    topic: str, query: dict[str, Any] | None = None, headers: dict[str, Any] | None = None
) -> str:
    """The key the JS SDK builds: ``topic?options=<encodeURIComponent(JSON)>``."""
    options = json.dumps({"query": query or {}, "headers": headers or {}}, separators=(",", ":"))
    return f"{topic}?options={quote(options, safe='')}"


class Api:
    """A small JSON client for a live server."""

    def __init__(self, base: str):
        self.base = base
        self.http = httpx.Client(timeout=30)

    def request(
        self, method: str, path: str, json: Any = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": token} if token else {}
        return self.http.request(method, f"{self.base}{path}", json=json, headers=headers)

    def ok(self, method: str, path: str, json: Any = None, token: str | None = None) -> Any:
        response = self.request(method, path, json=json, token=token)
        assert response.status_code in (200, 204), (response.status_code, response.text)
        return response.json() if response.status_code == 200 else None

    def sign_in(self, collection: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
        return self.ok(
            "POST",
            f"/api/collections/{collection}/auth-with-password",
            {"identity": email, "password": password},
        )

    def create(self, collection: str, body: dict[str, Any], token: str | None = None) -> Any:
        return self.ok("POST", f"/api/collections/{collection}/records", body, token)

    def update(
        self, collection: str, record_id: str, body: dict[str, Any], token: str | None = None
    ) -> Any:
        return self.ok("PATCH", f"/api/collections/{collection}/records/{record_id}", body, token)

    def delete(self, collection: str, record_id: str, token: str | None = None) -> None:
        self.ok("DELETE", f"/api/collections/{collection}/records/{record_id}", None, token)
