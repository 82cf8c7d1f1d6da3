"""Concurrent writes to one record, and writes racing schema changes, on a live server.

Every update carries fields that must agree (``b == a % 3``, ``count == len(pics)``). An
update is prepared from an unlocked read (uploads are stored outside the transaction)
and written under the row lock only if the row is still what it was prepared from;
otherwise it starts again. Without that, a write prepared from a stale read skipped
the columns whose new value equalled the stale one, and a concurrent write's value
stayed beside this write's others: a record no client ever sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.live import Instance, instance

RECORDS = "/api/collections/things/records"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    root: Path = tmp_path_factory.mktemp("concurrent")
    with instance(root, workers=2) as server:
        server.sign_in_superuser()
        created = server.api(
            "POST",
            "/api/collections",
            json={
                "name": "things",
                "fields": [
                    {"name": "a", "type": "number"},
                    {"name": "b", "type": "number"},
                    {"name": "count", "type": "number"},
                    {"name": "pics", "type": "file", "maxSelect": 3},
                ],
            },
        )
        assert created.status_code == 200, created.text
        yield server


def _hammer(live: Instance, work: list[object], threads: int = 4) -> list[str]:
    """Run each thread's callable until ``work`` is drained; the unexpected answers."""
    problems: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        with httpx.Client(
            base_url=live.url, headers={"Authorization": live.token}, timeout=30
        ) as http:
            while True:
                with lock:
                    if not work:
                        return
                    job = work.pop()
                answer = job(http)  # type: ignore[operator]
                if answer.status_code not in (200, 204):
                    with lock:
                        problems.append(f"{answer.status_code} {answer.text[:200]}")

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    return problems


def test_concurrent_updates_of_one_record_never_mix_two_writes(live: Instance) -> None:
    record = live.api("POST", RECORDS, json={"a": 0, "b": 0, "count": 0}).json()["id"]

    def update(k: int) -> object:
        def call(http: httpx.Client) -> httpx.Response:
            files = [
                ("pics", (f"p{i}.bin", b"x" * (k + i), "application/octet-stream"))
                for i in range(k % 3)
            ]
            data = {"a": str(k), "b": str(k % 3), "count": str(len(files))}
            if not files:
                data["pics"] = ""
            return http.patch(f"{RECORDS}/{record}", data=data, files=files or None)

        return call

    problems = _hammer(live, [update(k) for k in range(1, 161)])
    assert problems == []
    row = live.api("GET", f"{RECORDS}/{record}").json()
    assert row["b"] == row["a"] % 3, row
    assert row["count"] == len(row["pics"]), row


def test_writes_racing_schema_changes_succeed_or_fail_cleanly(live: Instance) -> None:
    """Fields come and go while records are created and updated: no 5xx, and every write
    that answered 200 is whole."""
    ids = [live.api("POST", RECORDS, json={"a": i, "b": i % 3}).json()["id"] for i in range(4)]
    stop = threading.Event()
    schema_problems: list[str] = []

    def churn() -> None:
        with httpx.Client(
            base_url=live.url, headers={"Authorization": live.token}, timeout=30
        ) as http:
            n = 0
            while not stop.is_set():
                fields = http.get("/api/collections/things").json()["fields"]
                extras = [f for f in fields if f["name"].startswith("extra")]
                if extras:
                    fields = [f for f in fields if f["id"] != extras[-1]["id"]]
                else:
                    n += 1
                    fields.append({"name": f"extra{n}", "type": "text"})
                answer = http.patch("/api/collections/things", json={"fields": fields})
                if answer.status_code >= 500:
                    schema_problems.append(answer.text[:200])

    def write(k: int) -> object:
        def call(http: httpx.Client) -> httpx.Response:
            if k % 2:
                return http.post(RECORDS, json={"a": k, "b": k % 3})
            return http.patch(f"{RECORDS}/{ids[k % 4]}", json={"a": k, "b": k % 3})

        return call

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        problems = _hammer(live, [write(k) for k in range(200)])
    finally:
        stop.set()
        churner.join(60)
    assert problems == [] and schema_problems == [], (problems, schema_problems, live.log()[-4000:])
    listed = live.api("GET", f"{RECORDS}?perPage=500").json()["items"]
    assert all(item["b"] == item["a"] % 3 for item in listed)
