"""``/api/x/`` helpers behind the console: rule check, rule simulator, view preview."""

from __future__ import annotations

import pytest


@pytest.fixture
def posts(make_collection, cast, api):
    collection = make_collection(
        {
            "name": "posts",
            "listRule": "owner = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        }
    )
    for title, owner in (
        ("mine", cast.owner_id),
        ("theirs", cast.other_id),
        ("also mine", cast.owner_id),
    ):
        response = api.post(
            "/api/collections/posts/records",
            json={"title": title, "owner": owner},
            token=cast.superuser,
        )
        assert response.status_code == 200
    return collection


@pytest.mark.parametrize(
    "path", ["/api/x/rules/check", "/api/x/rules/preview", "/api/x/views/preview"]
)
@pytest.mark.parametrize("who, status", [("guest", 401), ("owner", 403)])
def test_only_superusers(api, cast, path, who, status):
    token = None if who == "guest" else cast.owner
    assert api.post(path, json={}, token=token).status_code == status


@pytest.mark.parametrize(
    "rule, valid",
    [
        ("owner = @request.auth.id", True),
        ("title ~ 'x' && owner.email != ''", True),
        ("nope = 1", False),
        ("title =", False),
        ("", True),
    ],
)
def test_rule_check(api, cast, posts, rule, valid):
    response = api.post(
        "/api/x/rules/check", json={"collection": posts, "rule": rule}, token=cast.superuser
    )
    assert response.status_code == 200, response.content
    assert response.json()["valid"] is valid
    if not valid:
        assert response.json()["message"]


def test_rule_check_of_a_collection_not_saved_yet(api, cast):
    draft = {"name": "fresh", "type": "base", "fields": [{"name": "score", "type": "number"}]}
    ok = api.post(
        "/api/x/rules/check", json={"collection": draft, "rule": "score > 2"}, token=cast.superuser
    )
    assert ok.json() == {"valid": True, "message": ""}
    bad = api.post(
        "/api/x/rules/check", json={"collection": draft, "rule": "points > 2"}, token=cast.superuser
    )
    assert bad.json()["valid"] is False


def test_the_simulator_runs_the_list_rule_as_the_chosen_user(api, cast, posts):
    as_owner = api.post(
        "/api/x/rules/preview",
        json={"collection": "posts", "authCollection": "users", "authRecord": cast.owner_id},
        token=cast.superuser,
    ).json()
    assert as_owner["allowed"] is True
    assert sorted(i["title"] for i in as_owner["items"]) == ["also mine", "mine"]
    assert as_owner["totalItems"] == 2
    as_guest = api.post(
        "/api/x/rules/preview", json={"collection": "posts"}, token=cast.superuser
    ).json()
    assert as_guest["totalItems"] == 0


def test_the_simulator_tries_an_unsaved_rule(api, cast, posts):
    everyone = api.post(
        "/api/x/rules/preview",
        json={
            "collection": "posts",
            "rule": "",
            "authCollection": "users",
            "authRecord": cast.other_id,
        },
        token=cast.superuser,
    ).json()
    assert everyone["totalItems"] == 3
    locked = api.post(
        "/api/x/rules/preview",
        json={
            "collection": "posts",
            "rule": None,
            "authCollection": "users",
            "authRecord": cast.other_id,
        },
        token=cast.superuser,
    ).json()
    assert locked == {
        "allowed": False,
        "status": 403,
        "message": "Only superusers can perform this action.",
    }
    saved = api.get("/api/collections/posts", token=cast.superuser).json()
    assert saved["listRule"] == "owner = @request.auth.id"  # nothing was saved


def test_view_preview_infers_fields_and_rows_and_leaves_nothing_behind(api, cast, posts):
    response = api.post(
        "/api/x/views/preview",
        json={"name": "titles", "viewQuery": "SELECT id, title FROM posts"},
        token=cast.superuser,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert [f["name"] for f in data["fields"]] == ["id", "title"]
    assert data["totalItems"] == 3
    assert api.get("/api/collections/titles", token=cast.superuser).status_code == 404
    real = api.post(
        "/api/collections",
        json={"name": "titles", "type": "view", "viewQuery": "SELECT id, title FROM posts"},
        token=cast.superuser,
    )
    assert real.status_code == 200, real.content


def test_view_preview_reports_query_errors(api, cast, posts):
    response = api.post(
        "/api/x/views/preview",
        json={"name": "broken", "viewQuery": "DELETE FROM posts"},
        token=cast.superuser,
    )
    assert response.status_code == 400
    assert "viewQuery" in response.json()["data"]
