"""The Dart SDK's realtime client: ``SseClient`` (its own line parser) and ``RealtimeService``.

The GET carries only dart:io's own headers (no ``accept: text/event-stream``, no auth,
no language). Lines are split like ``LineSplitter`` (CRLF, LF or CR), matched against
``^(\\w+)[\\s\\:]+(.*)?$`` (anything else, such as a ``:`` comment, is ignored), and a
message is emitted on every empty line. The ``id`` field of ``PB_CONNECT`` becomes the
clientId; a message reaches listeners only when its ``event`` equals a subscription key
exactly as the SDK built it.
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import json
import queue
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.sdk.dart_wire.client import USER_AGENT, DartClient, dart_json, query_component

LINE = re.compile(r"^(\w+)[\s:]+(.*)?$", re.ASCII)
SPLIT = re.compile(r"\r\n|\r|\n")


@dataclass
class SseMessage:
    id: str = ""
    event: str = "message"
    data: str = ""
    retry: int = 0

    def json_data(self) -> dict[str, Any]:
        """``SseMessage.jsonData``: a non-object JSON value is wrapped as ``{"data": ...}``."""
        if not self.data:
            return {}
        try:
            decoded = json.loads(self.data)
        except ValueError:
            return {"data": self.data}
        return decoded if isinstance(decoded, dict) else {"data": decoded}


class SseClient:
    def __init__(self, url: str):
        self.url = url
        self.messages: queue.Queue[SseMessage] = queue.Queue()
        self.status = 0
        self._connection: http.client.HTTPConnection | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the SSE request got no answer"
        assert self.status == 200, f"SSE answered {self.status}"

    def _run(self) -> None:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=120)
        self._connection = connection
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
            for name, value in (
                ("user-agent", USER_AGENT),
                ("accept-encoding", "gzip"),
                ("content-length", "0"),
                ("host", parts.netloc),
            ):
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            self.status = response.status
            self._ready.set()
            self._read(response)
        except (OSError, http.client.HTTPException):
            pass  # shut down by close(), or closed by the server
        finally:
            self._ready.set()
            connection.close()

    def _read(self, response: http.client.HTTPResponse) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")()
        message = SseMessage()
        pending = ""
        while True:
            chunk = response.read1(65536)
            if not chunk:
                return
            text = pending + decoder.decode(chunk)
            tail = ""
            if text.endswith("\r"):  # maybe the first half of a CRLF: wait for the next byte
                text, tail = text[:-1], "\r"
            lines = SPLIT.split(text)
            pending = lines.pop() + tail
            for line in lines:
                message = self._line(line, message)

    def _line(self, line: str, message: SseMessage) -> SseMessage:
        if not line:
            self.messages.put(message)
            return SseMessage()
        match = LINE.match(line)
        if match is None:
            return message
        name, value = match.group(1), match.group(2) or ""
        if name == "id":
            message.id = value
        elif name == "event":
            message.event = value
        elif name == "retry":
            message.retry = int(value) if value.isdigit() else 0
        elif name == "data":
            message.data = value
        return message

    def next(self, event: str, timeout: float = 30) -> SseMessage:
        """The next message named ``event``; others arriving first are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event!r} SSE message within {timeout}s")
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if message.event == event:
                return message

    def drain(self) -> list[SseMessage]:
        found = []
        while True:
            try:
                found.append(self.messages.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        connection = self._connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):  # the reading thread then closes it
                connection.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)


def subscription_key(
    topic: str,
    expand: str | None = None,
    filter: str | None = None,
    fields: str | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """``RealtimeService.subscribe``'s key: ``topic?options=<encodeQueryComponent(json)>``."""
    enriched = dict(query or {})
    for name, value in (("expand", expand), ("filter", filter), ("fields", fields)):
        if value:
            enriched.setdefault(name, value)
    options: dict[str, Any] = {}
    if enriched:
        options["query"] = enriched
    if headers:
        options["headers"] = headers
    if not options:
        return topic
    return topic + ("&" if "?" in topic else "?") + "options=" + query_component(dart_json(options))


class RealtimeService:
    """Keeps the SDK's subscription map and posts it whole after each change."""

    def __init__(self, client: DartClient):
        self.client = client
        self.sse: SseClient | None = None
        self.client_id = ""
        self.keys: list[str] = []
        self.connect_message: SseMessage | None = None

    def subscribe(self, topic: str, **options: Any) -> str:
        key = subscription_key(topic, **options)
        first = key not in self.keys
        if first:
            self.keys.append(key)
        if self.sse is None:
            self.sse = SseClient(self.client.build_url("/api/realtime"))
            self.connect_message = self.sse.next("PB_CONNECT")
            self.client_id = self.connect_message.id
            self._submit()
        elif first:
            self._submit()
        return key

    def unsubscribe(self, topic: str = "") -> None:
        """By topic: every key equal to it or starting with ``topic?``; none: all of them."""
        if not topic:
            self.keys.clear()
        else:
            prefix = topic if "?" in topic else topic + "?"
            self.keys = [k for k in self.keys if not (k + "?").startswith(prefix)]
        if not self.keys:
            self.disconnect()
        else:
            self._submit()

    def unsubscribe_by_prefix(self, prefix: str) -> None:
        """``collection(c).unsubscribe()`` with no topic: every key starting with ``c``."""
        self.keys = [k for k in self.keys if not (k + "?").startswith(prefix)]
        if not self.keys:
            self.disconnect()
        else:
            self._submit()

    def disconnect(self) -> None:
        if self.sse is not None:
            self.sse.close()
        self.sse, self.client_id = None, ""

    def _submit(self) -> None:
        self.client.send(
            "/api/realtime",
            method="POST",
            body={"clientId": self.client_id, "subscriptions": list(self.keys)},
        )
