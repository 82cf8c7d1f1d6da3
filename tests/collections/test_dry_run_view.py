"""``POST /api/collections/meta/dry-run-view`` (``collections.dryRunViewQuery`` in the
SDKs): the fields a view with the query would get and a sample of its records, nothing
saved. Shapes as the pocketbase 0.40.6 binary answers them."""

from __future__ import annotations

from typing import Any

import pytest

from baas.collections.models import Collection
from tests.cast import make_user, sign_in

pytestmark = pytest.mark.django_db

URL = "/api/collections/meta/dry-run-view"


@pytest.fixture
def posts(api: Any, superuser_token: str) -> None:
    made = api.post(
        "/api/collections",
        json={
            "name": "posts",
            "type": "base",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "views", "type": "number"},
                {"name": "tags", "type": "select", "maxSelect": 2, "values": ["a", "b"]},
            ],
        },
        token=superuser_token,
    )
    assert made.status_code == 200, made.content
    for title, views, tags in (("Hi", 5, ["a", "b"]), ("Two", 2.5, [])):
        answer = api.post(
            "/api/collections/posts/records",
            json={"title": title, "views": views, "tags": tags},
            token=superuser_token,
        )
        assert answer.status_code == 200, answer.content


def test_fields_and_a_sample_and_nothing_saved(api: Any, superuser_token: str, posts: None) -> None:
    before = set(Collection.objects.values_list("name", flat=True))
    answer = api.post(
        URL,
        json={"query": "select id, count(*) as n, views, tags from posts group by id, views, tags"},
        token=superuser_token,
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"fields", "sample"}
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields) == ["id", "n", "views", "tags"]
    assert fields["id"]["primaryKey"] is True and fields["id"]["type"] == "text"
    assert fields["n"]["type"] == "number"
    assert fields["views"]["type"] == "number"
    assert fields["tags"]["type"] == "select" and fields["tags"]["values"] == ["a", "b"]
    sample = sorted(body["sample"], key=lambda r: r["views"])
    assert [(r["n"], r["views"], r["tags"]) for r in sample] == [(1, 2.5, []), (1, 5, ["a", "b"])]
    assert all(r["collectionName"].startswith("temp_view_") for r in sample)
    assert set(Collection.objects.values_list("name", flat=True)) == before
    again = api.post(URL, json={"query": "select id from posts"}, token=superuser_token)
    assert again.status_code == 200  # the temporary view did not stay behind


@pytest.mark.parametrize(
    "query",
    ["select title from posts", "delete from posts", "select id from nowhere", "select ("],
)
def test_an_invalid_query_is_a_400_saying_why(
    api: Any, superuser_token: str, posts: None, query: str
) -> None:
    answer = api.post(URL, json={"query": query}, token=superuser_token)
    assert answer.status_code == 400, answer.content
    assert answer.json()["message"].startswith("Invalid view query.")


@pytest.mark.parametrize("body", [{}, {"query": ""}, {"viewQuery": "select id from posts"}])
def test_the_query_is_required(api: Any, superuser_token: str, body: dict[str, Any]) -> None:
    answer = api.post(URL, json=body, token=superuser_token)
    assert answer.status_code == 400
    assert answer.json()["data"]["query"]["code"] == "validation_required"


def test_only_superusers(api: Any, superuser_token: str) -> None:
    assert api.post(URL, json={"query": "select 1 as id"}).status_code == 401
    make_user(api, "viewer@example.com", superuser_token)
    token = sign_in(api, "users", "viewer@example.com")["token"]
    assert api.post(URL, json={"query": "select 1 as id"}, token=token).status_code == 403
