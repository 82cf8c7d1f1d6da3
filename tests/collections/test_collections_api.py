"""Collections API (wire-api §1) as scenario tables: request → status and body fragments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

POSTS = {
    "name": "posts",
    "fields": [
        {"name": "title", "type": "text", "required": True, "max": 200},
        {"name": "views", "type": "number", "onlyInt": True},
        {"name": "created", "type": "autodate"},
    ],
}


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: Any = None
    who: str = "superuser"  # superuser | owner | guest
    status: int = 200
    expect: dict[str, Any] = field(default_factory=dict)  # dotted path -> value
    setup: list[dict[str, Any]] = field(default_factory=list)  # collections to create first


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


SCENARIOS = [
    Scenario("list needs auth", "GET", "/api/collections", who="guest", status=401),
    Scenario("list refuses users", "GET", "/api/collections", who="owner", status=403),
    Scenario("list", "GET", "/api/collections?perPage=2", expect={"perPage": 2, "page": 1}),
    Scenario(
        "list skipTotal",
        "GET",
        "/api/collections?skipTotal=1",
        expect={"totalItems": -1, "totalPages": -1},
    ),
    Scenario("list bad skipTotal", "GET", "/api/collections?skipTotal=yes", status=400),
    Scenario(
        "list filter",
        "GET",
        '/api/collections?filter=name="users"',
        expect={"totalItems": 1, "items.0.id": "_pb_users_auth_"},
    ),
    Scenario(
        "list filter system",
        "GET",
        "/api/collections?filter=system=true%20%26%26%20type='auth'",
        expect={"totalItems": 1, "items.0.name": "_superusers"},
    ),
    Scenario(
        "list filter like", "GET", "/api/collections?filter=name~'auth'", expect={"totalItems": 2}
    ),
    Scenario("list filter unknown field", "GET", "/api/collections?filter=nope=1", status=400),
    Scenario("list filter bad syntax", "GET", "/api/collections?filter=name=", status=400),
    Scenario("list bad sort", "GET", "/api/collections?sort=nope", status=400),
    Scenario(
        "view users by name",
        "GET",
        "/api/collections/users",
        expect={"id": "_pb_users_auth_", "type": "auth"},
    ),
    Scenario(
        "view superusers by id",
        "GET",
        "/api/collections/pbc_3142635823",
        expect={"name": "_superusers", "authToken.duration": 86400},
    ),
    Scenario(
        "view unknown",
        "GET",
        "/api/collections/nope",
        status=404,
        expect={"message": "Missing collection context."},
    ),
    Scenario(
        "view hides token secrets",
        "GET",
        "/api/collections/users?fields=authToken",
        expect={"authToken": {"duration": 432000}},
    ),
    Scenario(
        "create",
        "POST",
        "/api/collections",
        POSTS,
        expect={
            "id": "pbc_1125843985",
            "name": "posts",
            "fields.0.name": "id",
            "fields.1.id": "text724990059",
            "fields.2.onlyInt": True,
        },
    ),
    Scenario("create needs superuser", "POST", "/api/collections", POSTS, who="owner", status=403),
    Scenario(
        "duplicate name, any case",
        "POST",
        "/api/collections",
        {"name": "USERS"},
        status=400,
        expect={"data.name.code": "validation_collection_name_exists"},
    ),
    Scenario(
        "invalid name",
        "POST",
        "/api/collections",
        {"name": "bad name"},
        status=400,
        expect={"data.name.code": "validation_match_invalid"},
    ),
    Scenario(
        "SQL keyword name",
        "POST",
        "/api/collections",
        {"name": "select"},
        status=400,
        expect={"data.name.code": "validation_match_invalid"},
    ),
    Scenario(
        "reserved name",
        "POST",
        "/api/collections",
        {"name": "_mine"},
        status=400,
        expect={"data.name.code": "validation_reserved_name"},
    ),
    Scenario(
        "name too long",
        "POST",
        "/api/collections",
        {"name": "x" * 101},
        status=400,
        expect={"data.name.code": "validation_length_out_of_range"},
    ),
    Scenario(
        "bad type",
        "POST",
        "/api/collections",
        {"name": "x", "type": "bogus"},
        status=400,
        expect={"data.type.code": "validation_in_invalid"},
    ),
    Scenario(
        "unknown field type",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "a", "type": "nope"}]},
        status=400,
        expect={"data": {}},
    ),
    Scenario(
        "bad option",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "a", "type": "text", "max": -1}]},
        status=400,
        expect={"data.fields.1.max.code": "validation_invalid_value"},
    ),
    Scenario(
        "duplicate field name",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "bool"}]},
        status=400,
        expect={"data.fields.2.name.code": "validation_duplicated_field_name"},
    ),
    Scenario(
        "reserved field name",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "expand", "type": "text"}]},
        status=400,
        expect={"data.fields.1.name.code": "validation_field_invalid_name"},
    ),
    Scenario(
        "too many fields",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": f"f{i}", "type": "bool"} for i in range(401)]},
        status=400,
        expect={"data.fields.code": "validation_too_many_fields"},
    ),
    Scenario(
        "relation to missing collection",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "r", "type": "relation", "collectionId": "missing"}]},
        status=400,
        expect={"data.fields.1.collectionId.code": "validation_missing_collection"},
    ),
    Scenario(
        "select maxSelect over values",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "s", "type": "select", "values": ["a"], "maxSelect": 2}]},
        status=400,
        expect={"data.fields.1.maxSelect.code": "validation_max_less_equal_than_required"},
    ),
    Scenario(
        "bad thumb",
        "POST",
        "/api/collections",
        {"name": "x", "fields": [{"name": "f", "type": "file", "thumbs": ["big"]}]},
        status=400,
        expect={"data.fields.1.thumbs.0.code": "validation_invalid_thumb_format"},
    ),
    Scenario(
        "index on unknown column",
        "POST",
        "/api/collections",
        {"name": "x", "indexes": ["CREATE INDEX i1 ON x (missing)"]},
        status=400,
        expect={"data.indexes.0.code": "validation_invalid_index_expression"},
    ),
    Scenario(
        "index with a subquery",
        "POST",
        "/api/collections",
        {"name": "x", "indexes": ["CREATE INDEX i1 ON x ((SELECT 1))"]},
        status=400,
        expect={"data.indexes.0.code": "validation_invalid_index_expression"},
    ),
    Scenario(
        "identity field needs unique index",
        "POST",
        "/api/collections",
        {
            "name": "members",
            "type": "auth",
            "passwordAuth": {"identityFields": ["email", "username"]},
            "fields": [{"name": "username", "type": "text"}],
        },
        status=400,
        expect={"data.passwordAuth.identityFields.1.code": "validation_missing_unique_constraint"},
    ),
    Scenario(
        "auth collection defaults",
        "POST",
        "/api/collections",
        {"name": "members", "type": "auth"},
        expect={
            "fields.1.name": "password",
            "fields.2.name": "tokenKey",
            "passwordAuth.identityFields": ["email"],
            "authToken.duration": 432000,
            "authRule": "",
            "manageRule": None,
        },
    ),
    Scenario(
        "view: only a SELECT",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "DELETE FROM users"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: two statements",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT id FROM users; SELECT id FROM users"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: no system tables",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT name AS id FROM sqlite_master"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: no system collections",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT id, email FROM _superusers"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: no secrets",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT id, tokenKey FROM users"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: no file functions",
        "POST",
        "/api/collections",
        {
            "name": "v",
            "type": "view",
            "viewQuery": "SELECT id, pg_read_file('/etc/passwd') AS x FROM users",
        },
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view: needs an id",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT email FROM users"},
        status=400,
        expect={"data.viewQuery.code": "validation_invalid_view_query"},
    ),
    Scenario(
        "view",
        "POST",
        "/api/collections",
        {"name": "v", "type": "view", "viewQuery": "SELECT id, title, views FROM posts"},
        setup=[POSTS],
        expect={
            "type": "view",
            "fields.1.name": "title",
            "fields.2.type": "number",
            "createRule": None,
        },
    ),
    Scenario(
        "update rename",
        "PATCH",
        "/api/collections/posts",
        {"name": "articles"},
        setup=[POSTS],
        expect={"name": "articles", "id": "pbc_1125843985"},
    ),
    Scenario(
        "cannot rename a system collection",
        "PATCH",
        "/api/collections/_superusers",
        {"name": "admins"},
        status=400,
        expect={"data.name.code": "validation_collection_system_name_change"},
    ),
    Scenario(
        "cannot change type",
        "PATCH",
        "/api/collections/posts",
        {"type": "auth"},
        setup=[POSTS],
        status=400,
        expect={"data.type.code": "validation_collection_type_change"},
    ),
    Scenario("delete", "DELETE", "/api/collections/posts", setup=[POSTS], status=204),
    Scenario(
        "delete a referenced collection",
        "DELETE",
        "/api/collections/users",
        status=400,
        setup=[
            {
                "name": "notes",
                "fields": [
                    {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"}
                ],
            }
        ],
        expect={
            "message": "Failed to delete collection probably due to existing reference in notes."
        },
    ),
    Scenario("delete a system collection", "DELETE", "/api/collections/_superusers", status=400),
    Scenario("truncate", "DELETE", "/api/collections/posts/truncate", setup=[POSTS], status=204),
    Scenario(
        "import: empty",
        "PUT",
        "/api/collections/import",
        {"collections": []},
        status=400,
        expect={"data.collections.code": "validation_required"},
    ),
    Scenario(
        "import",
        "PUT",
        "/api/collections/import",
        {"collections": [POSTS, {"name": "tags", "fields": [{"name": "label", "type": "text"}]}]},
        status=204,
    ),
    Scenario(
        "scaffolds",
        "GET",
        "/api/collections/meta/scaffolds",
        expect={
            "base.fields.0.id": "text3208210256",
            "auth.fields.2.name": "tokenKey",
            "view.viewQuery": "",
        },
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_collections_api(api: Any, cast: Any, scenario: Scenario) -> None:
    for data in scenario.setup:
        assert api.post("/api/collections", json=data, token=cast.superuser).status_code == 200
    token = {"superuser": cast.superuser, "owner": cast.owner, "guest": None}[scenario.who]
    response = api.request(scenario.method, scenario.path, json=scenario.body, token=token)
    assert response.status_code == scenario.status, response.content
    body = response.json() if response.content else None
    for path, value in scenario.expect.items():
        assert dig(body, path) == value, (path, body)


def test_failed_create_leaves_nothing(api: Any, cast: Any) -> None:
    bad = {
        "name": "half",
        "fields": [{"name": "a", "type": "text"}],
        "indexes": ["CREATE INDEX i ON half (nope)"],
    }
    assert api.post("/api/collections", json=bad, token=cast.superuser).status_code == 400
    assert api.get("/api/collections/half", token=cast.superuser).status_code == 404
    assert (
        api.post("/api/collections", json=dict(bad, indexes=[]), token=cast.superuser).status_code
        == 200
    )


def test_import_is_atomic(api: Any, cast: Any) -> None:
    good = {"name": "first"}
    bad = {
        "name": "second",
        "fields": [{"name": "r", "type": "relation", "collectionId": "missing"}],
    }
    response = api.put(
        "/api/collections/import", json={"collections": [good, bad]}, token=cast.superuser
    )
    assert response.status_code == 400
    assert api.get("/api/collections/first", token=cast.superuser).status_code == 404


def test_unique_index_on_duplicate_data_is_refused(
    api: Any, cast: Any, make_collection: Any
) -> None:
    make_collection({"name": "tags", "fields": [{"name": "label", "type": "text"}]})
    for _ in range(2):
        assert (
            api.post(
                "/api/collections/tags/records", json={"label": "same"}, token=cast.superuser
            ).status_code
            == 200
        )
    response = api.patch(
        "/api/collections/tags",
        json={"indexes": ["CREATE UNIQUE INDEX u ON tags (label)"]},
        token=cast.superuser,
    )
    assert response.status_code == 400
    assert response.json()["data"]["indexes"]["0"]["code"] == "validation_invalid_index_expression"
    assert api.get("/api/collections/tags", token=cast.superuser).json()["indexes"] == []


def test_oauth2_client_secret_is_write_only_and_kept(api: Any, cast: Any) -> None:
    from baas.collections.models import USERS_ID, Collection

    provider = {"name": "github", "clientId": "id1", "clientSecret": "s3cret"}
    body = {"oauth2": {"enabled": True, "providers": [provider]}}
    shown = api.patch("/api/collections/users", json=body, token=cast.superuser).json()
    assert "clientSecret" not in shown["oauth2"]["providers"][0]
    again = {"oauth2": {"providers": [{"name": "github", "clientId": "id2"}]}}
    assert api.patch("/api/collections/users", json=again, token=cast.superuser).status_code == 200
    stored = Collection.objects.get(id=USERS_ID).options["oauth2"]["providers"][0]
    assert stored == {"name": "github", "clientId": "id2", "clientSecret": "s3cret"}
