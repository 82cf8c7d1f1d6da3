"""Autodate columns carry a default index (issue #9: sensible default indexes).

The index is physical only: the collection's wire ``indexes`` list stays what the
user set. It has the name Django's ``db_index`` gives it, follows the column through
schema changes, and migration 0003 adds it to tables made before.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection

from baas.collections import naming
from baas.collections.models import Collection

migration = importlib.import_module("baas.collections.migrations.0003_autodate_indexes")

USER_INDEX = "CREATE INDEX idx_title ON notes (title)"


def catalog(table: str) -> dict[str, str]:
    """Index name -> definition, for every index of ``table``, from the catalog."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT name, coalesce(sql, '') FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = %s",
                [table],
            )
        return dict(cursor.fetchall())


def expected_name(table: str, column: str) -> str:
    return connection.SchemaEditorClass(connection)._create_index_name(table, [column])


def autodate_indexes(name: str) -> dict[str, str]:
    """Field name -> its default index name, for the collection's autodate fields present."""
    collection = Collection.objects.get(name=name)
    table = naming.table_name(collection.id)
    present = catalog(table)
    out = {}
    for field in collection.fields:
        if field["type"] != "autodate":
            continue
        index = expected_name(table, naming.column_name(field))
        if index in present:
            out[field["name"]] = index
    return out


def table_of(name: str) -> str:
    return naming.table_name(Collection.objects.get(name=name).id)


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    return make_collection(
        {
            "name": "notes",
            "listRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "created", "type": "autodate", "onCreate": True},
                {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
            ],
            "indexes": [USER_INDEX],
        }
    )


def fields_of(api: Any, token: str) -> list[dict[str, Any]]:
    return api.get("/api/collections/notes", token=token).json()["fields"]


