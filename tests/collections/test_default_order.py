"""A list without ``sort`` comes in insertion order, as the binary's (bench/PROFILE.md §9).

Checked against pocketbase 0.40.6: records a, b, c created in that order with ids
``z…``, ``a…``, ``m…``, then a updated, list as a, b, c, also filtered and paged. On
SQLite the order is the rowid's, as the binary's; PostgreSQL orders by ``created``
(then id), which is the same unless two records share a millisecond: the creates here
are a few milliseconds apart.
"""

from __future__ import annotations

import time
from typing import Any

import pytest


@pytest.fixture
def made(api: Any, cast: Any, make_collection: Any) -> list[str]:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number"},
                {"name": "created", "type": "autodate", "onCreate": True},
                {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
            ],
        }
    )
    ids = []
    for n, (title, record_id) in enumerate(
        [("a", "zzzzzzzzzzzzzz1"), ("b", "aaaaaaaaaaaaaa1"), ("c", "mmmmmmmmmmmmmm1"), ("d", None)]
    ):
        body: dict[str, Any] = {"title": title, "n": n}
        if record_id:
            body["id"] = record_id
        response = api.post("/api/collections/notes/records", json=body, token=cast.superuser)
        assert response.status_code == 200, response.content
        ids.append(response.json()["id"])
        time.sleep(0.005)  # distinct `created` milliseconds (PostgreSQL orders by created)
    updated = api.patch(
        f"/api/collections/notes/records/{ids[0]}", json={"title": "a2"}, token=cast.superuser
    )
    assert updated.status_code == 200, updated.content
    return ids


def titles(api: Any, query: str = "") -> list[str]:
    response = api.get(f"/api/collections/notes/records?{query}")
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_a_list_without_sort_is_in_insertion_order(api: Any, made: list[str]) -> None:
    assert titles(api) == ["a2", "b", "c", "d"]
    assert titles(api, "filter=n>=0") == ["a2", "b", "c", "d"]
    assert titles(api, "perPage=2&page=2") == ["c", "d"]
    assert titles(api, "sort=-created") == ["d", "c", "b", "a2"]  # an explicit sort still rules
