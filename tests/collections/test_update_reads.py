"""How many times an update reads its row (bench/PROFILE.md, fifth pass).

An update with nothing to do outside the database (no upload, no password, no hook
handler, not an auth record) reads its row once, under the row lock, and is prepared
inside its transaction. Any other update is prepared from an unlocked read and reads
the row again under the lock (the compare-and-set), so an upload is stored, a password
hashed or a hook run without holding the write lock. A rule with a condition is checked
inside the transaction either way, against the submitted body too."""

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


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> str:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "updateRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number", "max": 100},
                {"name": "doc", "type": "file", "maxSelect": 1},
            ],
        }
    )
    made = api.post("/api/collections/notes/records", json={"title": "a", "n": 1})
    assert made.status_code == 200, made.content
    return str(made.json()["id"])


def row_reads(queries: list[dict[str, Any]], name: str = "notes") -> int:
    table = naming.table_name(Collection.objects.get(name=name).id)
    return sum(
        1
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    )


def patch(api: Any, record_id: str, **kwargs: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as seen:
        answer = api.patch(f"/api/collections/notes/records/{record_id}", **kwargs)
    return answer, row_reads(seen.captured_queries)


def test_an_empty_rule_update_reads_the_row_once(api: Any, notes: str) -> None:
    answer, reads = patch(api, notes, json={"title": "b"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "b"
    assert reads == 1
    assert api.get(f"/api/collections/notes/records/{notes}").json()["title"] == "b"


def test_a_superuser_update_reads_the_row_once(api: Any, cast: Any, notes: str) -> None:
    answer, reads = patch(api, notes, json={"n": 5}, token=cast.superuser)
    assert answer.status_code == 200, answer.content
    assert answer.json()["n"] == 5
    assert reads == 1


def test_a_rule_with_a_condition_is_still_checked(api: Any, notes: str) -> None:
    collection = Collection.objects.get(name="notes")
    collection.rules = {**collection.rules, "updateRule": "@request.body.n < 10"}
    collection.save()
    refused = api.patch(f"/api/collections/notes/records/{notes}", json={"n": 50})
    assert refused.status_code == 404, refused.content
    assert api.get(f"/api/collections/notes/records/{notes}").json()["n"] == 1
    allowed, reads = patch(api, notes, json={"n": 7})
    assert allowed.status_code == 200, allowed.content
    assert reads == 2  # the rule's own read, in the transaction
    assert api.get(f"/api/collections/notes/records/{notes}").json()["n"] == 7


def test_a_missing_record_is_still_404(api: Any, notes: str) -> None:
    answer, reads = patch(api, "missing0000000", json={"title": "x"})
    assert answer.status_code == 404, answer.content
    assert answer.json() == {
        "status": 404,
        "message": "The requested resource wasn't found.",
        "data": {},
    }


def test_an_invalid_update_changes_nothing(api: Any, notes: str) -> None:
    answer, _ = patch(api, notes, json={"title": "c", "n": 500})
    assert answer.status_code == 400, answer.content
    assert set(answer.json()["data"]) == {"n"}
    stored = api.get(f"/api/collections/notes/records/{notes}").json()
    assert (stored["title"], stored["n"]) == ("a", 1)


def test_an_upload_is_prepared_outside_the_transaction(api: Any, notes: str) -> None:
    answer, reads = patch(api, notes, files={"doc": ("a.txt", b"plain words\n", "text/plain")})
    assert answer.status_code == 200, answer.content
    assert answer.json()["doc"].endswith(".txt")
    assert reads == 3  # the rule check before storing, the unlocked read, the locked one


@pytest.fixture
def hook(tmp_path: Path) -> Iterator[None]:
    (tmp_path / "notes.py").write_text(
        textwrap.dedent(
            """
            from baas.hooks import on

            @on("records.before_update", collection="notes")
            def shout(ctx):
                ctx.record["title"] = ctx.record["title"].upper()
            """
        )
    )
    with override_settings(BAAS_HOOKS_DIR=tmp_path):
        yield


def test_a_hook_handler_runs_outside_the_transaction(api: Any, notes: str, hook: None) -> None:
    answer, reads = patch(api, notes, json={"title": "quiet"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "QUIET"
    assert reads == 2


def test_an_auth_record_is_prepared_outside_the_transaction(api: Any, cast: Any) -> None:
    with CaptureQueriesContext(connection) as seen:
        answer = api.patch(
            f"/api/collections/users/records/{cast.owner_id}",
            json={"name": "Owner"},
            token=cast.owner,
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["name"] == "Owner"
    assert row_reads(seen.captured_queries, "users") >= 2


def test_an_update_prepared_from_an_old_schema_starts_again(
    api: Any, cast: Any, notes: str
) -> None:
    """The one locked read also compares the schema version: a write made from a stale
    copy of the collection is made again from the new schema (here: a lower ``max``)."""
    from baas.api.errors import ValidationFailed
    from baas.auth.context import GUEST
    from baas.collections.records import RecordService
    from baas.collections.records.payload import Submission
    from baas.collections.records.service import Call

    stale = Collection.objects.get(name="notes")
    fields = api.get("/api/collections/notes", token=cast.superuser).json()["fields"]
    for field in fields:
        if field["name"] == "n":
            field["max"] = 5
    changed = api.patch("/api/collections/notes", json={"fields": fields}, token=cast.superuser)
    assert changed.status_code == 200, changed.content
    assert Collection.objects.get(name="notes").schema_version != stale.schema_version
    with pytest.raises(ValidationFailed) as refused:
        RecordService().update_record(stale, notes, Submission(values={"n": 50}), Call(GUEST))
    assert set(refused.value.data) == {"n"}
    done = RecordService().update_record(stale, notes, Submission(values={"n": 4}), Call(GUEST))
    assert done["n"] == 4
    assert api.get(f"/api/collections/notes/records/{notes}").json()["n"] == 4
