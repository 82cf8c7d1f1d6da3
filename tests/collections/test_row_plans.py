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