def patch(api: Any, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.patch("/api/collections/notes", json=body, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def test_new_collection_indexes_its_autodate_columns(notes: dict[str, Any]) -> None:
    assert set(autodate_indexes("notes")) == {"created", "updated"}
    table = table_of("notes")
    present = catalog(table)
    # One plain index per autodate column: on PostgreSQL no text_pattern_ops twin.
    for field in Collection.objects.get(name="notes").fields:
        if field["type"] == "autodate":
            column = naming.column_name(field)
            on_column = {name: sql for name, sql in present.items() if column in sql}
            assert list(on_column) == [expected_name(table, column)]
            definition = on_column[expected_name(table, column)]
            assert "pattern_ops" not in definition
            # PostgreSQL: in the compiler's NULLS order, so both directions use it.
            assert ("NULLS FIRST" in definition) == (connection.vendor == "postgresql")


def test_wire_indexes_list_is_what_the_user_set(api: Any, cast: Any, notes: dict[str, Any]) -> None:
    assert notes["indexes"] == [USER_INDEX]
    assert api.get("/api/collections/notes", token=cast.superuser).json()["indexes"] == [USER_INDEX]
    # A user index on the same column is allowed next to the default one.
    body = patch(
        api, cast.superuser, {"indexes": [USER_INDEX, "CREATE INDEX idx_c ON notes (created)"]}
    )
    assert body["indexes"] == [USER_INDEX, "CREATE INDEX idx_c ON notes (created)"]
    assert set(autodate_indexes("notes")) == {"created", "updated"}


def test_add_and_remove_an_autodate_field(api: Any, cast: Any, notes: dict[str, Any]) -> None:
    su = cast.superuser
    assert (
        api.post("/api/collections/notes/records", json={"title": "a"}, token=su).status_code == 200
    )
    fields = fields_of(api, su)
    patch(api, su, {"fields": [*fields, {"name": "seen", "type": "autodate", "onCreate": True}]})
    assert set(autodate_indexes("notes")) == {"created", "updated", "seen"}
    patch(api, su, {"fields": [f for f in fields_of(api, su) if f["name"] != "created"]})
    assert set(autodate_indexes("notes")) == {"updated", "seen"}
    column_gone = naming.column_name(next(f for f in fields if f["name"] == "created"))
    assert not [sql for sql in catalog(table_of("notes")).values() if column_gone in sql]
    assert len(api.get("/api/collections/notes/records", token=su).json()["items"]) == 1


def test_retype_and_rename(api: Any, cast: Any, notes: dict[str, Any]) -> None:
    su = cast.superuser
    assert (
        api.post("/api/collections/notes/records", json={"title": "a"}, token=su).status_code == 200
    )
    fields = fields_of(api, su)

    def retype(name: str, **new: Any) -> list[dict[str, Any]]:
        keep = ("id", "name", "system", "hidden", "presentable")
        return [
            dict({k: f[k] for k in keep if k in f}, **new) if f["name"] == name else f
            for f in fields_of(api, su)
        ]

    patch(api, su, {"fields": retype("created", type="text")})
    assert set(autodate_indexes("notes")) == {"updated"}
    patch(api, su, {"fields": retype("created", type="autodate", onCreate=True)})
    assert set(autodate_indexes("notes")) == {"created", "updated"}
    renamed = [dict(f, name="made") if f["name"] == "created" else f for f in fields_of(api, su)]
    patch(api, su, {"fields": renamed})
    assert set(autodate_indexes("notes")) == {"made", "updated"}
    assert [f["id"] for f in fields_of(api, su)] == [f["id"] for f in fields]
    items = api.get("/api/collections/notes/records?sort=-made", token=su).json()["items"]
    assert [item["title"] for item in items] == ["a"]


def test_truncate_and_delete(api: Any, cast: Any, notes: dict[str, Any]) -> None:
    su = cast.superuser
    assert (
        api.post("/api/collections/notes/records", json={"title": "a"}, token=su).status_code == 200
    )
    assert api.delete("/api/collections/notes/truncate", token=su).status_code == 204
    assert set(autodate_indexes("notes")) == {"created", "updated"}
    table = table_of("notes")
    assert api.delete("/api/collections/notes", token=su).status_code == 204
    assert catalog(table) == {}


def test_migration_creates_missing_indexes_idempotently(notes: dict[str, Any]) -> None:
    table = table_of("notes")
    names = autodate_indexes("notes")
    made = catalog(table)
    with connection.cursor() as cursor:
        for name in names.values():
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    assert autodate_indexes("notes") == {}
    before = catalog(table)
    done = migration.create_autodate_indexes(connection, Collection.objects.all())
    assert set(names.values()) <= set(done)
    assert autodate_indexes("notes") == names
    again = migration.create_autodate_indexes(connection, Collection.objects.all())
    assert again == done
    assert catalog(table) == made  # same names and definitions as the schema editor's
    assert set(made) == set(before) | set(names.values())


def test_migration_skips_views(
    api: Any, cast: Any, notes: dict[str, Any], make_collection: Any
) -> None:
    make_collection(
        {
            "name": "note_view",
            "type": "view",
            "viewQuery": "SELECT id, created FROM notes",
        }
    )
    done = migration.create_autodate_indexes(connection, Collection.objects.all())
    view_table = table_of("note_view")
    assert not [name for name in done if name.startswith(view_table)]


def test_sort_by_created_answers_the_same_rows(api: Any, cast: Any, notes: dict[str, Any]) -> None:
    su = cast.superuser
    for title in ["a", "b", "c", "d", "e"]:
        assert (
            api.post("/api/collections/notes/records", json={"title": title}, token=su).status_code
            == 200
        )
    items = api.get("/api/collections/notes/records?sort=-created&perPage=3", token=su).json()
    rows = items["items"]
    everything = api.get("/api/collections/notes/records?perPage=100", token=su).json()["items"]
    expected = sorted(everything, key=lambda r: r["created"], reverse=True)
    assert items["totalItems"] == 5
    assert [r["created"] for r in rows] == [r["created"] for r in expected[:3]]
    assert len({r["id"] for r in rows}) == 3


def page_plan(api: Any, token: str, query: str) -> str:
    """The query plan of the page query the list endpoint sends for ``query``."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"/api/collections/notes/records?{query}", token=token)
        assert response.status_code == 200, response.content
    [sql] = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: make the choice visible
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("query", ["sort=-created", "sort=created", "sort=-updated", ""])
def test_list_orders_walk_the_default_index(
    api: Any, cast: Any, notes: dict[str, Any], query: str
) -> None:
    """The compiler's sorts (PostgreSQL: ``DESC NULLS LAST`` / ``ASC NULLS FIRST``) and the
    default order read the index in order instead of sorting the table."""
    su = cast.superuser
    for title in ["a", "b", "c"]:
        assert (
            api.post("/api/collections/notes/records", json={"title": title}, token=su).status_code
            == 200
        )
    if not query and connection.vendor == "sqlite":
        return  # SQLite's default order is the rowid
    column = "updated" if "updated" in query else "created"
    index = autodate_indexes("notes")[column]
    text = page_plan(api, su, f"perPage=2&{query}")
    assert index in text, text
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in text and "Presorted Key" in text, text
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in text, text
