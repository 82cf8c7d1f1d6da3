"""Realtime fan-out: N SSE subscribers on ``/api/realtime``, a writer creating records.

Each subscriber is a raw asyncio connection (``GET /api/realtime``), waits for
``PB_CONNECT``, and is subscribed the way the SDKs do it (``POST /api/realtime``
with its ``clientId`` and the topic ``posts_write/*``). Then the writer creates
records at a fixed rate; each title carries the write's ``time.monotonic_ns()``
(taken just before the create request is sent), so a subscriber's latency is
"receipt minus write" without sharing state between processes. Subscribers run in
one or more processes (``procs``) so the client is less of a bottleneck; the
latencies include the client's own event-loop lag, which grows with N.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import re
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

TOPIC_COLLECTION = "posts_write"
MARK = re.compile(rb"rt-(\d+)-(\d+)-(\d+)")  # rt-<run>-<seq>-<monotonic_ns>


def probe(base: str) -> str | None:
    """None when ``/api/realtime`` streams events, else why not (for the n/a line)."""
    try:
        with (
            httpx.Client(base_url=base, timeout=3) as client,
            client.stream("GET", "/api/realtime", headers={"Accept": "text/event-stream"}) as r,
        ):
            if r.status_code != 200:
                return f"endpoint missing: {r.status_code}"
            if "text/event-stream" not in r.headers.get("content-type", ""):
                return f"not an event stream: {r.headers.get('content-type')}"
            return None
    except httpx.HTTPError as exc:
        return f"endpoint failing: {type(exc).__name__}"


def parse_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split an SSE byte buffer into complete event blocks and the unfinished rest."""
    buffer = buffer.replace(b"\r\n", b"\n")
    *blocks, rest = buffer.split(b"\n\n")
    return [b for b in blocks if b.strip()], rest


def event_data(block: bytes) -> bytes:
    return b"\n".join(
        line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:")
    )


class ChunkedDecoder:
    """Incremental HTTP/1.1 chunked transfer decoding."""

    def __init__(self) -> None:
        self.buf = b""
        self.need = -1  # bytes left in the current chunk (+2 for its CRLF); -1: reading a size line

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        out = []
        while True:
            if self.need < 0:
                end = self.buf.find(b"\r\n")
                if end < 0:
                    break
                size = int(self.buf[:end].split(b";")[0] or b"0", 16)
                self.buf = self.buf[end + 2 :]
                self.need = size + 2
            if len(self.buf) < self.need:
                break
            out.append(self.buf[: self.need - 2])
            self.buf = self.buf[self.need :]
            self.need = -1
        return b"".join(out)


class Subscriber:
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.client_id: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.seen: set[int] = set()
        self.latencies_ms: list[float] = []
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        self.writer = writer
        writer.write(
            f"GET /api/realtime HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise ConnectionError(f"status {status}")
        chunked = b"transfer-encoding: chunked" in head.lower()
        asyncio.get_running_loop().create_task(self.read(reader, chunked))

    async def read(self, reader: asyncio.StreamReader, chunked: bool) -> None:
        decoder = ChunkedDecoder() if chunked else None
        rest = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                now = time.monotonic_ns()
                if decoder is not None:
                    data = decoder.feed(data)
                blocks, rest = parse_events(rest + data)
                for block in blocks:
                    self.on_event(block, now)
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            if not self.client_id.done():
                self.client_id.set_exception(ConnectionError("closed before PB_CONNECT"))

    def on_event(self, block: bytes, now_ns: int) -> None:
        if not self.client_id.done() and b"PB_CONNECT" in block:
            try:
                self.client_id.set_result(json.loads(event_data(block))["clientId"])
            except (ValueError, KeyError) as exc:
                self.client_id.set_exception(exc)
            return
        m = MARK.search(block)
        if m and int(m.group(1)) == self.run_id:
            seq = int(m.group(2))
            if seq not in self.seen:
                self.seen.add(seq)
                self.latencies_ms.append((now_ns - int(m.group(3))) / 1e6)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response (status, keep-alive?) and discard its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        m = re.search(rb"content-length:\s*(\d+)", lower)
        if m and int(m.group(1)):
            await reader.readexactly(int(m.group(1)))
    return status, b"connection: close" not in lower


async def _post_worker(
    host: str, port: int, queue: asyncio.Queue[tuple[int, bytes] | None], status: list[int]
) -> None:
    """POST /api/realtime bodies from ``queue`` over one keep-alive connection.

    A hand-rolled HTTP/1.1 client: httpx's async client made subscribing 10,000
    clients take minutes, all of it client-side.
    """
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while (item := await queue.get()) is not None:
        index, body = item
        for _attempt in range(2):
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                reader, writer = conn
                writer.write(
                    b"POST /api/realtime HTTP/1.1\r\nHost: %s:%d\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (host.encode(), port, len(body), body)
                )
                status[index], keep = await read_response(reader)
                if not keep:
                    writer.close()
                    conn = None
                break
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                if conn is not None:
                    conn[1].close()
                conn = None
    if conn is not None:
        conn[1].close()


async def _subscribe_all(
    base: str, n: int, run_id: int, connect_timeout: float, posters: int = 16
) -> tuple[list[Subscriber], int]:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    subs = [Subscriber(run_id) for _ in range(n)]
    gate = asyncio.Semaphore(256)
    queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
    status = [0] * n
    workers = [asyncio.create_task(_post_worker(host, port, queue, status)) for _ in range(posters)]

    async def one(index: int, sub: Subscriber) -> None:
        async with gate:
            try:
                await sub.connect(host, port)
                cid = await asyncio.wait_for(sub.client_id, 10)
            except (TimeoutError, OSError, ConnectionError, ValueError):
                return
        body = json.dumps({"clientId": cid, "subscriptions": [f"{TOPIC_COLLECTION}/*"]})
        queue.put_nowait((index, body.encode()))

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(one(i, s) for i, s in enumerate(subs))), connect_timeout
        )
    for _ in workers:
        queue.put_nowait(None)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*workers), connect_timeout)
    return subs, sum(1 for code in status if code in (200, 204))


