"""A live server of its own for the tests that drive the API from its document: a few
collections with rules, some records, ``openapi.public`` on (tests/reliability/live.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.live import Instance, instance


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with instance(tmp_path_factory.mktemp("schemathesis")) as live:
        live.sign_in_superuser()
        _world(live)
        yield live


def _world(live: Instance) -> None:
    collections = [
        {
            "name": "posts",
            "listRule": "published = true || author = @request.auth.id",
            "viewRule": "published = true || author = @request.auth.id",
            "createRule": "@request.auth.id != ''",
            "updateRule": "author = @request.auth.id",
            "deleteRule": "author = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text", "required": True, "max": 200},
                {"name": "views", "type": "number"},
                {"name": "published", "type": "bool"},
                {"name": "kind", "type": "select", "values": ["news", "blog"]},
                {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "meta", "type": "json"},
                {"name": "day", "type": "date"},
                {"name": "where", "type": "geoPoint"},
                {"name": "created", "type": "autodate"},
            ],
        },
        {"name": "vault", "fields": [{"name": "n", "type": "number"}]},
    ]
    for body in collections:
        made = live.api("POST", "/api/collections", json=body)
        assert made.status_code == 200, made.text
    # a relation to itself: the document's schemas refer to each other in a cycle
    posts = live.api("GET", "/api/collections/posts").json()
    parent = {"name": "parent", "type": "relation", "collectionId": posts["id"]}
    changed = live.api(
        "PATCH", "/api/collections/posts", json={"fields": [*posts["fields"], parent]}
    )
    assert changed.status_code == 200, changed.text
    for n in range(3):
        body = {"title": f"post {n}", "views": n * 10, "published": n != 1, "kind": "news"}
        made = live.api("POST", "/api/collections/posts/records", json=body)
        assert made.status_code == 200, made.text
    public = live.api("PATCH", "/api/settings", json={"openapi": {"public": True}})
    assert public.status_code == 200, public.text
