"""``GET /api/openapi.json`` (docs/api-extensions.md): who may read it, what it describes,
and that it is a valid OpenAPI 3.1 document (openapi-spec-validator)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from baas.settings_api import service as app_settings

URL = "/api/openapi.json"


@pytest.fixture
def world(make_collection: Any) -> None:
    make_collection(
        {
            "name": "posts",
            "listRule": "published = true",
            "viewRule": "",
            "createRule": "@request.auth.id != ''",
            "fields": [
                {"name": "title", "type": "text", "required": True},
                {"name": "views", "type": "number"},
                {"name": "published", "type": "bool"},
                {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                {"name": "kind", "type": "select", "values": ["news", "blog"]},
                {"name": "cover", "type": "file"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "where", "type": "geoPoint"},
                {"name": "secret", "type": "text", "hidden": True},
                {"name": "created", "type": "autodate"},
            ],
        }
    )
    make_collection({"name": "vault", "fields": [{"name": "n", "type": "number"}]})
    make_collection(
        {
            "name": "titles",
            "type": "view",
            "listRule": "",
            "viewQuery": "SELECT id, title FROM posts",
        }
    )


def _public(on: bool) -> None:
    app_settings.update({"openapi": {"public": on}})


@pytest.mark.django_db
def test_only_superusers_unless_the_setting_allows(api: Any, cast: Any, world: None) -> None:
    assert api.get(URL).status_code == 401
    assert api.get(URL, token=cast.owner).status_code == 403
    assert api.get(URL, token=cast.superuser).status_code == 200
    _public(True)
    assert api.get(URL).status_code == 200
    assert api.get(URL, token=cast.owner).status_code == 200
    assert api.get(URL, token=cast.superuser).json()["paths"].get("/api/settings")
    settings = api.get("/api/settings", token=cast.superuser).json()
    assert settings["openapi"] == {"public": True}


@pytest.mark.django_db
def test_superuser_document_is_valid_and_complete(api: Any, cast: Any, world: None) -> None:
    doc = api.get(URL, token=cast.superuser).json()
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    for path in (
        "/api/collections/posts/records",
        "/api/collections/posts/records/{recordId}",
        "/api/collections/posts/aggregate",
        "/api/collections/users/auth-with-password",
        "/api/collections/users/auth-refresh",
        "/api/collections/users/request-otp",
        "/api/collections/_superusers/auth-with-password",
        "/api/collections/vault/records",
        "/api/files/{collection}/{recordId}/{filename}",
        "/api/files/token",
        "/api/realtime",
        "/api/batch",
        "/api/health",
        "/api/collections",
        "/api/settings",
        "/api/logs",
    ):
        assert path in paths, path
    assert set(paths["/api/collections/posts/records"]) == {"get", "post"}
    assert set(paths["/api/collections/titles/records"]) == {"get"}  # a view: read-only
    assert "/api/collections/_mfas/records" not in paths
    # the rules' text is shown to superusers; a locked rule needs a token
    listing = paths["/api/collections/posts/records"]["get"]
    assert "published = true" in listing["description"]
    assert {} not in paths["/api/collections/vault/records"]["get"]["security"]
    assert (
        "multipart/form-data"
        in paths["/api/collections/posts/records"]["post"]["requestBody"]["content"]
    )


@pytest.mark.django_db
def test_record_schemas_follow_the_fields(api: Any, cast: Any, world: None) -> None:
    schemas = api.get(URL, token=cast.superuser).json()["components"]["schemas"]
    record = schemas["Record_posts"]["properties"]
    assert "secret" not in record  # hidden fields are never on the wire for clients
    assert record["views"] == {"type": "number"}
    assert record["published"] == {"type": "boolean"}
    assert record["tags"]["type"] == "array"
    assert record["kind"]["enum"] == ["", "news", "blog"]
    assert record["where"]["properties"] == {"lon": {"type": "number"}, "lat": {"type": "number"}}
    assert record["collectionName"]["const"] == "posts"
    assert record["expand"]["properties"] == {
        "author": {"$ref": "#/components/schemas/Record_users"}
    }
    users = schemas["Record_users"]["properties"]
    assert "password" not in users and "tokenKey" not in users and "email" in users
    create = schemas["Create_posts"]
    assert create["required"] == ["title"]
    assert "created" not in create["properties"]  # autodate is set by the server
    assert set(schemas["Create_users"]["required"]) >= {"password", "passwordConfirm"}
    assert "oldPassword" in schemas["Update_users"]["properties"]
    assert schemas["Auth_users"]["properties"]["record"] == {
        "$ref": "#/components/schemas/Record_users"
    }


@pytest.mark.django_db
def test_public_document_hides_rules_locked_collections_and_admin(
    api: Any, cast: Any, world: None
) -> None:
    _public(True)
    doc = api.get(URL).json()
    validate(doc)
    paths = doc["paths"]
    assert "/api/collections/posts/records" in paths
    assert "/api/collections/vault/records" not in paths  # every rule locked
    assert "/api/collections/_superusers/auth-with-password" not in paths
    assert "/api/settings" not in paths and "/api/collections" not in paths
    assert "published = true" not in str(paths["/api/collections/posts/records"])


@pytest.mark.django_db
def test_document_follows_schema_changes(api: Any, cast: Any, world: None) -> None:
    first = api.get(URL, token=cast.superuser).json()
    assert "/api/collections/notes/records" not in first["paths"]
    made = api.post(
        "/api/collections",
        json={"name": "notes", "listRule": "", "fields": [{"name": "body", "type": "text"}]},
        token=cast.superuser,
    )
    assert made.status_code == 200
    second = api.get(URL, token=cast.superuser).json()
    assert "/api/collections/notes/records" in second["paths"]
    changed = api.patch(
        "/api/collections/notes",
        json={"listRule": "body != ''"},
        token=cast.superuser,
    )
    assert changed.status_code == 200
    third = api.get(URL, token=cast.superuser).json()
    assert "body != ''" in third["paths"]["/api/collections/notes/records"]["get"]["description"]
