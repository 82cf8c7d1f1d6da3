"""Inserts and updates run SQL built once per model (= per schema version), not through
``Manager.create`` / ``QuerySet.update`` (bench/PROFILE.md, fourth pass): what they store
is what the ORM stored, and a schema change gets new statements."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from baas.api.errors import ValidationFailed
from baas.collections import dynamic, naming
from baas.collections.models import Collection
from baas.collections.records import store


@pytest.fixture
def things(api: Any, cast: Any, make_collection: Any) -> Collection:
    targets = make_collection({"name": "targets", "fields": [{"name": "a", "type": "text"}]})
    fields = [
        {"name": "title", "type": "text"},
        {"name": "n", "type": "number"},
        {"name": "flag", "type": "bool"},
        {"name": "data", "type": "json"},
        {"name": "when", "type": "date"},
        {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
        {"name": "one", "type": "relation", "collectionId": targets["id"], "maxSelect": 1},
        {"name": "many", "type": "relation", "collectionId": targets["id"], "maxSelect": 5},
        {"name": "where", "type": "geoPoint"},
    ]
    make_collection({"name": "things", "fields": fields})
    for target in ("t1", "t2"):
        made = api.post(
            "/api/collections/targets/records",
            json={"id": f"{target}xxxxxxxxxxxxx", "a": target},
            token=cast.superuser,
        )
        assert made.status_code == 200, made.content
    return Collection.objects.get(name="things")


def raw_row(collection: Collection, record_id: str) -> tuple[Any, ...]:
    columns = [naming.column_name(f) for f in collection.fields if f["name"] != "many"]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(naming.table_name(collection.id))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted} FROM {table} WHERE id = %s", [record_id])
        return tuple(cursor.fetchone())


ROWS: list[dict[str, Any]] = [
    {
        "title": "hi",
        "n": 1.5,
        "flag": True,
        "data": {"k": [1, "two", None]},
        "when": "2024-01-02 03:04:05.000Z",
        "tags": ["a", "c"],
        "one": "t1xxxxxxxxxxxxx",
        "many": ["t2xxxxxxxxxxxxx", "t1xxxxxxxxxxxxx"],
        "where": {"lon": 1.25, "lat": -2.5},
    },
    {
        "title": "",
        "n": 0,
        "flag": False,
        "data": None,
        "when": "",
        "tags": [],
        "one": "",
        "many": [],
        "where": {"lon": 0, "lat": 0},
    },
]


@pytest.mark.parametrize("values", ROWS)
def test_an_insert_stores_what_the_orm_stored(things: Collection, values: dict[str, Any]) -> None:
    model = dynamic.get_model(things)
    store.insert(things, {"id": "byservicexxxxxx", **values})
    model._default_manager.create(**store._attrs(things, {"id": "byormxxxxxxxxxx", **values}))
    by_service = raw_row(things, "byservicexxxxxx")
    by_orm = raw_row(things, "byormxxxxxxxxxx")
    assert by_service[1:] == by_orm[1:]  # all but the id


@pytest.mark.parametrize("values", ROWS)
def test_an_update_stores_what_the_orm_stored(things: Collection, values: dict[str, Any]) -> None:
    model = dynamic.get_model(things)
    store.insert(things, {**ROWS[1], "id": "byservicexxxxxx"})
    store.insert(things, {**ROWS[1], "id": "byormxxxxxxxxxx"})
    names = set(values)
    store.update(things, {"id": "byservicexxxxxx", **values}, names)
    attrs = store._attrs(things, {"id": "byormxxxxxxxxxx", **values}, names)
    model._default_manager.filter(pk="byormxxxxxxxxxx").update(**attrs)
    assert raw_row(things, "byservicexxxxxx")[1:] == raw_row(things, "byormxxxxxxxxxx")[1:]


def test_a_schema_change_writes_the_new_shape(api: Any, cast: Any, things: Collection) -> None:
    made = api.post("/api/collections/things/records", json={"title": "a"}, token=cast.superuser)
    assert made.status_code == 200, made.content
    fields = [*things.fields, {"name": "extra", "type": "text"}]
    changed = api.patch(
        f"/api/collections/{things.id}", json={"fields": fields}, token=cast.superuser
    )
    assert changed.status_code == 200, changed.content
    again = api.post(
        "/api/collections/things/records", json={"title": "b", "extra": "x"}, token=cast.superuser
    )
    assert again.status_code == 200, again.content
    assert again.json()["extra"] == "x"
    record_id = made.json()["id"]
    updated = api.patch(
        f"/api/collections/things/records/{record_id}", json={"extra": "y"}, token=cast.superuser
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["extra"] == "y" and updated.json()["title"] == "a"


def test_a_failed_insert_marks_the_transaction_for_rollback(things: Collection) -> None:
    """As the ORM's ``create`` did: nothing more runs in a block whose write failed."""
    store.insert(things, {**ROWS[1], "id": "takenxxxxxxxxxx"})
    with transaction.atomic():
        with pytest.raises(ValidationFailed):
            store.insert(things, {**ROWS[1], "id": "takenxxxxxxxxxx"})
        assert connection.needs_rollback
