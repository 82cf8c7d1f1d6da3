"""Crash consistency: SIGKILL ``baas serve`` in the middle of writes, restart, check.

Threads drive creates and updates with uploads, deletes, batches and schema changes
at a live server; the whole process group is killed at a random moment (a power cut
for the app: no cleanup runs), and ``baas serve`` starts again on the same data
directory and database. After every restart, read straight from the database and
the disk:

- every record is whole: fields written together agree (``title``/``n``,
  ``pics_count``/``pics``), and a batch's records exist all or not at all;
- every file a record references is stored;
- every field has its column, every runtime table its collection (schema and tables
  agree), and SQLite's integrity check passes;
- the restart needed nothing by hand, and writes work at once.

Files nothing references may be left (an upload whose transaction never committed,
an old file whose post-commit deletion never ran): the storage sweep's grace covers
them. At the end the sweep runs with no grace and must remove exactly those.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from tests import services
from tests.reliability.inspect_db import Inspector, file_problems, schema_problems
from tests.reliability.live import Instance, instance

CYCLES = 3
RECORDS = "/api/collections/items/records"
BIG = bytes(range(256)) * 1200  # ~300 KB: an upload long enough to be cut


@dataclass
class Workload:
    """What the writers did (as far as they know: a killed request may or may not commit)."""

    url: str
    token: str
    seed: int
    ids: list[str] = field(default_factory=list)  # plain records: updated and deleted at random
    done: dict[str, int] = field(default_factory=dict)  # action -> answers below 500
    failed: dict[str, int] = field(default_factory=dict)  # action -> 5xx answers
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def count(self, name: str, answer: httpx.Response | None) -> None:
        status = answer.status_code if answer is not None else 0
        with self.lock:
            target = self.failed if status >= 500 else self.done
            target[name] = target.get(name, 0) + 1
            if status >= 500 and answer is not None:
                self.errors.append(f"{name} {status} {answer.text[:200]}")

    def next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": self.token}, timeout=10)

    def writer(self, index: int) -> None:
        rng = random.Random(self.seed + index)
        with self.client() as http:
            while not self.stop.is_set():
                action = rng.choices(
                    [self.create, self.update, self.delete, self.batch, self.big_upload],
                    weights=[4, 3, 1, 1, 1],
                )[0]
                try:
                    answer = action(http, rng)
                    self.count(action.__name__, answer)
                except httpx.HTTPError:
                    if self.stop.wait(0.05):
                        return

    def _files(self, rng: random.Random, count: int) -> list[tuple[str, tuple[str, bytes, str]]]:
        return [
            (
                "pics",
                (f"p{n}.bin", rng.randbytes(rng.randint(1, 20_000)), "application/octet-stream"),
            )
            for n in range(count)
        ]

    def create(self, http: httpx.Client, rng: random.Random) -> httpx.Response | None:
        k, count = self.next(), rng.randint(0, 3)
        answer = http.post(
            RECORDS,
            data={"title": f"c-{k}", "n": str(k), "pics_count": str(count)},
            files=[("doc", ("d.txt", b"doc %d" % k, "text/plain")), *self._files(rng, count)],
        )
        if answer.status_code == 200:
            with self.lock:
                self.ids.append(answer.json()["id"])
        return answer

    def big_upload(self, http: httpx.Client, rng: random.Random) -> httpx.Response | None:
        k = self.next()
        return http.post(
            RECORDS,
            data={"title": f"c-{k}", "n": str(k), "pics_count": "0"},
            files=[("doc", ("big.bin", BIG, "application/octet-stream"))],
        )

    def _pick(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.ids) if self.ids else None

    def update(self, http: httpx.Client, rng: random.Random) -> httpx.Response | None:
        record = self._pick(rng)
        if record is None:
            return None
        k, count = self.next(), rng.randint(0, 3)
        files = self._files(rng, count)
        data = {"title": f"u-{k}", "n": str(k), "pics_count": str(count)}
        if not files:
            data["pics"] = ""  # an explicit clear: the count and the field change together
        return http.patch(f"{RECORDS}/{record}", data=data, files=files or None)

    def delete(self, http: httpx.Client, rng: random.Random) -> httpx.Response | None:
        record = self._pick(rng)
        if record is None:
            return None
        answer = http.delete(f"{RECORDS}/{record}")
        if answer.status_code == 204:
            with self.lock:
                if record in self.ids:
                    self.ids.remove(record)
        return answer

    def batch(self, http: httpx.Client, rng: random.Random) -> httpx.Response | None:
        marker = uuid.uuid4().hex[:8]
        requests = [
            {
                "method": "POST",
                "url": RECORDS,
                "body": {"title": f"b-{marker}-{i}", "n": i, "pics_count": 0},
            }
            for i in range(3)
        ]
        return http.post(
            "/api/batch",
            data={"@jsonPayload": orjson.dumps({"requests": requests}).decode()},
            files=[(f"requests.{i}.doc", (f"b{i}.txt", b"batch", "text/plain")) for i in range(3)],
        )

    def schema(self) -> None:
        """Add a number field, or drop the newest added one, over and over."""
        rng = random.Random(self.seed)
        with self.client() as http:
            while not self.stop.is_set():
                try:
                    fields = http.get("/api/collections/items").json()["fields"]
                    extras = [f for f in fields if f["name"].startswith("extra_")]
                    if extras and (len(extras) > 2 or rng.random() < 0.4):
                        fields = [f for f in fields if f["id"] != extras[-1]["id"]]
                    else:
                        fields.append({"name": f"extra_{self.next()}", "type": "number"})
                    answer = http.patch("/api/collections/items", json={"fields": fields})
                    self.count("schema", answer)
                except (httpx.HTTPError, ValueError, KeyError):
                    if self.stop.wait(0.05):
                        return
                self.stop.wait(0.05)


def prepare(live: Instance) -> None:
    live.sign_in_superuser()
    created = live.api(
        "POST",
        "/api/collections",
        json={
            "name": "items",
            "fields": [
                {"name": "title", "type": "text", "required": True},
                {"name": "n", "type": "number"},
                {"name": "pics_count", "type": "number"},
                {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 1 << 20},
                {"name": "pics", "type": "file", "maxSelect": 3},
            ],
        },
    )
    assert created.status_code == 200, created.text
    enabled = live.api("PATCH", "/api/settings", json={"batch": {"enabled": True}})
    assert enabled.status_code == 200, enabled.text


def run_and_kill(live: Instance, workload: Workload, rng: random.Random) -> None:
    threads = [threading.Thread(target=workload.writer, args=(i,)) for i in range(2)]
    threads.append(threading.Thread(target=workload.schema))
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.5, 1.5))
    live.kill()
    workload.stop.set()
    for thread in threads:
        thread.join(15)
    workload.stop.clear()


def check(live: Instance, seed: int) -> set[str]:
    """The invariants of the module doc; the unreferenced files found."""
    inspector = Inspector(live)
    context = f"(seed {seed})"
    assert inspector.integrity() == "ok", context
    assert schema_problems(inspector) == [], context
    items = inspector.collection("items")
    batches: dict[str, int] = {}
    for row in inspector.records(items):
        title, n = row["title"], row["n"]
        if title.startswith("b-"):
            marker = title.split("-")[1]
            batches[marker] = batches.get(marker, 0) + 1
        else:
            assert title in (f"c-{n:g}", f"u-{n:g}"), (row, context)
            assert row["pics_count"] == len(row["pics"]), (row, context)
            assert row["doc"], (row, context)
    assert all(count == 3 for count in batches.values()), (batches, context)
    problems, unreferenced = file_problems(inspector, items)
    assert problems == [], context
    return unreferenced


def sweep_now(live: Instance) -> dict[str, int]:
    """The storage sweep with no grace, in a process of its own on the instance's data."""
    script = (
        "import django, json; django.setup();"
        "from baas.storage.tasks import sweep_orphans; print(json.dumps(sweep_orphans(0)))"
    )
    env = dict(live.env, BAAS_DIR=str(live.data_dir), DJANGO_SETTINGS_MODULE="baas.settings")
    done = services.python_output(script, env, timeout=60)
    import json

    return json.loads(done.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def crashing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with instance(tmp_path_factory.mktemp("crashing"), workers=2) as live:
        prepare(live)
        yield live


def test_sigkill_in_the_middle_of_writes_leaves_whole_records_and_files(crashing: Instance) -> None:
    live = crashing
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    workload = Workload(live.url, live.token, seed)
    for _ in range(CYCLES):
        run_and_kill(live, workload, rng)
        live.restart()  # the same --dir and database; nothing repaired by hand
        workload.url = live.url
        check(live, seed)
        # writes work at once after the restart
        created = live.api(
            "POST",
            RECORDS,
            data={"title": "c-0", "n": "0", "pics_count": "1"},
            files=[
                ("doc", ("d.txt", b"x", "text/plain")),
                ("pics", ("p.bin", b"p", "application/octet-stream")),
            ],
        )
        assert created.status_code == 200, (created.text, seed)
    unreferenced = check(live, seed)
    print(
        f"seed {seed}: answered {workload.done}, 5xx {workload.failed}, unreferenced {len(unreferenced)}"
    )
    swept = sweep_now(live)
    assert check(live, seed) == set(), f"the sweep left orphans (seed {seed})"
    assert swept["files"] == len(unreferenced), (swept, seed)


def test_a_backup_made_under_writes_restores_whole_records(crashing: Instance) -> None:
    """The same writers (schema changes included) run while ``POST /api/backups`` makes an
    archive; restored in place, it holds only whole records, each with its files."""
    live = crashing
    seed = random.randrange(1 << 30)
    workload = Workload(live.url, live.token, seed)
    threads = [threading.Thread(target=workload.writer, args=(i,)) for i in range(2)]
    threads.append(threading.Thread(target=workload.schema))
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        for _ in range(3):  # under this churn an attempt may refuse (it never keeps a bad archive)
            made = live.api("POST", "/api/backups", json={"name": "busy.zip"})
            if "kept changing" not in made.text:
                break
        time.sleep(0.3)
    finally:
        workload.stop.set()
        for thread in threads:
            thread.join(15)
    assert made.status_code == 204, made.text
    marker = live.api(
        "POST",
        RECORDS,
        data={"title": "c-1", "n": "1", "pics_count": "0"},
        files=[("doc", ("d.txt", b"x", "text/plain"))],
    )
    assert marker.status_code == 200, marker.text
    from tests.backups.test_roundtrip import settled, workers
    from tests.reliability.live import wait_for

    old = workers(live)
    assert live.api("POST", "/api/backups/busy.zip/restore").status_code == 204

    wait_for(
        lambda: live.api("GET", f"{RECORDS}/{marker.json()['id']}").status_code == 404,
        60,
        "the restore (a record made after the backup is gone)",
        interval=0.25,
    )
    settled(live, old)
    check(live, seed)
