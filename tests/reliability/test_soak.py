"""Soak: a live ``baas serve`` (two worker processes) under mixed load for a while.

1,000 SSE subscribers stay connected the whole time: 900 guests watch
``soak_posts/*`` (open rules) and 100 signed-in users, half of them as one user and
half as another, watch ``soak_notes/*``, whose rules let each user see only the
notes they own. One writer per watched collection creates, updates and deletes
records at a steady pace (so the events land on either worker process and cross the
realtime bus; notes alternate between the two owners); four more clients mix lists,
filtered lists, views, creates, updates and deletes on a third collection nobody
watches. Meanwhile the
server's processes are sampled: resident memory (all of them, ``psutil``), open
file descriptors and database connections (PostgreSQL: ``pg_stat_activity``;
SQLite: the database file's open handles).

It holds when:

- no request failed (every answer is the expected 200/204; no 5xx, no transport error);
- every subscriber got exactly the events it may see: all of its collection's writes
  (for a note: those of the notes its user owns); none lost, none duplicated, none
  from the other collection or of the other user's notes, and no stream ended early;
- memory does not grow after warm-up: the least-squares slope of the total RSS over
  the second half, times that half's length, stays under ``RSS_GROWTH_BOUND``;
- descriptors and database connections do not grow either (second half vs first),
  stay bounded, and once the subscribers hang up the descriptors fall back to what
  they were before they connected.

``BAAS_SOAK_SECONDS`` sets the load's duration (default 75 s, so CI runs it on both
databases in a few minutes); a longer run, e.g. ``BAAS_SOAK_SECONDS=1800``, is the
same test (docs/deployment.md, "Soak test").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

from bench.realtime import ChunkedDecoder, event_data, parse_events
from tests.reliability.live import PASSWORD, Instance, instance

SECONDS = float(os.environ.get("BAAS_SOAK_SECONDS", "75"))
SUBSCRIBERS = {"soak_posts": 900, "soak_notes": 100}  # 1,000 in all
EVENT_WRITES_PER_SECOND = {"soak_posts": 2.0, "soak_notes": 3.0}
MIXED_CLIENTS = 4
SAMPLE_EVERY = 2.0
RSS_GROWTH_BOUND = 40 * 1024 * 1024  # bytes over the second half, all processes together
FD_SLACK = 30  # descriptors the server may open or close for its own reasons
MAX_DB_CONNECTIONS = 40  # two workers: request threads, realtime checks, the scheduler
# A request thread the pool starts late (under more load in the second half) opens its
# connection then: one SQLite connection holds up to three handles (db, -wal, -shm).
DB_CONNECTION_SLACK = 3

Key = tuple[str, str, Any]  # (action, record id, n)


@dataclass
class Load:
    """What the clients did and saw."""

    errors: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    written: dict[str, list[Key]] = field(default_factory=dict)  # collection -> its events
    owners: dict[str, str] = field(default_factory=dict)  # note id -> its owner's id
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def check(self, what: str, answer: httpx.Response | None, error: str = "") -> bool:
        self.requests[what] += 1
        if answer is not None and answer.status_code in (200, 204):
            return True
        detail = f"{answer.status_code} {answer.text[:200]}" if answer is not None else error
        self.errors.append(f"{what}: {detail}")
        return False


@dataclass
class Sample:
    at: float
    rss: int
    fds: int
    db_connections: int


class Subscriber:
    """One ``GET /api/realtime`` connection subscribed to ``<collection>/*``."""

    def __init__(self, collection: str, user: tuple[str, str] | None = None) -> None:
        self.collection = collection
        self.user_id, self.token = user or ("", "")
        self.client_id: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.received: list[Key] = []
        self.foreign: list[bytes] = []  # events it should never have had
        self.ended = False
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None

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
            raise ConnectionError(f"GET /api/realtime: {status}")
        chunked = b"transfer-encoding: chunked" in head.lower()
        self.task = asyncio.get_running_loop().create_task(self.read(reader, chunked))

    async def read(self, reader: asyncio.StreamReader, chunked: bool) -> None:
        decoder = ChunkedDecoder() if chunked else None
        rest = b""
        try:
            while data := await reader.read(65536):
                if decoder is not None:
                    data = decoder.feed(data)
                blocks, rest = parse_events(rest + data)
                for block in blocks:
                    self.on_event(block)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.ended = True
            if not self.client_id.done():
                self.client_id.set_exception(ConnectionError("closed before PB_CONNECT"))

    def on_event(self, block: bytes) -> None:
        data = json.loads(event_data(block) or b"null")
        if b"event:PB_CONNECT" in block.replace(b"event: ", b"event:"):
            self.client_id.set_result(data["clientId"])
            return
        record = (data or {}).get("record") or {}
        if record.get("collectionName") != self.collection:
            self.foreign.append(block)
            return
        self.received.append(_key(data["action"], record))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.task is not None:
            self.task.cancel()


def _key(action: str, record: dict[str, Any]) -> Key:
    return (action, str(record["id"]), record.get("n"))


def expected(sub: Subscriber, load: Load) -> list[Key]:
    """The events ``sub`` may see: every write of its collection, or its user's notes."""
    events = load.written.get(sub.collection, [])
    if not sub.user_id:
        return events
    return [key for key in events if load.owners.get(key[1]) == sub.user_id]


# ---- the server's processes ------------------------------------------------------------------


class Probe:
    """Samples the ``baas serve`` process tree and its database connections."""

    def __init__(self, live: Instance) -> None:
        assert live.server is not None
        self.root = psutil.Process(live.server.process.pid)
        self.database_url = live.env.get("DATABASE_URL") or ""
        self.sqlite_file = str(live.data_dir / "data.db")
        self.pg: Any = None
        if self.database_url.startswith(("postgres", "pgsql")):
            import psycopg

            self.pg = psycopg.connect(self.database_url, autocommit=True)

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def sample(self) -> Sample:
        rss = fds = handles = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                rss += process.memory_info().rss
                fds += process.num_fds()
                if self.pg is None:
                    handles += sum(
                        1 for f in process.open_files() if f.path.startswith(self.sqlite_file)
                    )
        if self.pg is not None:
            row = self.pg.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            handles = int(row[0])
        return Sample(time.monotonic(), rss, fds, handles)

    def close(self) -> None:
        if self.pg is not None:
            self.pg.close()


# ---- the load ----------------------------------------------------------------------------------


async def subscribe_all(base: str, users: list[tuple[str, str]]) -> list[Subscriber]:
    """Guests on ``soak_posts``; on ``soak_notes``, signed in as each user in turn."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    subscribers = [Subscriber("soak_posts") for _ in range(SUBSCRIBERS["soak_posts"])]
    subscribers += [
        Subscriber("soak_notes", users[i % len(users)]) for i in range(SUBSCRIBERS["soak_notes"])
    ]
    gate = asyncio.Semaphore(100)

    async def one(sub: Subscriber, http: httpx.AsyncClient) -> None:
        async with gate:
            await sub.connect(host, port)
            client_id = await asyncio.wait_for(sub.client_id, 30)
            answer = await http.post(
                "/api/realtime",
                json={"clientId": client_id, "subscriptions": [f"{sub.collection}/*"]},
                headers={"Authorization": sub.token},
            )
            assert answer.status_code == 204, answer.text

    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(one(s, http) for s in subscribers))
    return subscribers


async def event_writer(
    base: str, token: str, collection: str, load: Load, owners: list[str]
) -> None:
    """Creates, updates and deletes in ``collection`` at a steady pace; records each event.

    Notes (``soak_notes``) belong to each of ``owners`` in turn.
    """
    rng = random.Random(collection)
    events = load.written.setdefault(collection, [])
    live: dict[str, int] = {}
    interval = 1 / EVENT_WRITES_PER_SECOND[collection]
    path = f"/api/collections/{collection}/records"
    async with httpx.AsyncClient(
        base_url=base, timeout=30, headers={"Authorization": token}
    ) as http:
        while not load.stop.is_set():
            started = time.monotonic()
            roll = rng.random()
            try:
                if not live or roll < 0.5:
                    body: dict[str, Any] = {"title": "soak", "n": 0}
                    if collection == "soak_notes":
                        body["owner"] = owners[len(load.owners) % len(owners)]
                    answer = await http.post(path, json=body)
                    if load.check(f"{collection} create", answer):
                        record = answer.json()
                        live[record["id"]] = 0
                        if collection == "soak_notes":
                            load.owners[record["id"]] = record["owner"]
                        events.append(_key("create", record))
                elif roll < 0.8:
                    record_id = rng.choice(sorted(live))
                    n = live[record_id] + 1
                    answer = await http.patch(f"{path}/{record_id}", json={"n": n})
                    if load.check(f"{collection} update", answer):
                        live[record_id] = n
                        events.append(_key("update", answer.json()))
                else:
                    record_id = rng.choice(sorted(live))
                    answer = await http.delete(f"{path}/{record_id}")
                    if load.check(f"{collection} delete", answer):
                        events.append(("delete", record_id, live.pop(record_id)))
            except httpx.HTTPError as exc:
                load.check(f"{collection} write", None, repr(exc))
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def mixed_client(base: str, token: str, index: int, load: Load) -> None:
    """Reads and writes on ``soak_items`` (nobody subscribes to it)."""
    rng = random.Random(index)
    path = "/api/collections/soak_items/records"
    mine: list[str] = []
    async with httpx.AsyncClient(
        base_url=base, timeout=30, headers={"Authorization": token}
    ) as http:
        while not load.stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.3 or not mine:
                    body = {"title": f"item {index}", "n": rng.randrange(1000)}
                    answer = await http.post(path, json=body)
                    if load.check("items create", answer):
                        mine.append(answer.json()["id"])
                elif roll < 0.5:
                    answer = await http.get(path, params={"perPage": 20, "sort": "-n"})
                    load.check("items list", answer)
                elif roll < 0.6:
                    params = {"filter": f"n >= {rng.randrange(1000)}", "perPage": 5}
                    load.check("items filter", await http.get(path, params=params))
                elif roll < 0.8:
                    answer = await http.get(f"{path}/{rng.choice(mine)}")
                    load.check("items view", answer)
                elif roll < 0.92:
                    body = {"n": rng.randrange(1000)}
                    answer = await http.patch(f"{path}/{rng.choice(mine)}", json=body)
                    load.check("items update", answer)
                else:
                    record_id = mine.pop(rng.randrange(len(mine)))
                    load.check("items delete", await http.delete(f"{path}/{record_id}"))
            except httpx.HTTPError as exc:
                load.check("items request", None, repr(exc))
            await asyncio.sleep(0.02)


async def sampler(probe: Probe, samples: list[Sample], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(await asyncio.to_thread(probe.sample))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)


async def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.2)
    return check()


# ---- the test ----------------------------------------------------------------------------------


def setup_collections(live: Instance) -> list[tuple[str, str]]:
    """The three collections and two users; each user's (id, token)."""
    live.sign_in_superuser()
    open_rules = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
    fields = [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]
    owner = {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}
    mine = {"listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id"}
    for name, extra, rules in (
        ("soak_posts", [], {}),
        ("soak_notes", [owner], mine),
        ("soak_items", [], {}),
    ):
        body = {"name": name, "type": "base", **open_rules, **rules, "fields": fields + extra}
        answer = live.api("POST", "/api/collections", json=body)
        assert answer.status_code == 200, answer.text
    users = []
    for email in ("soak-a@example.com", "soak-b@example.com"):
        body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
        answer = live.api("POST", "/api/collections/users/records", json=body)
        assert answer.status_code == 200, answer.text
        users.append((answer.json()["id"], live.sign_in("users", email)))
    return users


def growth(samples: list[Sample], value: Callable[[Sample], float]) -> float:
    """Least-squares slope of ``value`` over ``samples`` times their time span."""
    times = [s.at for s in samples]
    slope, _ = statistics.linear_regression(times, [value(s) for s in samples])
    return slope * (times[-1] - times[0])


async def soak(live: Instance, users: list[tuple[str, str]]) -> dict[str, Any]:
    base, token = live.url, live.token
    owners = [user_id for user_id, _ in users]
    probe = Probe(live)
    try:
        before = await asyncio.to_thread(probe.sample)
        subscribers = await subscribe_all(base, users)
        load, samples = Load(), []
        sampling = asyncio.Event()
        tasks = [
            asyncio.create_task(sampler(probe, samples, sampling)),
            *(asyncio.create_task(event_writer(base, token, c, load, owners)) for c in SUBSCRIBERS),
            *(
                asyncio.create_task(mixed_client(base, token, i, load))
                for i in range(MIXED_CLIENTS)
            ),
        ]
        await asyncio.sleep(SECONDS)
        load.stop.set()
        await asyncio.gather(*tasks[1:])

        def delivered() -> bool:
            return all(len(s.received) >= len(expected(s, load)) or s.ended for s in subscribers)

        await wait_until(delivered, 60)
        await asyncio.sleep(1)  # anything extra (a duplicate) would arrive by now
        sampling.set()
        await tasks[0]
        ended = sum(1 for s in subscribers if s.ended)
        for sub in subscribers:
            sub.close()
        hung_up: Sample | None = None

        async def released() -> bool:
            nonlocal hung_up
            hung_up = await asyncio.to_thread(probe.sample)
            return hung_up.fds <= before.fds + FD_SLACK

        deadline = time.monotonic() + 30
        while not await released() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        return {
            "load": load,
            "subscribers": subscribers,
            "ended": ended,
            "samples": samples,
            "before": before,
            "after": hung_up,
        }
    finally:
        probe.close()


def test_soak_mixed_load_with_a_thousand_subscribers(tmp_path: Path) -> None:
    with instance(tmp_path, workers=2) as live:
        users = setup_collections(live)
        result = asyncio.run(soak(live, users))
        log = live.log()

    load: Load = result["load"]
    subscribers: list[Subscriber] = result["subscribers"]
    samples: list[Sample] = result["samples"]
    before: Sample = result["before"]
    after: Sample = result["after"]
    summary = (
        f"requests {dict(load.requests)}; events written "
        f"{ {c: len(e) for c, e in load.written.items()} }; "
        f"rss MB {[round(s.rss / 2**20) for s in samples]}; "
        f"fds {[s.fds for s in samples]}; db {[s.db_connections for s in samples]}; "
        f"before {before}; after {after}"
    )
    print(summary)

    assert not load.errors, f"{len(load.errors)} failed requests: {load.errors[:10]}\n{log[-3000:]}"
    # It really was under load (floors far below what even a busy machine does).
    assert sum(load.requests.values()) > 2 * SECONDS, summary
    assert all(len(events) >= 10 for events in load.written.values()), summary

    assert all(expected(s, load) for s in subscribers), summary  # each one had events due
    assert result["ended"] == 0, f"{result['ended']} streams ended early\n{log[-3000:]}"
    wrong = []
    for index, sub in enumerate(subscribers):
        should = Counter(expected(sub, load))
        got = Counter(sub.received)
        if got != should or sub.foreign:
            wrong.append(
                f"#{index} {sub.collection}: lost {sum((should - got).values())}, "
                f"extra/duplicated {sum((got - should).values())}, foreign {len(sub.foreign)}"
            )
    assert not wrong, f"{len(wrong)} subscribers got the wrong events: {wrong[:10]}"

    second_half = [s for s in samples if s.at >= (samples[0].at + samples[-1].at) / 2]
    first_half = samples[: len(samples) - len(second_half)]
    assert len(second_half) >= 5, summary
    rss_growth = growth(second_half, lambda s: s.rss)
    assert rss_growth < RSS_GROWTH_BOUND, f"RSS grew {rss_growth / 2**20:.1f} MB; {summary}"

    assert max(s.fds for s in second_half) <= max(s.fds for s in first_half) + FD_SLACK, summary
    assert max(s.fds for s in samples) <= before.fds + sum(SUBSCRIBERS.values()) + 2 * FD_SLACK
    assert after.fds <= before.fds + FD_SLACK, f"descriptors not released: {summary}"
    connections = [s.db_connections for s in samples]
    assert max(connections) <= MAX_DB_CONNECTIONS, summary
    assert (
        max(s.db_connections for s in second_half)
        <= max(s.db_connections for s in first_half) + DB_CONNECTION_SLACK
    ), summary
