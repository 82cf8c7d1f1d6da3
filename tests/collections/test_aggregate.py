"""Aggregates (docs/api-extensions.md): count/sum/avg/min/max with groupBy, under the
list rule and the filter language, as scenario tables over one fixed data set.

``posts``: anyone lists published posts, the author also lists their drafts (the list
rule); ``internal`` is hidden; ``secrets`` is locked. The cast (tests/cast.py):
superuser, owner, other user, guest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

PUBLIC_OR_MINE = "published = true || author = @request.auth.id"
URL = "/api/collections/{}/aggregate"


@pytest.fixture
def world(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    su = cast.superuser
    make_collection(
        {
            "name": "posts",
            "listRule": PUBLIC_OR_MINE,
            "viewRule": PUBLIC_OR_MINE,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "views", "type": "number"},
                {"name": "published", "type": "bool"},
                {"name": "day", "type": "date"},
                {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                {"name": "kind", "type": "select", "values": ["news", "blog"]},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "internal", "type": "number", "hidden": True},
                {"name": "meta", "type": "json"},
            ],
        }
    )
    make_collection({"name": "secrets", "fields": [{"name": "n", "type": "number"}]})
    rows = [
        # owner: two published, one draft; other: one published, one draft
        ("Hello", 10, True, "2024-01-05", "news", cast.owner_id, 1),
        ("World", 30, True, "2024-03-01", "blog", cast.owner_id, 2),
        ("Draft", 600, False, "2024-02-01", "news", cast.owner_id, 4),
        ("Other", 5, True, "", "news", cast.other_id, 8),
        ("Secret draft", 1000, False, "2023-12-31", "blog", cast.other_id, 16),
    ]
    for title, views, published, day, kind, author, internal in rows:
        body = {
            "title": title,
            "views": views,
            "published": published,
            "day": day,
            "kind": kind,
            "author": author,
            "internal": internal,
        }
        response = api.post("/api/collections/posts/records", json=body, token=su)
        assert response.status_code == 200, response.content
    api.post("/api/collections/secrets/records", json={"n": 1}, token=su)
    return {"owner": cast.owner_id, "other": cast.other_id}


def who(cast: Any, name: str) -> str | None:
    return getattr(cast, name)


@dataclass
class Case:
    name: str
    as_: str
    query: dict[str, str]
    status: int = 200
    items: list[dict[str, Any]] | None = None  # exact items expected
    total: int | None = None
    error_key: str | None = None  # a key of the 400's data
    collection: str = "posts"
    extra: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    # --- what the list rule lets each caller see ---
    Case("guest counts published posts", "guest", {}, items=[{"group": {}, "count": 3}], total=1),
    Case("owner also counts own drafts", "owner", {}, items=[{"group": {}, "count": 4}]),
    Case("other also counts own draft", "other", {}, items=[{"group": {}, "count": 4}]),
    Case("superuser counts everything", "superuser", {}, items=[{"group": {}, "count": 5}]),
    Case(
        "guest sum/avg/min/max see only listed rows",
        "guest",
        {"fn": "count,sum(views),avg(views),min(views),max(views),min(day),max(day)"},
        items=[
            {
                "group": {},
                "count": 3,
                "sum": {"views": 45},
                "avg": {"views": 15.0},
                "min": {"views": 5, "day": "2024-01-05 00:00:00.000Z"},
                "max": {"views": 30, "day": "2024-03-01 00:00:00.000Z"},
            }
        ],
    ),
    Case(
        "filter is ANDed with the list rule",
        "owner",
        {"fn": "count,sum(views)", "filter": "views >= 10"},
        items=[{"group": {}, "count": 3, "sum": {"views": 640}}],
    ),
    Case(
        "groupBy a relation: each author's visible posts",
        "guest",
        {"fn": "count,sum(views)", "groupBy": "author", "sort": "-count"},
        items=[
            {"group": {"author": "OWNER"}, "count": 2, "sum": {"views": 40}},
            {"group": {"author": "OTHER"}, "count": 1, "sum": {"views": 5}},
        ],
        total=2,
    ),
    Case(
        "groupBy two fields, ordered by the group keys",
        "superuser",
        {"groupBy": "kind,published"},
        items=[
            {"group": {"kind": "blog", "published": False}, "count": 1},
            {"group": {"kind": "blog", "published": True}, "count": 1},
            {"group": {"kind": "news", "published": False}, "count": 1},
            {"group": {"kind": "news", "published": True}, "count": 2},
        ],
        total=4,
    ),
    Case(
        "sort by a function, descending",
        "superuser",
        {"fn": "sum(views),count", "groupBy": "kind", "sort": "-sum(views)"},
        items=[
            {"group": {"kind": "blog"}, "sum": {"views": 1030}, "count": 2},
            {"group": {"kind": "news"}, "sum": {"views": 615}, "count": 3},
        ],
    ),
    Case(
        "min/max skip empty dates, per group",
        "superuser",
        {
            "fn": "min(day),max(day)",
            "groupBy": "author",
            "filter": "title != 'Draft'",
            "sort": "min(day)",
        },
        items=[
            {
                "group": {"author": "OTHER"},
                "min": {"day": "2023-12-31 00:00:00.000Z"},
                "max": {"day": "2023-12-31 00:00:00.000Z"},
            },
            {
                "group": {"author": "OWNER"},
                "min": {"day": "2024-01-05 00:00:00.000Z"},
                "max": {"day": "2024-03-01 00:00:00.000Z"},
            },
        ],
    ),
    Case(
        "group rows are paged",
        "superuser",
        {"groupBy": "title", "perPage": "2", "page": "2", "fn": "max(views)"},
        items=[
            {"group": {"title": "Other"}, "max": {"views": 5}},
            {"group": {"title": "Secret draft"}, "max": {"views": 1000}},
        ],
        total=5,
    ),
    Case(
        "skipTotal",
        "superuser",
        {"groupBy": "kind", "skipTotal": "1"},
        total=-1,
    ),
    Case(
        "empty selection: sum 0, min null",
        "guest",
        {"fn": "count,sum(views),min(views)", "filter": "views > 99999"},
        items=[{"group": {}, "count": 0, "sum": {"views": 0}, "min": {"views": None}}],
    ),
    Case(
        "superuser may aggregate a hidden field",
        "superuser",
        {"fn": "sum(internal)"},
        items=[{"group": {}, "sum": {"internal": 31}}],
    ),
    # --- what stays hidden ---
    Case("hidden field in fn", "owner", {"fn": "sum(internal)"}, 400, error_key="fn"),
    Case("hidden field in groupBy", "guest", {"groupBy": "internal"}, 400, error_key="groupBy"),
    Case("hidden field in filter", "guest", {"filter": "internal > 1"}, 400),
    Case(
        "a filter through a relation obeys the related list rule (guest sees no users)",
        "guest",
        {"filter": "author.verified = false"},
        items=[{"group": {}, "count": 0}],
    ),
    Case(
        "... and a user sees only their own user record through it",
        "owner",
        {"filter": "author.verified = false"},
        items=[{"group": {}, "count": 3}],
    ),
    Case(
        "... while a superuser sees every author",
        "superuser",
        {"filter": "author.verified = false"},
        items=[{"group": {}, "count": 5}],
    ),
    Case("@request in a client filter", "owner", {"filter": "@request.auth.id != ''"}, 403),
    Case("locked collection", "owner", {}, 403, collection="secrets"),
    Case("locked collection, guest", "guest", {}, 403, collection="secrets"),
    Case("unknown collection", "guest", {}, 404, collection="nope"),
    Case(
        "auth email is not groupable by users",
        "owner",
        {"groupBy": "email"},
        400,
        collection="users",
    ),
    # --- bad input ---
    Case("sum of a text", "superuser", {"fn": "sum(title)"}, 400, error_key="fn"),
    Case("avg of a bool", "superuser", {"fn": "avg(published)"}, 400, error_key="fn"),
    Case("min of a json", "superuser", {"fn": "min(meta)"}, 400, error_key="fn"),
    Case("unknown function", "superuser", {"fn": "median(views)"}, 400, error_key="fn"),
    Case("function without field", "superuser", {"fn": "sum"}, 400, error_key="fn"),
    Case("count with a field", "superuser", {"fn": "count(views)"}, 400, error_key="fn"),
    Case("unknown field", "superuser", {"fn": "max(nope)"}, 400, error_key="fn"),
    Case("groupBy a multi select", "superuser", {"groupBy": "tags"}, 400, error_key="groupBy"),
    Case("groupBy a json", "superuser", {"groupBy": "meta"}, 400, error_key="groupBy"),
    Case("sort by something not requested", "superuser", {"sort": "views"}, 400, error_key="sort"),
    Case("bad filter", "superuser", {"filter": "views >"}, 400),
    Case("whitespace filter", "superuser", {"filter": "  "}, 400),
    Case("non-numeric page", "superuser", {"page": "x"}, 400),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", SCENARIOS, ids=[c.name for c in SCENARIOS])
def test_aggregate_scenarios(api: Any, cast: Any, world: dict[str, Any], case: Case) -> None:
    response = api.get(URL.format(case.collection), query=case.query, token=who(cast, case.as_))
    body = response.json()
    assert response.status_code == case.status, body
    if case.status != 200:
        assert set(body) == {"status", "message", "data"}
        if case.error_key:
            assert case.error_key in body["data"], body
        return
    if case.items is not None:
        expected = _named(case.items, world)
        assert body["items"] == expected
    if case.total is not None:
        assert body["totalItems"] == case.total


def _named(items: list[dict[str, Any]], world: dict[str, Any]) -> list[dict[str, Any]]:
    ids = {"OWNER": world["owner"], "OTHER": world["other"]}
    return [
        {**item, "group": {k: ids.get(v, v) for k, v in item["group"].items()}} for item in items
    ]


@pytest.mark.django_db
def test_aggregates_never_see_more_than_the_list(
    api: Any, cast: Any, world: dict[str, Any]
) -> None:
    """For each caller, the per-author counts equal what paging the records API yields."""
    for name in ("guest", "owner", "other", "superuser"):
        token = who(cast, name)
        listed = api.get("/api/collections/posts/records", query={"perPage": 500}, token=token)
        counts: dict[str, int] = {}
        for item in listed.json()["items"]:
            counts[item["author"]] = counts.get(item["author"], 0) + 1
        grouped = api.get(URL.format("posts"), query={"groupBy": "author"}, token=token).json()
        assert {i["group"]["author"]: i["count"] for i in grouped["items"]} == counts, name


@pytest.mark.django_db
def test_scoped_api_key_aggregates_only_where_it_may_list(
    api: Any, cast: Any, world: dict[str, Any]
) -> None:
    def key(actions: list[str]) -> str:
        body = {"name": "k", "collections": ["posts"], "actions": actions}
        made = api.post("/api/x/api-keys", json=body, token=cast.superuser)
        assert made.status_code == 200, made.content
        return made.json()["key"]

    lister, viewer = key(["list"]), key(["view"])
    counted = api.get(URL.format("posts"), token=lister)
    assert counted.status_code == 200, counted.content
    assert counted.json()["items"] == [{"group": {}, "count": 5}]
    assert api.get(URL.format("posts"), token=viewer).status_code == 403
    assert api.get(URL.format("users"), token=lister).status_code == 403


@pytest.mark.django_db
def test_view_collection_aggregates(api: Any, cast: Any, world: dict[str, Any], make_collection):
    make_collection(
        {
            "name": "post_stats",
            "type": "view",
            "listRule": "",
            "viewQuery": "SELECT id, kind, views FROM posts WHERE published = true",
        }
    )
    body = api.get(
        URL.format("post_stats"), query={"groupBy": "kind", "fn": "count,sum(views)"}
    ).json()
    assert [(i["group"]["kind"], i["count"], i["sum"]["views"]) for i in body["items"]] == [
        ("blog", 1, 30),
        ("news", 2, 15),
    ]
