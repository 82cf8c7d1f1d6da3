"""A create checks a given id before it inserts, so a duplicate names only ``id``; a
generated id (15 random characters) is left to the primary key, whose violation gives
the same error (bench/PROFILE.md, fifth pass: one query less per create)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from baas.collections import naming
from baas.collections.models import Collection

TAKEN = "takenxxxxxxxxxx"
NOT_UNIQUE = {
    "status": 400,
    "message": "Failed to create record.",
    "data": {"id": {"code": "validation_not_unique", "message": "Value must be unique."}},
}


@pytest.fixture
def notes(cast: Any, make_collection: Any) -> Collection:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "fields": [{"name": "title", "type": "text", "max": 10}],
        }
    )
    return Collection.objects.get(name="notes")


def id_checks(queries: list[dict[str, Any]], collection: Collection) -> int:
    table = naming.table_name(collection.id)
    return sum(1 for q in queries if q["sql"].startswith(f'SELECT id FROM "{table}" WHERE id IN'))


def create(api: Any, body: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    with CaptureQueriesContext(connection) as seen:
        answer = api.post("/api/collections/notes/records", json=body)
    return answer, seen.captured_queries


def count(api: Any) -> int:
    return int(api.get("/api/collections/notes/records").json()["totalItems"])


def test_a_generated_id_is_not_looked_up(api: Any, notes: Collection) -> None:
    answer, queries = create(api, {"title": "a"})
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["id"]) == 15
    assert id_checks(queries, notes) == 0
    assert count(api) == 1


def test_a_given_id_is_checked_first(api: Any, notes: Collection) -> None:
    first, queries = create(api, {"id": TAKEN, "title": "a"})
    assert first.status_code == 200, first.content
    assert id_checks(queries, notes) == 1
    again, _ = create(api, {"id": TAKEN, "title": "b"})
    assert again.status_code == 400
    assert again.json() == NOT_UNIQUE
    assert count(api) == 1


def test_a_given_duplicate_id_is_the_only_error_named(api: Any, notes: Collection) -> None:
    assert create(api, {"id": TAKEN, "title": "a"})[0].status_code == 200
    answer, _ = create(api, {"id": TAKEN, "title": "far too long a title"})
    assert answer.status_code == 400
    assert set(answer.json()["data"]) == {"title"}  # validation comes before the insert


@pytest.fixture
def reusing_hook(tmp_path: Path) -> Iterator[None]:
    """A hook that gives a new record an id already taken, which no lookup checks."""
    (tmp_path / "reuse.py").write_text(
        textwrap.dedent(
            f"""
            from baas.hooks import on

            @on("records.before_create", collection="notes")
            def reuse(ctx):
                if ctx.record["title"] == "dup":
                    ctx.record["id"] = "{TAKEN}"
            """
        )
    )
    with override_settings(BAAS_HOOKS_DIR=tmp_path):
        yield


def test_a_taken_id_that_was_not_given_is_refused_by_the_primary_key(
    api: Any, notes: Collection, reusing_hook: None
) -> None:
    assert create(api, {"id": TAKEN, "title": "first"})[0].status_code == 200
    answer, queries = create(api, {"title": "dup"})
    assert answer.status_code == 400, answer.content
    assert answer.json() == NOT_UNIQUE
    assert id_checks(queries, notes) == 0
    assert count(api) == 1
    assert api.post("/api/collections/notes/records", json={"title": "c"}).status_code == 200
