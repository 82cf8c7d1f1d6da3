"""Mutations go through the record service: the same rules, validation and errors as REST."""

from __future__ import annotations

from tests.graphql.conftest import World

CREATE = """
mutation ($data: PostsInput!) { createPosts(data: $data) { id title n ownerId secret } }
"""
UPDATE = """
mutation ($id: ID!, $data: PostsInput!) { updatePosts(id: $id, data: $data) { id title } }
"""
DELETE = "mutation ($id: ID!) { deletePosts(id: $id) }"


def test_create_follows_the_create_rule(world: World) -> None:
    guest = world.gql(CREATE, None, data={"title": "x"}).json()
    assert guest["data"] == {"createPosts": None}
    assert guest["errors"][0]["extensions"]["status"] in (400, 403)
    made = world.data(
        CREATE, world.cast.owner, data={"title": "new", "n": 3, "owner": world.cast.owner_id}
    )["createPosts"]
    assert (made["title"], made["n"], made["ownerId"], made["secret"]) == (
        "new",
        3.0,
        world.cast.owner_id,
        None,
    )
    rest = world.api.get(f"/api/collections/posts/records/{made['id']}").json()
    assert rest["title"] == "new"


def test_validation_errors_carry_the_contract_data(world: World) -> None:
    body = world.gql(CREATE, world.cast.owner, data={"owner": "missing"}).json()
    error = body["errors"][0]
    assert error["extensions"]["status"] == 400
    assert error["extensions"]["data"]["owner"]["code"] == "validation_missing_rel_records"


def test_update_and_delete_follow_their_rules(world: World) -> None:
    post = world.posts["Hello tomatoes"]  # the owner's
    other = world.gql(UPDATE, world.cast.other, id=post, data={"title": "hijacked"}).json()
    assert other["errors"][0]["extensions"]["status"] == 404
    assert world.data(UPDATE, world.cast.owner, id=post, data={"title": "edited"}) == {
        "updatePosts": {"id": post, "title": "edited"}
    }
    denied = world.gql(DELETE, world.cast.other, id=post).json()
    assert denied["errors"][0]["extensions"]["status"] == 404
    assert world.data(DELETE, world.cast.owner, id=post) == {"deletePosts": True}
    assert world.api.get(f"/api/collections/posts/records/{post}").status_code == 404


def test_mutations_need_post(world: World) -> None:
    response = world.api.get("/api/graphql", query={"query": 'mutation { deletePosts(id: "x") }'})
    assert response.status_code == 405
    response = world.api.get("/api/graphql", query={"query": "{ postsList { totalItems } }"})
    assert response.status_code == 200
    assert response.json()["data"]["postsList"]["totalItems"] == 2
