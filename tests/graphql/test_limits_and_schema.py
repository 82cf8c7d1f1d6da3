"""Depth and complexity limits, bad requests (never a 500), introspection, schema rebuilds."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.graphql.conftest import World


def nested(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"posts_via_tags {{ tags {{ {inner} }} }}"
    return "{ tagsList { items { " + inner + " } } }"


def test_depth_limit(world: World) -> None:
    with override_settings(BAAS_GRAPHQL_MAX_DEPTH=7, BAAS_GRAPHQL_MAX_COMPLEXITY=10**9):
        response = world.gql(nested(3), world.cast.superuser)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("The query is too deep: 9 levels")
    with override_settings(BAAS_GRAPHQL_MAX_DEPTH=7, BAAS_GRAPHQL_MAX_COMPLEXITY=10**9):
        assert world.gql(nested(2), world.cast.superuser).status_code == 200


def test_depth_counts_through_fragments(world: World) -> None:
    query = """
      { tagsList { items { ...T } } }
      fragment T on Tags { posts_via_tags { tags { posts_via_tags { id } } } }
    """
    with override_settings(BAAS_GRAPHQL_MAX_DEPTH=4, BAAS_GRAPHQL_MAX_COMPLEXITY=10**9):
        response = world.gql(query, world.cast.superuser)
    assert response.status_code == 400
    assert "too deep: 6 levels" in response.json()["errors"][0]["message"]


def test_complexity_limit_counts_pages_and_relations(world: World) -> None:
    query = "query ($n: Int) { postsList(perPage: $n) { items { id title tags { id } } } }"
    with override_settings(BAAS_GRAPHQL_MAX_COMPLEXITY=1000):
        small = world.gql(query, None, n=10)
        big = world.gql(query, None, n=100)
        aliases = world.gql(
            "{ " + " ".join(f"a{i}: postsList {{ totalItems }}" for i in range(600)) + " }"
        )
    assert small.status_code == 200
    assert big.status_code == 400
    assert big.json()["errors"][0]["message"].startswith("The query is too complex")
    assert aliases.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ""},
        {"query": 42},
        {"query": "{"},
        {"query": "{ nope }"},
        {"query": "{ postsList { items { id } } }", "variables": [1]},
        {
            "query": "query ($n: Int) { postsList(perPage: $n) { totalItems } }",
            "variables": {"n": "x"},
        },
        {"query": "query A { postsList { totalItems } } query B { tagsList { totalItems } }"},
        {"query": "subscription { posts { action } }"},
        {"query": "{ postsList { totalItems } }", "operationName": 3},
        {"query": "{ a" * 20000},
        {"query": "{" + "a{" * 3000 + "b" + "}" * 3001},
        {"query": "{ postsList(filter: " + "[" * 3000 + ") { totalItems } }"},
        {"query": "{ postsList { items { id ...F } } } fragment F on Posts { ...F }"},
    ],
)
def test_bad_requests_are_clean_errors(world: World, body: Any) -> None:
    response = world.api.post("/api/graphql", json=body)
    assert response.status_code in (200, 400), response.content
    answer = response.json()
    if response.status_code == 200 or "errors" in answer:  # a document that cannot run
        assert answer["errors"][0]["message"]
    else:  # not a GraphQL request at all: the API's envelope
        assert answer == {"status": 400, "message": answer["message"], "data": {}}


def test_invalid_json_body_is_a_400(world: World) -> None:
    response = world.api.client.post("/api/graphql", "{nope", content_type="application/json")
    assert response.status_code == 400


def test_introspection_is_for_superusers(world: World) -> None:
    query = "{ __schema { queryType { name } } }"
    assert world.gql(query, world.cast.owner).status_code == 400
    assert world.data(query, world.cast.superuser)["__schema"]["queryType"]["name"] == "Query"
    assert world.data("{ __typename }", world.cast.owner) == {"__typename": "Query"}


def test_schema_is_rebuilt_after_a_collection_change(world: World) -> None:
    root = world.cast.superuser
    url = "/api/collections/tags"
    assert world.gql("{ tagsList { items { color } } }", root).status_code == 400
    fields = world.api.get(url, token=root).json()["fields"]
    fields.append({"name": "color", "type": "text"})
    assert world.api.patch(url, json={"fields": fields}, token=root).status_code == 200
    found = world.data('{ tagsList(sort: "label") { items { label color } } }', root)
    assert found["tagsList"]["items"][0] == {"label": "private", "color": ""}
    # a rule change takes effect at once
    assert world.data("{ tagsList { totalItems } }")["tagsList"]["totalItems"] == 1
    response = world.api.patch(url, json={"listRule": "public = false"}, token=root)
    assert response.status_code == 200
    assert world.data("{ tagsList { items { label } } }")["tagsList"]["items"] == [
        {"label": "private"}
    ]
    # a new collection appears, a deleted one goes
    made = world.api.post(
        "/api/collections",
        json={"name": "fresh", "listRule": "", "fields": [{"name": "x", "type": "text"}]},
        token=root,
    )
    assert made.status_code == 200
    assert world.data("{ freshList { totalItems } }") == {"freshList": {"totalItems": 0}}
    assert world.api.delete("/api/collections/fresh", token=root).status_code == 204
    assert world.gql("{ freshList { totalItems } }").status_code == 400


def test_api_keys(world: World) -> None:
    """An unscoped key is a superuser here as in REST; a key scoped to collections gets
    a schema of those alone, and its actions are checked by the record service."""
    keys = "/api/x/api-keys"
    unscoped = world.api.post(keys, json={"name": "all"}, token=world.cast.superuser).json()
    found = world.data("{ lockedList { totalItems } }", unscoped["key"])
    assert found == {"lockedList": {"totalItems": 1}}
    scoped = world.api.post(
        keys,
        json={"name": "tags", "collections": ["tags"], "actions": ["list"]},
        token=world.cast.superuser,
    ).json()["key"]
    assert world.data("{ tagsList { totalItems } }", scoped) == {"tagsList": {"totalItems": 2}}
    outside = world.gql("{ lockedList { totalItems } }", scoped)
    assert outside.status_code == 400
    assert outside.json()["errors"][0]["message"].startswith("Cannot query field 'lockedList'")
    created = world.gql('mutation { createTags(data: {label: "x"}) { id } }', scoped).json()
    assert created["data"] == {"createTags": None}
    assert created["errors"][0]["extensions"]["status"] == 403


def _key_viewer(collections: set[str], actions: set[str]) -> Any:
    from baas.auth.context import ApiKeyScope, AuthContext
    from baas.collections.models import SUPERUSERS_ID, Collection

    return AuthContext(
        record={"id": "key"},
        collection=Collection.objects.get(id=SUPERUSERS_ID),
        api_key=True,
        scopes=ApiKeyScope(frozenset(collections), frozenset(actions)),
    )


def test_api_key_actions_are_checked_by_every_resolver(world: World) -> None:
    from baas.collections.records.service import Call
    from baas.graphql import execution

    viewer = _key_viewer(set(), {"list"})  # every collection, lists only
    query = '{ postsList(sort: "n") { items { title tags { label } } } tags(id: "x") { id } }'
    result = execution.run(execution.prepare(query, None, None, viewer), Call(viewer=viewer))
    assert result["data"]["tags"] is None
    assert result["errors"][0]["message"] == "The API key is not allowed to perform this action."
    # nested records need the view action
    assert [p["tags"] for p in result["data"]["postsList"]["items"]] == [[], []]


def test_a_key_scoped_to_collections_gets_a_schema_of_those_alone(world: World) -> None:
    from baas.graphql import execution
    from baas.graphql import schema as schemas

    viewer = _key_viewer({"posts"}, set())
    built = schemas.current(viewer)
    assert set(built.schema.query_type.fields) == {"posts", "postsList"}  # type: ignore[union-attr]
    posts = built.schema.get_type("Posts")
    assert str(posts.fields["tags"].type) == "[String!]"  # type: ignore[union-attr]
    assert built.schema.get_type("Tags") is None
    assert schemas.current(viewer) is built  # cached per scope
    assert schemas.current(_key_viewer(set(), {"list"})) is schemas.current()  # no collections
    with pytest.raises(execution.RequestError):
        execution.prepare("{ tagsList { totalItems } }", None, None, viewer)