def _child(base: str, n: int, run_id: int, conn: Any, connect_timeout: float) -> None:
    """A subscriber process: connect and subscribe, report, wait for "stop", report results."""

    async def main() -> None:
        t0 = time.monotonic()
        subs, ok = await _subscribe_all(base, n, run_id, connect_timeout)
        conn.send({"subscribed": ok, "connect_s": time.monotonic() - t0})
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        for s in subs:
            s.close()
        conn.send(
            {
                "seen": [len(s.seen) for s in subs],
                "latencies_ms": [x for s in subs for x in s.latencies_ms],
            }
        )

    asyncio.run(main())


def fanout(
    base: str,
    subscribers: int,
    *,
    events: int,
    rate: float,
    run_id: int,
    procs: int = 1,
    connect_timeout: float = 120,
    grace: float = 5.0,
) -> dict[str, Any]:
    """Connect ``subscribers``, create ``events`` records at ``rate``/s, measure delivery."""
    ctx = mp.get_context("fork")
    pipes, children = [], []
    share = [subscribers // procs + (1 if i < subscribers % procs else 0) for i in range(procs)]
    for n in share:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_child, args=(base, n, run_id, child, connect_timeout), daemon=True)
        p.start()
        pipes.append(parent)
        children.append(p)
    ready = [pipe.recv() for pipe in pipes]
    subscribed = sum(r["subscribed"] for r in ready)
    connect_s = max(r["connect_s"] for r in ready)
    write_errors = 0
    write_status: int | None = None
    write_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        start = time.monotonic()
        for seq in range(events):
            due = start + seq / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic_ns()
            r = client.post(
                f"/api/collections/{TOPIC_COLLECTION}/records",
                json={"title": f"rt-{run_id}-{seq}-{t}", "views": seq, "published": True},
            )
            write_ms.append((time.monotonic_ns() - t) / 1e6)
            if r.status_code != 200:
                write_errors += 1
                write_status = r.status_code
    # Give the last deliveries time to land (a late delivery still counts, with its latency).
    time.sleep(grace if subscribed else 0)
    for pipe in pipes:
        pipe.send("stop")
    results = [pipe.recv() for pipe in pipes]
    for c in children:
        c.join(timeout=10)
    seen = [x for r in results for x in r["seen"]]
    lat = sorted(x for r in results for x in r["latencies_ms"])
    expected = subscribers * (events - write_errors)
    return {
        "subscribers": subscribers,
        "subscribed": subscribed,
        "connect_s": round(connect_s, 2),
        "events": events,
        "rate_per_s": rate,
        "write_errors": write_errors,
        "write_status": write_status,
        "write_p50_ms": statistics.median(write_ms) if write_ms else None,
        "delivered": sum(seen),
        "expected": expected,
        "delivered_pct": 100.0 * sum(seen) / expected if expected else 0.0,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "max_ms": lat[-1] if lat else None,
    }


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    k = max(0, min(len(values) - 1, math.ceil(pct / 100 * len(values)) - 1))
    return values[k]
