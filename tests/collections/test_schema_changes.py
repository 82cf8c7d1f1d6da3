"""Schema changes keep data (issue: add, rename, retype, delete with records present)."""

from __future__ import annotations

from typing import Any

import requests

from tests import services


def fields_of(api: Any, token: str, name: str) -> list[dict[str, Any]]:
    return api.get(f"/api/collections/{name}", token=token).json()["fields"]


def patch_fields(api: Any, token: str, name: str, fields: list[dict[str, Any]]) -> Any:
    return api.patch(f"/api/collections/{name}", json={"fields": fields}, token=token)


def records(api: Any, token: str, name: str) -> dict[str, dict[str, Any]]:
    items = api.get(f"/api/collections/{name}/records?perPage=100", token=token).json()["items"]
    return {item["label"]: item for item in items}


COMMON = ("id", "name", "system", "hidden", "presentable", "required")


def change(fields: list[dict[str, Any]], field_name: str, **updates: Any) -> list[dict[str, Any]]:
    """``fields`` with one field changed; a retype keeps only the keys every type shares."""

    def changed(f: dict[str, Any]) -> dict[str, Any]:
        base = {k: f[k] for k in COMMON if k in f} if "type" in updates else f
        return dict(base, **updates)

    return [changed(f) if f["name"] == field_name else f for f in fields]


