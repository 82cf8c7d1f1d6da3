"""A small world for the GraphQL scenarios: the fixed cast (superuser, owner, other,
guest) and collections whose rules differ (STYLE §10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.cast import Cast

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
MINE = "owner = @request.auth.id"


@dataclass
class World:
    api: Any
    cast: Cast
    posts: dict[str, str]  # title -> id
    notes: dict[str, str]
    tags: dict[str, str]

    def gql(self, query: str, token: str | None = None, **variables: Any) -> Any:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        return self.api.post("/api/graphql", json=body, token=token)

    def data(self, query: str, token: str | None = None, **variables: Any) -> Any:
        response = self.gql(query, token, **variables)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def collections(users_id: str) -> list[dict[str, Any]]:
    owner = {"name": "owner", "type": "relation", "collectionId": users_id, "maxSelect": 1}
    return [
        {
            "name": "tags",
            **OPEN,
            "listRule": 'public = true || @request.auth.id != ""',
            "viewRule": "public = true",
            "fields": [{"name": "label", "type": "text"}, {"name": "public", "type": "bool"}],
        },
        {
            "name": "posts",
            **OPEN,
            "createRule": '@request.auth.id != ""',
            "updateRule": MINE,
            "deleteRule": MINE,
            "fields": [
                {"name": "title", "type": "text", "searchable": True},
                {"name": "body", "type": "editor", "searchable": True},
                {"name": "n", "type": "number"},
                {"name": "secret", "type": "text", "hidden": True},
                owner,
                {"name": "tags", "type": "relation", "collectionId": "tags", "maxSelect": 5},
            ],
        },
        {
            "name": "notes",
            **OPEN,
            "listRule": MINE,
            "viewRule": MINE,
            "createRule": MINE,
            "updateRule": MINE,
            "deleteRule": MINE,
            "fields": [{"name": "text", "type": "text"}, owner],
        },
        {"name": "locked", "fields": [{"name": "text", "type": "text"}]},
    ]


@pytest.fixture
def world(api: Any, cast: Cast, make_collection: Any) -> World:
    made = {}
    for spec in collections("_pb_users_auth_"):
        for field in spec["fields"]:
            if field.get("collectionId") in made:
                field["collectionId"] = made[field["collectionId"]]
        made[spec["name"]] = make_collection(spec)["id"]

    def create(collection: str, body: dict[str, Any]) -> str:
        url = f"/api/collections/{collection}/records"
        response = api.post(url, json=body, token=cast.superuser)
        assert response.status_code == 200, response.content
        return str(response.json()["id"])

    tags = {
        "public": create("tags", {"label": "public", "public": True}),
        "private": create("tags", {"label": "private", "public": False}),
    }
    posts = {
        "Hello tomatoes": create(
            "posts",
            {
                "title": "Hello tomatoes",
                "body": "<p>first <b>tomatoes</b></p>",
                "n": 1,
                "secret": "s1",
                "owner": cast.owner_id,
                "tags": [tags["public"], tags["private"]],
            },
        ),
        "Second": create(
            "posts", {"title": "Second", "n": 2, "owner": cast.other_id, "tags": [tags["private"]]}
        ),
    }
    notes = {
        "owner's": create("notes", {"text": "owner's", "owner": cast.owner_id}),
        "other's": create("notes", {"text": "other's", "owner": cast.other_id}),
    }
    create("locked", {"text": "nobody"})
    return World(api=api, cast=cast, posts=posts, notes=notes, tags=tags)
