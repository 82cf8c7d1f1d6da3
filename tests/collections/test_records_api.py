"""Records API (wire-api §2, §3.6, §9) as scenario tables over one fixed data set.

The cast (tests/cast.py): superuser, owner, other user, guest. ``posts`` is owned by
``author``; its rules let anyone list published posts, only the author see drafts,
update and delete; ``secrets`` is locked (null rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

PUBLIC_OR_MINE = "published = true || author = @request.auth.id"
MINE = "author = @request.auth.id"


@pytest.fixture
def world(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    su = cast.superuser
    make_collection(
        {
            "name": "posts",
            "listRule": PUBLIC_OR_MINE,
            "viewRule": PUBLIC_OR_MINE,
            "createRule": "@request.auth.id != '' && author = @request.auth.id",
            "updateRule": MINE,
            "deleteRule": MINE,
            "fields": [
                {"name": "title", "type": "text", "required": True},
                {"name": "body", "type": "editor"},
                {"name": "views", "type": "number"},
                {"name": "published", "type": "bool"},
                {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "internal", "type": "text", "hidden": True},
                {"name": "created", "type": "autodate"},
            ],
        }
    )
    make_collection(
        {
            "name": "comments",
            "listRule": "",
            "viewRule": "",
            "fields": [
                {"name": "msg", "type": "text"},
                {
                    "name": "post",
                    "type": "relation",
                    "collectionId": "pbc_1125843985",
                    "cascadeDelete": True,
                },
            ],
        }
    )
    make_collection({"name": "secrets", "fields": [{"name": "value", "type": "text"}]})
    rows = [
        {
            "id": "post1aaaaaaaaaa",
            "title": "Hello",
            "body": "<p>Some long body text here</p>",
            "views": 10,
            "published": True,
            "tags": ["a", "b"],
            "author": cast.owner_id,
            "internal": "x",
        },
        {
            "id": "post2aaaaaaaaaa",
            "title": "Draft",
            "views": 600,
            "published": False,
            "tags": ["c"],
            "author": cast.owner_id,
        },
        {
            "id": "post3aaaaaaaaaa",
            "title": "Other",
            "views": 700,
            "published": True,
            "author": cast.other_id,
        },
    ]
    for row in rows:
        assert api.post("/api/collections/posts/records", json=row, token=su).status_code == 200
    for i, post in enumerate(["post1aaaaaaaaaa", "post1aaaaaaaaaa", "post3aaaaaaaaaa"]):
        api.post(
            "/api/collections/comments/records",
            json={"id": f"comment{i}aaaaaaa", "msg": f"m{i}", "post": post},
            token=su,
        )
    api.post("/api/collections/secrets/records", json={"value": "s"}, token=su)
    return {"cast": cast}


@dataclass
class Case:
    name: str
    method: str
    path: str
    body: Any = None
    who: str = "guest"
    status: int = 200
    expect: dict[str, Any] = field(
        default_factory=dict
    )  # dotted path -> value ("*len" suffix = length)


def dig(data: Any, path: str) -> Any:
    if path.endswith("*len"):
        return len(dig(data, path[:-4]) if path[:-4] else data)
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


R = "/api/collections/posts/records"
CASES = [
    # list envelope and paging (§2.1)
    Case(
        "guest sees published only",
        "GET",
        f"{R}?sort=title",
        expect={"totalItems": 2, "items.0.id": "post1aaaaaaaaaa", "items.1.id": "post3aaaaaaaaaa"},
    ),
    Case(
        "owner also sees own draft",
        "GET",
        f"{R}?sort=title",
        who="owner",
        expect={"totalItems": 3, "perPage": 30, "page": 1, "totalPages": 1},
    ),
    Case(
        "perPage capped and echoed",
        "GET",
        f"{R}?perPage=5000",
        who="superuser",
        expect={"perPage": 1000},
    ),
    Case(
        "perPage zero is default", "GET", f"{R}?perPage=0", who="superuser", expect={"perPage": 30}
    ),
    Case(
        "page beyond the end",
        "GET",
        f"{R}?page=99",
        who="superuser",
        expect={"page": 99, "items": [], "totalPages": 1},
    ),
    Case("page below one", "GET", f"{R}?page=-3", who="superuser", expect={"page": 1}),
    Case("non-numeric page", "GET", f"{R}?page=x", status=400),
    Case(
        "skipTotal",
        "GET",
        f"{R}?skipTotal=1",
        expect={"totalItems": -1, "totalPages": -1, "items*len": 2},
    ),
    Case("bad skipTotal", "GET", f"{R}?skipTotal=yes", status=400),
    Case(
        "unknown params ignored",
        "GET",
        f"{R}?requestKey=x&$autoCancel=false&nope=1",
        expect={"totalItems": 2},
    ),
    Case(
        "sort desc",
        "GET",
        f"{R}?sort=-views",
        who="superuser",
        expect={"items.0.id": "post3aaaaaaaaaa"},
    ),
    Case(
        "sort two keys",
        "GET",
        f"{R}?sort=-published,title",
        who="superuser",
        expect={"items.0.id": "post1aaaaaaaaaa", "items.2.id": "post2aaaaaaaaaa"},
    ),
    Case("sort random", "GET", f"{R}?sort=@random", who="superuser", expect={"items*len": 3}),
    Case("sort unknown field", "GET", f"{R}?sort=nope", status=400),
    Case("sort empty item", "GET", f"{R}?sort=title,", status=400),
    Case("filter", "GET", f"{R}?filter=views>500", who="superuser", expect={"totalItems": 2}),
    Case(
        "filter and rule",
        "GET",
        f"{R}?filter=views>500",
        expect={"totalItems": 1, "items.0.id": "post3aaaaaaaaaa"},
    ),
    Case("filter blank is no filter", "GET", f"{R}?filter=", expect={"totalItems": 2}),
    Case("filter whitespace", "GET", f"{R}?filter=%20%20", status=400),
    Case("filter syntax error", "GET", f"{R}?filter=views>", status=400, expect={"data": {}}),
    Case("filter unknown field", "GET", f"{R}?filter=nope=1", status=400),
    Case(
        "filter @request by a user",
        "GET",
        f"{R}?filter=@request.auth.id!=''",
        who="owner",
        status=403,
        expect={"message": "Only superusers can filter by @request."},
    ),
    Case(
        "filter @collection by a user",
        "GET",
        f"{R}?filter=@collection.posts.id!=''",
        who="owner",
        status=403,
    ),
    Case(
        "filter on a hidden field by a user",
        "GET",
        f"{R}?filter=internal='x'",
        who="owner",
        status=400,
    ),
    Case(
        "filter on a hidden field by superuser",
        "GET",
        f"{R}?filter=internal='x'",
        who="superuser",
        expect={"totalItems": 1},
    ),
    # records (§2.2)
    Case(
        "record shape",
        "GET",
        f"{R}/post1aaaaaaaaaa",
        expect={
            "collectionName": "posts",
            "collectionId": "pbc_1125843985",
            "tags": ["a", "b"],
            "views": 10,
        },
    ),
    Case(
        "hidden field for superuser",
        "GET",
        f"{R}/post1aaaaaaaaaa",
        who="superuser",
        expect={"internal": "x"},
    ),
    Case("draft hidden from guest", "GET", f"{R}/post2aaaaaaaaaa", status=404),
    Case(
        "draft visible to author",
        "GET",
        f"{R}/post2aaaaaaaaaa",
        who="owner",
        expect={"title": "Draft"},
    ),
    Case("unknown record", "GET", f"{R}/nope", status=404),
    Case(
        "unknown collection",
        "GET",
        "/api/collections/nope/records",
        status=404,
        expect={"message": "Missing collection context."},
    ),
    Case(
        "PUT is a 404", "PUT", f"{R}/post1aaaaaaaaaa", {"title": "x"}, who="superuser", status=404
    ),
    # fields and expand (§2.3, §2.4)
    Case(
        "fields",
        "GET",
        f"{R}/post1aaaaaaaaaa?fields=id,title",
        expect={"": {"id": "post1aaaaaaaaaa", "title": "Hello"}},
    ),
    Case(
        "fields excerpt",
        "GET",
        f"{R}/post1aaaaaaaaaa?fields=body:excerpt(9,true)",
        expect={"body": "Some long..."},
    ),
    Case("fields bad excerpt", "GET", f"{R}/post1aaaaaaaaaa?fields=body:excerpt(0)", status=400),
    Case(
        "fields in a list keep the envelope",
        "GET",
        f"{R}?fields=id&sort=title",
        expect={"items.0": {"id": "post1aaaaaaaaaa"}, "totalItems": 2},
    ),
    Case(
        "expand relation hidden by rule",
        "GET",
        f"{R}/post1aaaaaaaaaa?expand=author",
        expect={"expand": {}},
    ),
    Case(
        "expand relation as owner",
        "GET",
        f"{R}/post1aaaaaaaaaa?expand=author",
        who="owner",
        expect={"expand.author.email": "owner@example.com"},
    ),
    Case(
        "expand unknown name", "GET", f"{R}/post1aaaaaaaaaa?expand=nope", expect={"": "no-expand"}
    ),
    Case(
        "expand back-relation",
        "GET",
        f"{R}/post1aaaaaaaaaa?expand=comments_via_post",
        expect={"expand.comments_via_post*len": 2},
    ),
    Case(
        "expand nested",
        "GET",
        "/api/collections/comments/records/comment0aaaaaaa?expand=post.author",
        who="owner",
        expect={"expand.post.expand.author.id": "OWNER"},
    ),
    Case(
        "expand drops a post the guest may not view",
        "GET",
        "/api/collections/comments/records?filter=post='post2aaaaaaaaaa'&expand=post",
        expect={"totalItems": 0},
    ),
    # writes (§2.5, §3.6)
    Case(
        "create by guest fails the rule",
        "POST",
        R,
        {"title": "x"},
        status=400,
        expect={"message": "Failed to create record.", "data": {}},
    ),
    Case(
        "create for someone else fails the rule",
        "POST",
        R,
        {"title": "x", "author": "OTHER"},
        who="owner",
        status=400,
    ),
    Case(
        "create",
        "POST",
        R,
        {"title": "New", "author": "OWNER", "views": "42", "tags": "a"},
        who="owner",
        expect={"views": 42, "tags": ["a"], "author": "OWNER"},
    ),
    Case(
        "create with client id",
        "POST",
        R,
        {"id": "myid12345678901", "title": "x", "author": "OWNER"},
        who="owner",
        expect={"id": "myid12345678901"},
    ),
    Case(
        "create with a bad id",
        "POST",
        R,
        {"id": "BAD", "title": "x", "author": "OWNER"},
        who="owner",
        status=400,
        expect={"data.id.code": "validation_invalid_format"},
    ),
    Case(
        "create with a taken id",
        "POST",
        R,
        {"id": "post1aaaaaaaaaa", "title": "x"},
        who="superuser",
        status=400,
        expect={"data.id.code": "validation_not_unique"},
    ),
    Case(
        "create missing required",
        "POST",
        R,
        {"views": 1},
        who="superuser",
        status=400,
        expect={"data.title.code": "validation_required"},
    ),
    Case(
        "create with a bad select value",
        "POST",
        R,
        {"title": "x", "tags": ["z"]},
        who="superuser",
        status=400,
        expect={"data.tags.code": "validation_invalid_value", "data.tags.params.value": "z"},
    ),
    Case(
        "create with a missing relation",
        "POST",
        R,
        {"title": "x", "author": "nope"},
        who="superuser",
        status=400,
        expect={"data.author.code": "validation_missing_rel_records"},
    ),
    Case(
        "create on a locked collection",
        "POST",
        "/api/collections/secrets/records",
        {"value": "v"},
        who="owner",
        status=403,
        expect={"message": "Only superusers can perform this action."},
    ),
    Case(
        "list a locked collection",
        "GET",
        "/api/collections/secrets/records",
        who="owner",
        status=403,
    ),
    Case(
        "update by author with modifiers",
        "PATCH",
        f"{R}/post1aaaaaaaaaa",
        {"views+": 5, "tags-": "a", "+tags": "c"},
        who="owner",
        expect={"views": 15, "tags": ["c", "b"]},
    ),
    Case(
        "update by another user",
        "PATCH",
        f"{R}/post1aaaaaaaaaa",
        {"title": "x"},
        who="other",
        status=404,
    ),
    Case("update by guest", "PATCH", f"{R}/post1aaaaaaaaaa", {"title": "x"}, status=404),
    Case("delete by another user", "DELETE", f"{R}/post1aaaaaaaaaa", who="other", status=404),
    Case("delete by author", "DELETE", f"{R}/post1aaaaaaaaaa", who="owner", status=204),
    Case("malformed JSON", "POST", R, "RAW:{bad", who="superuser", status=400),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_records_api(api: Any, world: dict[str, Any], case: Case) -> None:
    cast = world["cast"]
    names = {"OWNER": cast.owner_id, "OTHER": cast.other_id}
    token = {"superuser": cast.superuser, "owner": cast.owner, "other": cast.other, "guest": None}[
        case.who
    ]
    body = case.body
    if isinstance(body, dict):
        body = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if isinstance(body, str) and body.startswith("RAW:"):
        response = api.client.generic(
            case.method,
            case.path,
            body[4:],
            content_type="application/json",
            headers={"Authorization": token or ""},
        )
    else:
        response = api.request(case.method, case.path, json=body, token=token)
    assert response.status_code == case.status, response.content
    data = response.json() if response.content else None
    for path, value in case.expect.items():
        value = names.get(value, value) if isinstance(value, str) else value
        if path == "" and value == "no-expand":
            assert "expand" not in data
        elif path == "":
            assert data == value
        else:
            assert dig(data, path) == value, (path, data)


def test_delete_cascades_and_refuses_required_references(
    api: Any, world: dict[str, Any], make_collection: Any
) -> None:
    su = world["cast"].superuser
    assert api.delete(f"{R}/post1aaaaaaaaaa", token=su).status_code == 204
    left = api.get("/api/collections/comments/records", token=su).json()
    assert [c["id"] for c in left["items"]] == ["comment2aaaaaaa"]
    make_collection(
        {
            "name": "pins",
            "fields": [
                {
                    "name": "post",
                    "type": "relation",
                    "collectionId": "pbc_1125843985",
                    "required": True,
                }
            ],
        }
    )
    api.post("/api/collections/pins/records", json={"post": "post3aaaaaaaaaa"}, token=su)
    response = api.delete(f"{R}/post3aaaaaaaaaa", token=su)
    assert response.status_code == 400
    assert api.get(f"{R}/post3aaaaaaaaaa", token=su).status_code == 200


def test_auth_records_never_show_secrets(api: Any, cast: Any) -> None:
    mine = api.get(f"/api/collections/users/records/{cast.owner_id}", token=cast.owner).json()
    assert mine["email"] == "owner@example.com"
    assert "password" not in mine and "tokenKey" not in mine
    listed = api.get("/api/collections/users/records", token=cast.superuser).json()["items"]
    assert all("password" not in u and "tokenKey" not in u for u in listed)
    assert all("email" in u for u in listed)


def test_email_visibility(api: Any, cast: Any) -> None:
    su = cast.superuser
    api.patch("/api/collections/users", json={"listRule": "", "viewRule": ""}, token=su)
    hidden = api.get(f"/api/collections/users/records/{cast.owner_id}", token=cast.other).json()
    assert "email" not in hidden
    api.patch(
        f"/api/collections/users/records/{cast.owner_id}",
        json={"emailVisibility": True},
        token=cast.owner,
    )
    shown = api.get(f"/api/collections/users/records/{cast.owner_id}", token=cast.other).json()
    assert shown["email"] == "owner@example.com"


def test_multipart_with_json_payload(api: Any, world: dict[str, Any]) -> None:
    su = world["cast"].superuser
    response = api.post(
        R,
        json={"tags": ["a", "c"]},
        data={"title": "multi", "views": "12", "published": "true"},
        files={"ignored": []},
        token=su,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tags"] == ["a", "c"] and body["views"] == 12 and body["published"] is True


def test_urlencoded(api: Any, world: dict[str, Any]) -> None:
    su = world["cast"].superuser
    response = api.post(R, data={"title": "form", "views": "3"}, token=su)
    assert response.status_code == 200, response.content
    assert response.json()["views"] == 3


def test_view_collections_are_read_only(
    api: Any, world: dict[str, Any], make_collection: Any
) -> None:
    su = world["cast"].superuser
    make_collection(
        {
            "name": "popular",
            "type": "view",
            "listRule": "",
            "viewQuery": "SELECT id, title, views FROM posts WHERE views > 100",
        }
    )
    listed = api.get("/api/collections/popular/records?sort=-views").json()
    assert [i["id"] for i in listed["items"]] == ["post3aaaaaaaaaa", "post2aaaaaaaaaa"]
    response = api.post("/api/collections/popular/records", json={"title": "x"}, token=su)
    assert (
        response.status_code == 400 and response.json()["message"] == "Unsupported collection type."
    )
