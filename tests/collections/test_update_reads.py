"""An update reads its row twice, not three times, when the update rule has no
condition (a superuser, or an empty rule): the locked re-read that makes it a
compare-and-set already proved the row is there (bench/PROFILE.md). A rule with a
condition is still checked inside the transaction, against the submitted body too."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baas.collections import naming
from baas.collections.models import Collection


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> str:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "updateRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}],
        }
    )
    made = api.post("/api/collections/notes/records", json={"title": "a", "n": 1})
    assert made.status_code == 200, made.content
    return str(made.json()["id"])


def row_reads(queries: list[dict[str, Any]]) -> int:
    table = naming.table_name(Collection.objects.get(name="notes").id)
    return sum(
        1
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    )


def test_an_empty_rule_update_reads_the_row_twice(api: Any, notes: str) -> None:
    with CaptureQueriesContext(connection) as seen:
        answer = api.patch(f"/api/collections/notes/records/{notes}", json={"title": "b"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "b"
    assert row_reads(seen.captured_queries) == 2
    assert api.get(f"/api/collections/notes/records/{notes}").json()["title"] == "b"


def test_a_superuser_update_reads_the_row_twice(api: Any, cast: Any, notes: str) -> None:
    with CaptureQueriesContext(connection) as seen:
        answer = api.patch(
            f"/api/collections/notes/records/{notes}", json={"n": 5}, token=cast.superuser
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["n"] == 5
    assert row_reads(seen.captured_queries) == 2


def test_a_rule_with_a_condition_is_still_checked(api: Any, notes: str) -> None:
    collection = Collection.objects.get(name="notes")
    collection.rules = {**collection.rules, "updateRule": "@request.body.n < 10"}
    collection.save()
    refused = api.patch(f"/api/collections/notes/records/{notes}", json={"n": 50})
    assert refused.status_code == 404, refused.content
    with CaptureQueriesContext(connection) as seen:
        allowed = api.patch(f"/api/collections/notes/records/{notes}", json={"n": 7})
    assert allowed.status_code == 200, allowed.content
    assert row_reads(seen.captured_queries) == 3  # the rule's own read, in the transaction
    assert api.get(f"/api/collections/notes/records/{notes}").json()["n"] == 7


def test_a_missing_record_is_still_404(api: Any, notes: str) -> None:
    answer = api.patch("/api/collections/notes/records/missing0000000", json={"title": "x"})
    assert answer.status_code == 404, answer.content
