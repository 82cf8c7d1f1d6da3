"""Reading rows uses a plan (quoted SELECT, column decoders) kept per shape of the
collection's fields: the same shape reuses it, any schema change gets a new one."""

from __future__ import annotations

from typing import Any

from baas.collections.models import lookup
from baas.collections.records import rows


def test_the_same_fields_share_a_plan(api: Any, cast: Any, make_collection: Any) -> None:
    make_collection({"name": "notes", "fields": [{"name": "a", "type": "text"}]})
    first, again = lookup("notes"), lookup("notes")
    assert first is not None and again is not None and first is not again
    assert rows._plan(first) is rows._plan(again)


def test_a_schema_change_gets_a_new_plan(api: Any, cast: Any, make_collection: Any) -> None:
    su = cast.superuser
    made = make_collection(
        {
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "fields": [
                {"name": "a", "type": "text"},
                {"name": "link", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        }
    )
    created = api.post(
        "/api/collections/notes/records", json={"a": "x", "link": cast.owner_id}, token=su
    )
    assert created.status_code == 200, created.content
    record = f"/api/collections/notes/records/{created.json()['id']}"
    before = lookup("notes")
    assert before is not None
    old_plan = rows._plan(before)
    assert api.get(record).json()["link"] == cast.owner_id

    fields = [
        {**f, "name": "renamed"} if f["name"] == "a" else f
        for f in api.get(f"/api/collections/{made['id']}", token=su).json()["fields"]
    ]
    fields = [{**f, "maxSelect": 5} if f["name"] == "link" else f for f in fields]
    fields.append({"name": "b", "type": "number"})
    changed = api.patch(f"/api/collections/{made['id']}", json={"fields": fields}, token=su)
    assert changed.status_code == 200, changed.content

    after = lookup("notes")
    assert after is not None and rows._plan(after) is not old_plan
    body = api.get(record).json()
    assert body["renamed"] == "x" and "a" not in body
    assert body["b"] == 0
    assert body["link"] == [cast.owner_id]  # now a multi relation, read from its join table
    assert rows.fetch_one(after, created.json()["id"])["link"] == [cast.owner_id]  # type: ignore[index]


def test_plan_decoders_answer_as_from_db_for_every_type(
    api: Any, cast: Any, make_collection: Any
) -> None:
    """The plan's per-column decoders (FieldType.decoder) give what ``from_db`` gives,
    stored NULLs and odd stored values included; types without one use ``from_db``."""
    from baas.collections.fields import get_field_type

    make_collection(
        {
            "name": "kinds",
            "type": "auth",
            "fields": [
                {"name": "t", "type": "text"},
                {"name": "n", "type": "number"},
                {"name": "b", "type": "bool"},
                {"name": "one", "type": "select", "values": ["a", "b"], "maxSelect": 1},
                {"name": "many", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                {"name": "j", "type": "json"},
                {"name": "g", "type": "geoPoint"},
                {"name": "d", "type": "date"},
                {"name": "u", "type": "url"},
            ],
        }
    )
    collection = lookup("kinds")
    assert collection is not None
    plan = rows._plan(collection)
    by_name = {f["name"]: f for f in collection.fields}
    samples: dict[str, list[Any]] = {
        "t": [None, "", "x"],
        "n": [None, 0, 3, 2.5, 1e20, -4.0],
        "b": [None, 0, 1, True],
        "one": [None, "", "a", ["a", "b"], []],
        "many": [None, "", '["a","b"]', "a", ["a"], "[]", "not json"],
        "j": [None, "null", '{"k": [1]}', "plain"],
        "g": [None, "", '{"lon": 1, "lat": 2}'],
        "d": [None, "", "2026-01-01 00:00:00.000Z"],
        "u": [None, "https://example.com"],
    }
    for index, name in enumerate(plan.names):
        if name not in samples:
            continue
        field = by_name[name]
        field_type = get_field_type(field["type"])
        assert field_type is not None
        decode = rows._bind(plan, collection.fields)[index]
        for value in samples[name]:
            assert decode(value) == field_type.from_db(field, value), (name, value)
    password = plan.names.index("password")
    assert rows._bind(plan, collection.fields)[password]("$argon2id$hash") == "$argon2id$hash"
    assert rows._bind(plan, collection.fields)[password](None) == ""
    # a zero that is a list is a new list each time (no row shares another's value)
    many = rows._bind(plan, collection.fields)[plan.names.index("many")]
    first, second = many(None), many(None)
    assert first == [] and first is not second
