"""Indexes serve the sorts we emit (bench/PROFILE.md §2), and results stay the same.

- PostgreSQL text columns are ``COLLATE "C"``, so an index on ``(author, created)`` or
  ``created`` serves the compiler's bytewise ``ORDER BY … COLLATE "C"``; existing
  tables get it from migration 0002. Sorting is bytewise on both databases.
  (The owner rule's own plan: test_owner_rule_sql.py.)
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection

from baas.collections import naming
from baas.collections.expr import RequestInfo, compile_filter, compile_sort
from baas.collections.models import Collection

collation_migration = importlib.import_module("baas.collections.migrations.0002_text_collation_c")


@pytest.fixture
def posts(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    make_collection(
        {
            "name": "posts",
            "listRule": "author = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "created", "type": "autodate", "onCreate": True},
            ],
            "indexes": [
                "CREATE INDEX idx_author_created ON posts (author, created)",
                "CREATE INDEX idx_created ON posts (created)",
            ],
        }
    )
    ids: dict[str, str] = {}
    for title, author in [
        ("b", cast.owner_id),
        ("B", cast.owner_id),
        ("_", cast.other_id),
        ("a", None),
        ("\u00e9", cast.owner_id),
    ]:
        body: dict[str, Any] = {"title": title}
        if author:
            body["author"] = author
        response = api.post("/api/collections/posts/records", json=body, token=cast.superuser)
        assert response.status_code == 200, response.content
        ids[title] = response.json()["id"]
    return ids


def titles(api: Any, token: str, query: str) -> list[str]:
    response = api.get(f"/api/collections/posts/records?{query}", token=token)
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_text_sorts_bytewise_on_both_databases(api: Any, cast: Any, posts: dict[str, str]) -> None:
    assert titles(api, cast.superuser, "sort=title") == ["B", "_", "a", "b", "\u00e9"]
    assert titles(api, cast.superuser, "sort=-title") == ["\u00e9", "b", "a", "_", "B"]


def plan(sql: str, params: list[Any]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: make the choice visible
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def list_sql(filter_text: str, sort_text: str, auth_id: str) -> tuple[str, list[Any]]:
    posts = Collection.objects.get(name="posts")
    users = Collection.objects.get(name="users")
    request = RequestInfo(auth={"id": auth_id, "collectionId": users.id}, auth_collection=users)
    where, params = compile_filter(posts, filter_text, request) if filter_text else ("1=1", [])
    order, order_params = compile_sort(posts, sort_text, request)
    table = connection.ops.quote_name(naming.table_name(posts.id))
    sql = f'SELECT "t"."id" FROM {table} AS "t" WHERE {where} ORDER BY {", ".join(order)} LIMIT 30'
    return sql, [*params, *order_params]


def test_the_sorted_list_walks_the_created_index(cast: Any, posts: dict[str, str]) -> None:
    text = plan(*list_sql("", "-created", cast.owner_id))
    if connection.vendor == "postgresql":
        assert "idx_created" in text and "Seq Scan" not in text, text
    else:
        assert "idx_created" in text and "TEMP B-TREE" not in text.split("\n")[0], text


def test_migration_0002_collates_older_tables(cast: Any, posts: dict[str, str]) -> None:
    """A table made before text columns were ``COLLATE "C"`` gets them, its indexes too."""
    posts_table = naming.table_name(Collection.objects.get(name="posts").id)
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "c_oldtable" (id varchar(255) PRIMARY KEY, "f_x" text)')
        cursor.execute('CREATE INDEX "old_x" ON "c_oldtable" ("f_x")')
        cursor.execute("INSERT INTO \"c_oldtable\" VALUES ('r1', 'x')")
    done = collation_migration.collate_text_columns(connection)
    if connection.vendor == "sqlite":
        assert done == []
        return
    assert sorted(done) == ["c_oldtable.f_x", "c_oldtable.id"]  # posts was made with "C"
    assert not any(name.startswith(posts_table) for name in done)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, collation_name FROM information_schema.columns"
            " WHERE table_name = 'c_oldtable' ORDER BY column_name"
        )
        assert cursor.fetchall() == [("f_x", "C"), ("id", "C")]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'old_x'")
        assert cursor.fetchone() is not None
        cursor.execute('SELECT "f_x" FROM "c_oldtable"')
        assert cursor.fetchall() == [("x",)]
    assert collation_migration.collate_text_columns(connection) == []  # idempotent
