"""A public list sorted by the collection's own fields compiles its ORDER BY once per
schema (records/rules.py ``_sorts``); a schema change is a new key, never a stale order."""

from __future__ import annotations

from typing import Any

import pytest

from baas.collections.records import rules


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> None:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number"},
            ],
        }
    )
    for title, n in [("a", 2), ("b", 3), ("c", 1)]:
        response = api.post(
            "/api/collections/notes/records", json={"title": title, "n": n}, token=cast.superuser
        )
        assert response.status_code == 200, response.content


def listed(api: Any, sort: str) -> Any:
    return api.get(f"/api/collections/notes/records?sort={sort}")


def test_a_plain_sort_is_compiled_once_and_answers_the_same(api: Any, notes: None) -> None:
    rules._sorts.clear()
    first = listed(api, "-n")
    assert [i["title"] for i in first.json()["items"]] == ["b", "a", "c"]
    assert len(rules._sorts) == 1
    again = listed(api, "-n")
    assert again.json()["items"] == first.json()["items"]
    assert [i["title"] for i in listed(api, "n,title").json()["items"]] == ["c", "a", "b"]
    assert len(rules._sorts) == 2


def test_filters_relations_and_macros_are_not_cached(api: Any, notes: None) -> None:
    rules._sorts.clear()
    assert listed(api, "@random").status_code == 200
    assert api.get("/api/collections/notes/records?sort=-n&filter=n>1").status_code == 200
    assert listed(api, "nope").status_code == 400  # an error is not cached either
    assert rules._sorts == {}


def test_a_schema_change_is_a_new_key(api: Any, cast: Any, notes: None) -> None:
    assert listed(api, "-n").status_code == 200
    collection = api.get("/api/collections/notes", token=cast.superuser).json()
    for field in collection["fields"]:
        if field["name"] == "n":
            field["name"] = "m"
    changed = api.patch(
        "/api/collections/notes", json={"fields": collection["fields"]}, token=cast.superuser
    )
    assert changed.status_code == 200, changed.content
    assert listed(api, "-n").status_code == 400
    assert [i["title"] for i in listed(api, "-m").json()["items"]] == ["b", "a", "c"]
