"""Full-text search: the ``searchable`` option and ``?search=`` on the records list
(docs/search.md), on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from baas.collections.models import Collection
from tests.cast import Cast

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}

ARTICLES = [
    ("Gardening basics", "<p>How to water <b>tomatoes</b> and roses</p>", "public"),
    ("Tomatoes everywhere", "<p>tomatoes tomatoes tomatoes, a tomato soup</p>", "public"),
    ("Roses", "<p>Pruning roses in winter</p>", "public"),
    ("Secret tomatoes plan", "<p>nobody may read this</p>", "private"),
]


@pytest.fixture
def articles(api: Any, cast: Cast, make_collection: Any) -> dict[str, Any]:
    make_collection(
        {
            "name": "articles",
            **OPEN,
            "listRule": 'status = "public" || owner = @request.auth.id',
            "viewRule": 'status = "public" || owner = @request.auth.id',
            "fields": [
                {"name": "title", "type": "text", "searchable": True},
                {"name": "body", "type": "editor", "searchable": True},
                {"name": "status", "type": "text"},
                {"name": "owner", "type": "text"},
                {"name": "n", "type": "number"},
            ],
        }
    )
    ids = {}
    for n, (title, body, status) in enumerate(ARTICLES):
        record = {"title": title, "body": body, "status": status, "owner": cast.owner_id, "n": n}
        response = api.post("/api/collections/articles/records", json=record, token=cast.superuser)
        assert response.status_code == 200, response.content
        ids[title] = response.json()["id"]
    return ids


def search(api: Any, text: str, token: str | None = None, **query: Any) -> Any:
    return api.get(
        "/api/collections/articles/records", query={"search": text, **query}, token=token
    )


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_the_option_is_shown_only_when_set_and_validated(
    api: Any, superuser_token: str, make_collection: Any
) -> None:
    made = make_collection(
        {
            "name": "notes",
            "fields": [
                {"name": "title", "type": "text", "searchable": True},
                {"name": "plain", "type": "text"},
            ],
        }
    )
    by_name = {f["name"]: f for f in made["fields"]}
    assert by_name["title"]["searchable"] is True
    assert "searchable" not in by_name["plain"]
    bad = api.post(
        "/api/collections",
        json={"name": "bad", "fields": [{"name": "t", "type": "text", "searchable": "yes"}]},
        token=superuser_token,
    )
    assert bad.status_code == 400
    errors = bad.json()["data"]["fields"]
    assert [e["searchable"]["code"] for e in errors.values()] == ["validation_invalid_value"]


def test_results_are_ranked_by_relevance(api: Any, cast: Cast, articles: dict[str, Any]) -> None:
    found = titles(search(api, "tomatoes", cast.other))
    assert found == ["Tomatoes everywhere", "Gardening basics"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ROSES", {"Gardening basics", "Roses"}),  # case-insensitive, text and editor fields
        ("roses tomatoes", {"Gardening basics"}),  # every word must match
        ("prun*", {"Roses"}),  # a trailing * matches a prefix
        ("tomato", {"Tomatoes everywhere"}),  # whole words otherwise, no stemming
        ("winter", {"Roses"}),  # the editor's text
        ("water", {"Gardening basics"}),
    ],
)
def test_words_match(
    api: Any, cast: Cast, articles: dict[str, Any], text: str, expected: set[str]
) -> None:
    assert set(titles(search(api, text, cast.other))) == expected


def test_the_list_rule_hides_what_rest_hides(
    api: Any, cast: Cast, articles: dict[str, Any]
) -> None:
    assert "Secret tomatoes plan" not in titles(search(api, "tomatoes", cast.other))
    assert "Secret tomatoes plan" not in titles(search(api, "secret"))
    assert search(api, "secret", cast.other).json()["totalItems"] == 0
    assert titles(search(api, "secret", cast.owner)) == ["Secret tomatoes plan"]
    assert titles(search(api, "secret", cast.superuser)) == ["Secret tomatoes plan"]


def test_combined_with_filter_sort_and_paging(
    api: Any, cast: Cast, articles: dict[str, Any]
) -> None:
    assert titles(search(api, "tomatoes", cast.owner, filter="n >= 1")) == [
        "Tomatoes everywhere",
        "Secret tomatoes plan",
    ]
    assert titles(search(api, "tomatoes", cast.owner, sort="-n")) == [
        "Secret tomatoes plan",
        "Tomatoes everywhere",
        "Gardening basics",
    ]
    first = search(api, "tomatoes", cast.other, perPage=1).json()
    second = search(api, "tomatoes", cast.other, perPage=1, page=2).json()
    assert (first["totalItems"], first["totalPages"]) == (2, 2)
    assert [first["items"][0]["title"], second["items"][0]["title"]] == [
        "Tomatoes everywhere",
        "Gardening basics",
    ]


def test_writes_keep_the_index_in_sync(api: Any, cast: Cast, articles: dict[str, Any]) -> None:
    roses = articles["Roses"]
    url = f"/api/collections/articles/records/{roses}"
    assert (
        api.patch(url, json={"body": "<p>orchids now</p>"}, token=cast.superuser).status_code == 200
    )
    assert titles(search(api, "orchids", cast.other)) == ["Roses"]
    assert titles(search(api, "pruning", cast.other)) == []
    assert api.delete(url, token=cast.superuser).status_code == 204
    assert titles(search(api, "orchids", cast.other)) == []
    created = api.post(
        "/api/collections/articles/records",
        json={"title": "Orchids", "status": "public"},
        token=cast.superuser,
    )
    assert created.status_code == 200
    assert titles(search(api, "orchids", cast.other)) == ["Orchids"]


def test_schema_changes_keep_search_working(api: Any, cast: Cast, articles: dict[str, Any]) -> None:
    url = "/api/collections/articles"
    fields = api.get(url, token=cast.superuser).json()["fields"]
    # rename a searchable field, add a field (a table remake on SQLite), change a rule
    for field in fields:
        if field["name"] == "title":
            field["name"] = "headline"
    fields.append({"name": "extra", "type": "text"})
    response = api.patch(url, json={"fields": fields}, token=cast.superuser)
    assert response.status_code == 200, response.content
    found = search(api, "tomatoes", cast.other)
    assert [i["headline"] for i in found.json()["items"]] == [
        "Tomatoes everywhere",
        "Gardening basics",
    ]
    created = api.post(
        "/api/collections/articles/records",
        json={"headline": "Zucchini", "status": "public"},
        token=cast.superuser,
    )
    assert created.status_code == 200
    assert search(api, "zucchini", cast.other).json()["totalItems"] == 1
    # the body stops being searchable; the title still is
    for field in fields:
        if field["name"] == "body":
            field["searchable"] = False
    assert api.patch(url, json={"fields": fields}, token=cast.superuser).status_code == 200
    assert search(api, "winter", cast.other).json()["totalItems"] == 0
    assert search(api, "zucchini", cast.other).json()["totalItems"] == 1
    # a searchable field removed: the rest is still indexed
    fields = [f for f in fields if f["name"] != "body"]
    assert api.patch(url, json={"fields": fields}, token=cast.superuser).status_code == 200
    assert search(api, "roses", cast.other).json()["totalItems"] == 1


def test_nothing_searchable_left_and_collection_deleted(
    api: Any, cast: Cast, articles: dict[str, Any]
) -> None:
    url = "/api/collections/articles"
    fields = api.get(url, token=cast.superuser).json()["fields"]
    for field in fields:
        field.pop("searchable", None)
    assert api.patch(url, json={"fields": fields}, token=cast.superuser).status_code == 200
    response = search(api, "tomatoes", cast.other)
    assert response.status_code == 400
    assert response.json()["message"] == "The collection has no searchable fields."
    collection_id = Collection.objects.get(name="articles").id
    fields[1]["searchable"] = True
    assert api.patch(url, json={"fields": fields}, token=cast.superuser).status_code == 200
    assert api.delete(url, token=cast.superuser).status_code == 204
    assert _search_objects(collection_id) == []


def _search_objects(collection_id: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["s_%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE %s", ["s_%"])
        return [r[0] for r in cursor.fetchall() if r[0].startswith(f"s_{collection_id}_")]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "tomatoes OR secret",
        "NEAR(tomatoes secret)",
        "title:secret",
        "{title body}:secret",
        "secret NOT roses",
        "- secret",
        "tomatoes ^roses",
        "'; DROP TABLE articles; --",
        "tomatoes & | ! : * ( ) < > \\",
        "\x00tomatoes",
        "*",
        "tomatoes:*",
        "é l'été",
    ],
)
def test_hostile_search_text_is_escaped_never_a_500(
    api: Any, cast: Cast, articles: dict[str, Any], text: str
) -> None:
    response = search(api, text, cast.other)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert "Secret tomatoes plan" not in titles(response)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!! ***", "The search text has no words to look for."),
        ("x" * 501, "The search text must be at most 500 characters."),
        (" ".join(["w"] * 33), "The search text may have at most 32 words."),
    ],
)
def test_unusable_search_text_is_a_400(
    api: Any, cast: Cast, articles: dict[str, Any], text: str, message: str
) -> None:
    response = search(api, text, cast.other)
    assert response.status_code == 400
    assert response.json()["message"] == message


def test_search_on_a_collection_without_searchable_fields_is_a_400(
    api: Any, cast: Cast, make_collection: Any
) -> None:
    make_collection({"name": "plain", **OPEN, "fields": [{"name": "title", "type": "text"}]})
    response = api.get("/api/collections/plain/records", query={"search": "x"})
    assert response.status_code == 400
    assert api.get("/api/collections/plain/records", query={"search": ""}).status_code == 200


@pytest.mark.parametrize("change", ["remove", "retype", "to_number"])
def test_a_searchable_field_removed_or_retyped(
    api: Any, cast: Cast, articles: dict[str, Any], change: str
) -> None:
    url = "/api/collections/articles"
    fields = api.get(url, token=cast.superuser).json()["fields"]
    body = next(f for f in fields if f["name"] == "body")
    if change == "remove":
        fields.remove(body)
    elif change == "retype":
        body.update(type="text", max=0, min=0, pattern="", autogeneratePattern="")
    else:
        body.update(type="number")
    response = api.patch(url, json={"fields": fields}, token=cast.superuser)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:  # a refused conversion leaves everything as it was
        assert change == "to_number"
        assert titles(search(api, "winter", cast.other)) == ["Roses"]
        return
    assert titles(search(api, "roses", cast.other))[0] == "Roses"
    expected = ["Roses"] if change == "retype" else []
    assert titles(search(api, "winter", cast.other)) == expected
    created = api.post(
        "/api/collections/articles/records",
        json={"title": "Basil", "status": "public"},
        token=cast.superuser,
    )
    assert created.status_code == 200, created.content
    assert titles(search(api, "basil", cast.other)) == ["Basil"]


def test_an_upsert_in_sql_keeps_the_index_right(
    api: Any, cast: Cast, articles: dict[str, Any]
) -> None:
    """Writes that bypass the API are indexed too. SQLite's REPLACE fires no delete
    trigger: the insert trigger copes with the map row left behind. PostgreSQL's
    upsert: the index is the table's own."""
    from django.db import connection

    from baas.collections import naming
    from baas.collections.ddl import quote

    collection = Collection.objects.get(name="articles")
    table = quote(naming.table_name(collection.id))
    body = naming.column_name(collection.field("body") or {})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [articles["Roses"]])
        row = list(cursor.fetchone())
        columns = [c[0] for c in cursor.description]
        row[columns.index(body)] = "<p>lilies</p>"
        marks = ", ".join(["%s"] * len(row))
        if connection.vendor == "sqlite":
            cursor.execute(f"REPLACE INTO {table} VALUES ({marks})", row)
        else:
            cursor.execute(
                f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT (id) DO UPDATE"
                f" SET {quote(body)} = excluded.{quote(body)}",
                row,
            )
    assert titles(search(api, "lilies", cast.other)) == ["Roses"]
    assert titles(search(api, "pruning", cast.other)) == []
