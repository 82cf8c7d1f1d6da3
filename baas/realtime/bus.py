"""The realtime bus between the server's processes (DESIGN §6, measurements.md).

Every process that serves realtime listens with **one** subscription (Redis pub/sub
when ``REDIS_URL`` is set, else a Unix socket in the data directory) and feeds its
own per-connection queues; there is no channel-layer hop per subscriber, which was
measured 4–6× slower.

Any process publishes: a server worker, a ``baas`` command, a Celery worker.
``publish()`` never blocks and never raises into the caller: messages go to a
bounded in-memory queue drained by one background thread, which reconnects on its
own (a write succeeds while Redis is down; realtime resumes when it is back).

Messages are small JSON objects. ``o`` names the process that sent it: a process
that serves realtime hands its own messages straight to its hub (so realtime works
in one process even with the bus down) and ignores their echo from the bus.
Channels are ``<namespace>:all`` (every process) and ``<namespace>:p:<processId>``
(one process: subscription requests and their answers). The namespace derives from
the database, so servers on other databases sharing a Redis never mix events.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import hashlib
import logging
import os
import queue
import socket
import string
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
from django.conf import settings

log = logging.getLogger("baas.realtime")

Message = dict[str, Any]
Sink = Callable[[Message], None]

QUEUE_LIMIT = 10_000
STALE_AFTER = 30.0  # seconds: what could not be published by then is dropped
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)
ALPHANUM = string.ascii_letters + string.digits
PROCESS_ID_LENGTH = 8
_FRAME = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
RESCAN_WINDOW_NS = 1_000_000_000
LIVE_SUFFIX = ".live"


def random_id(length: int) -> str:
    from baas.collections.fields.patterns import random_string  # one random draw per id

    return random_string(length, ALPHANUM)


def namespace() -> str:
    """``baas:rt:<hash of the database>``: processes on one database share a bus."""
    db = settings.DATABASES["default"]
    identity = f"{db.get('ENGINE')}|{db.get('HOST', '')}|{db.get('PORT', '')}|{db.get('NAME')}"
    return "baas:rt:" + hashlib.sha1(identity.encode()).hexdigest()[:12]


def socket_dir() -> Path:
    """Where embedded-mode processes put their sockets: per data directory and database
    (a test run's database never reaches a server on the same directory), and short
    enough for a Unix socket path (108 bytes)."""
    wanted = Path(settings.BAAS_DATA_DIR) / ".realtime" / namespace().rsplit(":", 1)[1]
    if len(str(wanted)) + 1 + PROCESS_ID_LENGTH + 5 < 100:
        return wanted
    digest = hashlib.sha1(str(wanted).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"baas-rt-{digest}"


def encode(message: Message) -> bytes:
    return orjson.dumps(message, default=str)


def decode(raw: bytes) -> Message | None:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


# ---- publishing (any process, any thread) -------------------------------------------------


class Publisher:
    """One per process: a bounded queue and the thread that sends what is put in it."""

    def __init__(self) -> None:
        self.process_id = random_id(PROCESS_ID_LENGTH)
        self.local_sink: Sink | None = None  # set by the hub of a serving process
        self.queue: queue.Queue[tuple[float, str | None, bytes, bool]] = queue.Queue(QUEUE_LIMIT)
        self.transport: Transport = (
            RedisTransport() if settings.BAAS_REDIS_URL else SocketTransport()
        )
        self.dropped = 0
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def publish(self, message: Message, to: str | None = None) -> None:
        message["o"] = self.process_id
        sink = self.local_sink
        if sink is not None and (to is None or to == self.process_id):
            sink(message)
            if to is not None:
                return
        live_only = message.get("k") == "record"  # only a process with clients uses one
        if live_only and not self.transport.may_have_clients(self.process_id):
            return
        try:
            self.queue.put_nowait((time.monotonic(), to, encode(message), live_only))
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("realtime bus queue full; %d messages dropped", self.dropped)
            return
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="baas-realtime-publish", daemon=True
                )
                self.thread.start()
                atexit.register(self.flush)  # a short-lived command still sends its events

    def _run(self) -> None:
        failures = 0
        while True:
            stamp, to, payload, live_only = self.queue.get()
            while True:
                if time.monotonic() - stamp > STALE_AFTER:
                    break
                try:
                    self.transport.send(to, payload, self.process_id, live_only)
                    failures = 0
                    break
                except Exception as exc:
                    if failures == 0:
                        log.warning("realtime bus unavailable (%s); retrying", exc)
                    time.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
                    failures += 1
            self.queue.task_done()

    def flush(self, timeout: float = 2.0) -> None:
        """Wait (a little) for queued messages: short-lived commands call this at exit."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


class Transport(Protocol):
    def send(self, to: str | None, payload: bytes, process_id: str, live_only: bool) -> None:
        """From the publisher thread; raises when the bus is unavailable (it retries).
        ``live_only``: the processes holding realtime clients are enough."""

    def may_have_clients(self, process_id: str) -> bool:
        """Whether another process may hold a realtime client (False only when known)."""

    def send_now(self, to: str, payload: bytes) -> int:
        """Send to one process from the calling thread; how many processes got it."""


class RedisTransport:
    def __init__(self) -> None:
        self.client: Any = None
        self.prefix = namespace()

    def send(self, to: str | None, payload: bytes, process_id: str, live_only: bool) -> None:
        import redis

        if self.client is None:
            self.client = redis.Redis.from_url(
                str(settings.BAAS_REDIS_URL), socket_connect_timeout=1, socket_timeout=2
            )
        channel = f"{self.prefix}:p:{to}" if to else f"{self.prefix}:all"
        try:
            self.client.publish(channel, payload)
        except redis.RedisError:
            self.client.close()
            self.client = None
            raise

    def may_have_clients(self, process_id: str) -> bool:
        return True  # who holds clients is not known here: every process gets every event

    def send_now(self, to: str, payload: bytes) -> int:
        import redis

        client = redis.Redis.from_url(
            str(settings.BAAS_REDIS_URL), socket_connect_timeout=1, socket_timeout=2
        )
        try:
            return int(client.publish(f"{self.prefix}:p:{to}", payload))
        finally:
            client.close()


class SocketTransport:
    """Embedded mode: a framed stream to each serving process's Unix socket.

    A serving process that holds realtime clients also keeps a ``<processId>.live``
    file next to its socket (``mark_live``): record events, which only clients use,
    go to those processes alone, and are not even queued when there are none (a
    write with no subscriber anywhere wakes no thread and sends nothing). The marker
    is made before the first client is told its id, so before any subscription it
    makes; the writer sees it through the directory's mtime, as it sees sockets."""

    def __init__(self) -> None:
        self.directory = socket_dir()
        self.connections: dict[str, socket.socket] = {}
        # the directory's listing (sockets, live markers), kept while its mtime stays
        # the same: a stat per message instead of a scan of the directory
        self._listed: tuple[int, list[str], set[str]] | None = None

    def send(
        self, to: str | None, payload: bytes, process_id: str, live_only: bool = False
    ) -> None:
        frame = _FRAME.pack(len(payload)) + payload
        for name in self._targets(to, process_id, live_only):
            self._send_one(name, frame)

    def may_have_clients(self, process_id: str) -> bool:
        return bool(self._targets(None, process_id, True))

    def _targets(self, to: str | None, process_id: str, live_only: bool = False) -> list[str]:
        if to is not None:
            return [to]
        try:
            stamp = os.stat(self.directory).st_mtime_ns
            listed = self._listed
            if listed is None or listed[0] != stamp:
                names, live = [], set()
                for entry in os.scandir(self.directory):
                    if entry.name.endswith(".sock"):
                        names.append(entry.name[:-5])
                    elif entry.name.endswith(LIVE_SUFFIX):
                        live.add(entry.name[: -len(LIVE_SUFFIX)])
                listed = (stamp, names, live)
                # mtimes are coarse (a few ms): a socket made in the same tick as the
                # last change leaves it as it was, so a change that recent is not kept
                self._listed = listed if time.time_ns() - stamp > RESCAN_WINDOW_NS else None
        except FileNotFoundError:
            return []
        return [  # its own messages go straight to its hub
            name
            for name in listed[1]
            if name != process_id and (not live_only or name in listed[2])
        ]

    def _send_one(self, name: str, frame: bytes) -> None:
        for _attempt in range(2):
            conn = self.connections.get(name)
            if conn is None:
                conn = self._connect(name)
                if conn is None:
                    return
            try:
                conn.sendall(frame)
                return
            except OSError:
                conn.close()
                self.connections.pop(name, None)

    def send_now(self, to: str, payload: bytes) -> int:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(2)
        try:
            conn.connect(str(self.directory / f"{to}.sock"))
            conn.sendall(_FRAME.pack(len(payload)) + payload)
            return 1
        except OSError:  # no such process (any more)
            return 0
        finally:
            conn.close()

    def _connect(self, name: str) -> socket.socket | None:
        path = self.directory / f"{name}.sock"
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(2)
        try:
            conn.connect(str(path))
        except OSError as exc:
            conn.close()
            if exc.errno == errno.ECONNREFUSED:  # its process is gone
                with contextlib.suppress(OSError):
                    path.unlink()
                with contextlib.suppress(OSError):
                    (self.directory / f"{name}{LIVE_SUFFIX}").unlink()
            return None
        self.connections[name] = conn
        return conn


_publisher: Publisher | None = None
_publisher_pid = 0
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher (a forked child gets a new one, with a new id)."""
    global _publisher, _publisher_pid
    if _publisher is None or _publisher_pid != os.getpid():
        with _publisher_lock:
            if _publisher is None or _publisher_pid != os.getpid():
                _publisher, _publisher_pid = Publisher(), os.getpid()
    return _publisher


def publish(message: Message, to: str | None = None) -> None:
    """Send ``message`` to every serving process (or to process ``to``); never raises."""
    try:
        publisher().publish(message, to)
    except Exception:
        log.exception("realtime publish failed")


def mark_live(process_id: str, live: bool) -> None:
    """Embedded mode: say whether this process holds realtime clients (``SocketTransport``);
    with Redis every process gets every event, and there is nothing to say."""
    if settings.BAAS_REDIS_URL:
        return
    marker = socket_dir() / f"{process_id}{LIVE_SUFFIX}"
    try:
        if live:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        else:
            marker.unlink(missing_ok=True)
    except OSError:
        log.warning("realtime: could not %s %s", "make" if live else "remove", marker)


def send_now(message: Message, to: str) -> int:
    """Send ``message`` to process ``to`` from this thread (blocking: call it from a
    worker thread); the number of processes that got it, so 0 means no such process."""
    pub = publisher()
    message["o"] = pub.process_id
    try:
        return pub.transport.send_now(to, encode(message))
    except Exception as exc:
        log.warning("realtime bus unavailable (%s)", exc)
        return 0


# ---- listening (serving processes, on their event loop) ------------------------------------


async def listen(process_id: str, handle: Sink, ready: asyncio.Event) -> None:
    """Feed ``handle`` with every message for this process until cancelled."""
    if settings.BAAS_REDIS_URL:
        await _listen_redis(process_id, handle, ready)
    else:
        await _listen_socket(process_id, handle, ready)


def _accept(process_id: str, handle: Sink, raw: bytes) -> None:
    message = decode(raw)
    if message is not None and message.get("o") != process_id:
        try:
            handle(message)
        except Exception:
            log.exception("realtime message handling failed")


async def _listen_redis(process_id: str, handle: Sink, ready: asyncio.Event) -> None:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    prefix = namespace()
    failures = 0
    while True:
        client = aioredis.Redis.from_url(
            str(settings.BAAS_REDIS_URL), socket_connect_timeout=2, health_check_interval=15
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(f"{prefix}:all", f"{prefix}:p:{process_id}")
            if failures:
                log.warning("realtime bus reconnected")
            failures = 0
            ready.set()
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    _accept(process_id, handle, item["data"])
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            if failures == 0:
                log.warning("realtime bus lost (%s); reconnecting", exc)
            ready.set()  # serve without the bus meanwhile: this process still delivers its own writes
            await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
            failures += 1
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()


async def _listen_socket(process_id: str, handle: Sink, ready: asyncio.Event) -> None:
    directory = socket_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{process_id}.sock"

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readexactly(_FRAME.size)
                (length,) = _FRAME.unpack(head)
                if length > MAX_FRAME:
                    return
                _accept(process_id, handle, await reader.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_unix_server(serve, path=str(path))
    os.chmod(path, 0o600)
    ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        with contextlib.suppress(OSError):
            path.unlink()