def test_values_survive_add_rename_retype_delete(api: Any, cast: Any, make_collection: Any) -> None:
    su = cast.superuser
    make_collection(
        {
            "name": "items",
            "fields": [
                {"name": "label", "type": "text"},
                {"name": "count", "type": "number"},
                {"name": "code", "type": "text"},
                {"name": "kind", "type": "select", "values": ["a", "b"]},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        }
    )
    rows = [
        {"label": "one", "count": 1, "code": "10", "kind": "a", "owner": cast.owner_id},
        {"label": "two", "count": 2.5, "code": "", "kind": "b", "owner": ""},
    ]
    for row in rows:
        assert api.post("/api/collections/items/records", json=row, token=su).status_code == 200

    fields = fields_of(api, su, "items") + [{"name": "note", "type": "text"}]
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["one"]["note"] == ""

    fields = change(fields_of(api, su, "items"), "count", name="amount")
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["two"]["amount"] == 2.5

    fields = change(fields_of(api, su, "items"), "amount", type="text")
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["two"]["amount"] == "2.5"

    fields = change(fields_of(api, su, "items"), "code", type="number")
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["one"]["code"] == 10

    fields = change(fields_of(api, su, "items"), "kind", maxSelect=2)
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["one"]["kind"] == ["a"]

    fields = change(fields_of(api, su, "items"), "owner", maxSelect=5)
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["one"]["owner"] == [cast.owner_id]
    fields = change(fields_of(api, su, "items"), "owner", maxSelect=1)
    assert patch_fields(api, su, "items", fields).status_code == 200
    assert records(api, su, "items")["one"]["owner"] == cast.owner_id

    fields = [f for f in fields_of(api, su, "items") if f["name"] != "note"]
    assert patch_fields(api, su, "items", fields).status_code == 200
    current = records(api, su, "items")
    assert "note" not in current["one"] and current["one"]["amount"] == "1"


def test_lossy_retype_is_refused_with_a_count(api: Any, cast: Any, make_collection: Any) -> None:
    su = cast.superuser
    make_collection(
        {
            "name": "notes",
            "fields": [{"name": "label", "type": "text"}, {"name": "body", "type": "text"}],
        }
    )
    for label, body in (("a", "12"), ("b", "twelve"), ("c", "x")):
        api.post("/api/collections/notes/records", json={"label": label, "body": body}, token=su)
    fields = change(fields_of(api, su, "notes"), "body", type="number")
    response = patch_fields(api, su, "notes", fields)
    assert response.status_code == 400
    error = response.json()["data"]["fields"]["2"]["type"]
    assert error["code"] == "validation_field_type_conversion"
    assert error["params"] == {"count": 2}
    assert records(api, su, "notes")["b"]["body"] == "twelve"


def test_multi_select_to_single_refuses_lists(api: Any, cast: Any, make_collection: Any) -> None:
    su = cast.superuser
    make_collection(
        {
            "name": "tagged",
            "fields": [
                {"name": "label", "type": "text"},
                {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
            ],
        }
    )
    api.post("/api/collections/tagged/records", json={"label": "x", "tags": ["a", "b"]}, token=su)
    response = patch_fields(
        api, su, "tagged", change(fields_of(api, su, "tagged"), "tags", maxSelect=1)
    )
    assert response.status_code == 400
    assert records(api, su, "tagged")["x"]["tags"] == ["a", "b"]


def test_a_schema_change_reaches_another_process_without_restart() -> None:
    """Two ``baas serve`` processes on one database: B sees A's schema change at once."""
    with (
        services.shared_data("baas-2proc-") as (data, env),
        services.baas_server(data, env=env) as a,
    ):
        assert a.cli("superuser", "upsert", "root@example.com", "password123").returncode == 0
        with services.baas_server(data, env=env) as b:
            token = requests.post(
                f"{a}/api/collections/_superusers/auth-with-password",
                json={"identity": "root@example.com", "password": "password123"},
                timeout=10,
            ).json()["token"]
            headers = {"Authorization": token}
            created = requests.post(
                f"{a}/api/collections",
                json={"name": "live", "fields": [{"name": "a", "type": "text"}]},
                headers=headers,
                timeout=10,
            )
            assert created.status_code == 200, created.text
            first = requests.post(
                f"{b}/api/collections/live/records",
                json={"a": "1"},
                headers=headers,
                timeout=10,
            )
            assert first.status_code == 200 and "b" not in first.json()
            fields = created.json()["fields"] + [{"name": "b", "type": "number"}]
            assert (
                requests.patch(
                    f"{a}/api/collections/live",
                    json={"fields": fields},
                    headers=headers,
                    timeout=10,
                ).status_code
                == 200
            )
            second = requests.post(
                f"{b}/api/collections/live/records",
                json={"a": "2", "b": 7},
                headers=headers,
                timeout=10,
            )
            assert second.status_code == 200, second.text
            assert second.json()["b"] == 7


def test_views_follow_their_source(api: Any, cast: Any, make_collection: Any) -> None:
    su = cast.superuser
    make_collection(
        {
            "name": "src",
            "fields": [{"name": "label", "type": "text"}, {"name": "score", "type": "number"}],
        }
    )
    make_collection(
        {"name": "board", "type": "view", "viewQuery": "SELECT id, label, score FROM src"}
    )
    api.post("/api/collections/src/records", json={"label": "a", "score": 3}, token=su)
    fields = fields_of(api, su, "src") + [{"name": "extra", "type": "bool"}]
    assert patch_fields(api, su, "src", fields).status_code == 200
    assert api.patch("/api/collections/src", json={"name": "source"}, token=su).status_code == 200
    board = api.get("/api/collections/board", token=su).json()
    assert "source" in board["viewQuery"]
    assert api.get("/api/collections/board/records", token=su).json()["items"][0]["score"] == 3
    without_score = [f for f in fields_of(api, su, "source") if f["name"] != "score"]
    response = patch_fields(api, su, "source", without_score)
    assert response.status_code == 400
    assert response.json()["data"]["fields"]["code"] == "validation_view_dependency"
    assert "score" in [f["name"] for f in fields_of(api, su, "source")]


def test_a_recreated_collection_gets_a_fresh_model(
    api: Any, cast: Any, make_collection: Any
) -> None:
    """Same name, so same id and schema version 1: the cached model must not be reused."""
    su = cast.superuser
    make_collection({"name": "again", "fields": [{"name": "one", "type": "text"}]})
    assert (
        api.post("/api/collections/again/records", json={"one": "x"}, token=su).status_code == 200
    )
    assert api.delete("/api/collections/again", token=su).status_code == 204
    make_collection({"name": "again", "fields": [{"name": "two", "type": "number"}]})
    created = api.post("/api/collections/again/records", json={"two": 2}, token=su)
    assert created.status_code == 200, created.content
    assert created.json()["two"] == 2


def test_one_change_adding_and_removing_many_fields_keeps_every_column(
    api: Any, cast: Any, make_collection: Any
) -> None:
    """On SQLite an added column with a default rebuilds the table: each step of one change
    must build on the steps before (a relation added first was lost by the next add)."""
    su = cast.superuser
    target = make_collection({"name": "targets", "fields": [{"name": "t", "type": "text"}]})
    make_collection(
        {
            "name": "mixed",
            "fields": [{"name": "label", "type": "text"}, {"name": "old", "type": "number"}],
        }
    )
    kept = api.post("/api/collections/mixed/records", json={"label": "kept"}, token=su).json()
    aim = api.post("/api/collections/targets/records", json={"t": "x"}, token=su).json()
    fields = [f for f in fields_of(api, su, "mixed") if f["name"] != "old"] + [
        {"name": "rel", "type": "relation", "collectionId": target["id"], "maxSelect": 1},
        {"name": "n", "type": "number"},
        {"name": "flag", "type": "bool"},
        {"name": "rels", "type": "relation", "collectionId": target["id"], "maxSelect": 3},
        {"name": "note", "type": "text"},
    ]
    assert patch_fields(api, su, "mixed", fields).status_code == 200
    body = {"rel": aim["id"], "n": 2, "flag": True, "rels": [aim["id"]], "note": "hi"}
    updated = api.patch(f"/api/collections/mixed/records/{kept['id']}", json=body, token=su)
    assert updated.status_code == 200, updated.content
    assert {k: updated.json()[k] for k in body} == body
    listed = api.get("/api/collections/mixed/records", token=su)
    assert listed.status_code == 200 and listed.json()["items"][0]["label"] == "kept"
