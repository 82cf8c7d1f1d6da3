"""GraphQL queries show exactly what REST shows: rules, hidden fields, emails, relations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql.conftest import World

POSTS = """
query ($filter: String, $sort: String, $perPage: Int, $page: Int) {
  postsList(filter: $filter, sort: $sort, perPage: $perPage, page: $page) {
    page perPage totalItems totalPages
    items { id title n secret ownerId }
  }
}
"""


def rest_items(world: World, collection: str, token: str | None, **query: Any) -> Any:
    response = world.api.get(f"/api/collections/{collection}/records", token=token, query=query)
    return response


@pytest.mark.parametrize("who", ["superuser", "owner", "other", "guest"])
def test_list_matches_rest_for_everyone(world: World, who: str) -> None:
    token = getattr(world.cast, who)
    listed = world.data(POSTS, token, sort="n")["postsList"]
    rest = rest_items(world, "posts", token, sort="n").json()
    assert [i["id"] for i in listed["items"]] == [i["id"] for i in rest["items"]]
    assert listed["totalItems"] == rest["totalItems"] == 2
    for item, expected in zip(listed["items"], rest["items"], strict=True):
        assert item["title"] == expected["title"]
        assert item["ownerId"] == expected["owner"]
        # hidden fields: only superusers see them, as in REST
        assert item["secret"] == expected.get("secret")
    assert (listed["items"][0]["secret"] is not None) == (who == "superuser")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("superuser", 2), ("owner", 1), ("other", 1), ("guest", 0)],
)
def test_list_rule_applies(world: World, who: str, expected: int) -> None:
    found = world.data("{ notesList { totalItems items { text } } }", getattr(world.cast, who))
    assert found["notesList"]["totalItems"] == expected
    assert rest_items(world, "notes", getattr(world.cast, who)).json()["totalItems"] == expected


def test_filter_sort_paging_and_skip_total(world: World) -> None:
    listed = world.data(POSTS, world.cast.guest, filter="n > 1")["postsList"]
    assert [i["title"] for i in listed["items"]] == ["Second"]
    paged = world.data(POSTS, None, sort="-n", perPage=1, page=2)["postsList"]
    assert (paged["page"], paged["perPage"], paged["totalPages"]) == (2, 1, 2)
    assert [i["title"] for i in paged["items"]] == ["Hello tomatoes"]
    skipped = world.data("{ postsList(skipTotal: true) { totalItems totalPages } }")
    assert skipped["postsList"] == {"totalItems": -1, "totalPages": -1}


def test_locked_collection_is_an_error_like_rest(world: World) -> None:
    response = world.gql("{ lockedList { totalItems } postsList { totalItems } }", world.cast.owner)
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"lockedList": None, "postsList": {"totalItems": 2}}
    assert body["errors"][0]["extensions"]["status"] == 403
    assert body["errors"][0]["message"] == "Only superusers can perform this action."
    assert rest_items(world, "locked", world.cast.owner).status_code == 403
    root = world.data("{ lockedList { totalItems } }", world.cast.superuser)
    assert root["lockedList"]["totalItems"] == 1


def test_bad_filter_is_a_400_error_not_a_500(world: World) -> None:
    body = world.gql('{ postsList(filter: "title ~~ (") { totalItems } }').json()
    assert body["errors"][0]["extensions"]["status"] == 400


def test_single_record_view_rule(world: World) -> None:
    query = "query ($id: ID!) { notes(id: $id) { id text } }"
    mine = world.notes["owner's"]
    assert world.data(query, world.cast.owner, id=mine)["notes"]["text"] == "owner's"
    assert world.data(query, world.cast.other, id=mine)["notes"] is None
    assert world.data(query, None, id=mine)["notes"] is None
    assert world.data(query, world.cast.owner, id="missing")["notes"] is None


def test_emails_follow_email_visibility(world: World) -> None:
    query = "query ($id: ID!) { users(id: $id) { id email } }"
    owner_id, root = world.cast.owner_id, world.cast.superuser
    assert world.data(query, world.cast.owner, id=owner_id)["users"]["email"] == (
        "owner@example.com"
    )
    assert world.data(query, root, id=owner_id)["users"]["email"] == "owner@example.com"
    # users' default viewRule hides another user's record altogether, as REST does
    rest = world.api.get(f"/api/collections/users/records/{owner_id}", token=world.cast.other)
    assert rest.status_code == 404
    assert world.data(query, world.cast.other, id=owner_id)["users"] is None
    # visible record, hidden email: null where REST leaves the key out
    patched = world.api.patch("/api/collections/users", json={"viewRule": ""}, token=root)
    assert patched.status_code == 200
    rest = world.api.get(f"/api/collections/users/records/{owner_id}", token=world.cast.other)
    assert rest.status_code == 200 and "email" not in rest.json()
    assert world.data(query, world.cast.other, id=owner_id)["users"] == {
        "id": owner_id,
        "email": None,
    }
    record = f"/api/collections/users/records/{owner_id}"
    shown = world.api.patch(record, json={"emailVisibility": True}, token=root)
    assert shown.status_code == 200
    assert world.data(query, world.cast.other, id=owner_id)["users"]["email"] == (
        "owner@example.com"
    )


def test_nested_relations_are_rule_checked(world: World) -> None:
    query = """
      query ($id: ID!) {
        posts(id: $id) { title tagsIds tags { label } owner { id email } }
      }
    """
    post = world.posts["Hello tomatoes"]
    guest = world.data(query, None, id=post)["posts"]
    # the raw ids are what REST shows; the nested records only those the viewRule allows
    assert len(guest["tagsIds"]) == 2
    assert guest["tags"] == [{"label": "public"}]
    assert guest["owner"] is None  # users' viewRule hides the owner from guests
    rest = world.api.get(
        f"/api/collections/posts/records/{post}", query={"expand": "tags,owner"}
    ).json()
    assert [t["label"] for t in rest["expand"]["tags"]] == ["public"]
    assert "owner" not in rest["expand"]
    root = world.data(query, world.cast.superuser, id=post)["posts"]
    assert [t["label"] for t in root["tags"]] == ["public", "private"]
    assert root["owner"]["email"] == "owner@example.com"


def test_back_relations_are_rule_checked(world: World) -> None:
    query = '{ tagsList(sort: "label") { items { label posts_via_tags { title } } } }'
    signed_in = world.data(query, world.cast.other)["tagsList"]["items"]
    assert [t["label"] for t in signed_in] == ["private", "public"]
    assert {p["title"] for p in signed_in[0]["posts_via_tags"]} == {"Hello tomatoes", "Second"}


def test_search_in_list_queries_is_rule_checked(world: World) -> None:
    query = '{ postsList(search: "tomatoes") { items { title } } }'
    assert world.data(query)["postsList"]["items"] == [{"title": "Hello tomatoes"}]
    query = '{ notesList(search: "owner") { items { text } } }'
    body = world.gql(query, world.cast.owner).json()
    assert "errors" in body, body
    assert body["errors"][0]["message"] == "The collection has no searchable fields."
    hostile = world.data('{ postsList(search: "NEAR(\\"tomatoes\\" *") { totalItems } }')
    assert hostile == {"postsList": {"totalItems": 0}}  # words only: NEAR is a word here
    empty = world.gql('{ postsList(search: "\\" * )") { totalItems } }').json()
    assert empty["errors"][0]["extensions"]["status"] == 400


def test_a_hidden_relation_is_not_followed(world: World, make_collection: Any) -> None:
    tags_id = world.api.get("/api/collections/tags", token=world.cast.superuser).json()["id"]
    relation = {"name": "tag", "type": "relation", "collectionId": tags_id, "maxSelect": 1}
    make_collection(
        {
            "name": "pins",
            "listRule": "",
            "viewRule": "",
            "fields": [{**relation, "hidden": True}],
        }
    )
    public = world.tags["public"]
    made = world.api.post(
        "/api/collections/pins/records", json={"tag": public}, token=world.cast.superuser
    )
    assert made.status_code == 200, made.content
    query = "{ pinsList { items { tagId tag { label } } } }"
    assert world.data(query)["pinsList"]["items"] == [{"tagId": None, "tag": None}]
    assert world.data(query, world.cast.superuser)["pinsList"]["items"] == [
        {"tagId": public, "tag": {"label": "public"}}
    ]
    back = "query ($id: ID!) { tags(id: $id) { label pins_via_tag { id } } }"
    assert world.data(back, None, id=public)["tags"] == {"label": "public", "pins_via_tag": []}
    rooted = world.data(back, world.cast.superuser, id=public)["tags"]["pins_via_tag"]
    assert rooted == [{"id": made.json()["id"]}]
