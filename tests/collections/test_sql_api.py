"""``POST /api/sql`` (the SDKs' ``pb.sql.run``): a superuser's read-only SQL by collection
and field names, answered in the peer's shape (values as text, field types, execTime).

The expected answers were read off the pocketbase 0.40.6 binary for the same schema and
records; where baas differs on purpose (reads only, no password hashes) the test says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from baas.collections.api import sql
from tests.cast import make_user, sign_in

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "title", "type": "text"},
    {"name": "views", "type": "number"},
    {"name": "ok", "type": "bool"},
    {"name": "meta", "type": "json"},
    {"name": "when", "type": "date"},
    {"name": "tags", "type": "select", "maxSelect": 2, "values": ["a", "b"]},
    {"name": "one", "type": "select", "maxSelect": 1, "values": ["a", "b"]},
    {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
    {"name": "many", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 5},
    {"name": "geo", "type": "geoPoint"},
]


@pytest.fixture
def posts(api: Any, superuser_token: str) -> dict[str, Any]:
    made = api.post(
        "/api/collections",
        json={"name": "posts", "type": "base", "fields": FIELDS},
        token=superuser_token,
    )
    assert made.status_code == 200, made.content
    user = make_user(api, "sql@example.com", superuser_token)
    first = api.post(
        "/api/collections/posts/records",
        json={
            "id": "firstpost000001",
            "title": "Hi",
            "views": 5,
            "ok": True,
            "meta": {"a": [1, 2]},
            "when": "2024-01-02 03:04:05.000Z",
            "tags": ["a", "b"],
            "one": "a",
            "owner": user["id"],
            "many": [user["id"]],
            "geo": {"lon": 1.5, "lat": 2},
        },
        token=superuser_token,
    )
    assert first.status_code == 200, first.content
    second = api.post(
        "/api/collections/posts/records",
        json={"id": "secondpost00001", "title": "Two", "views": 2.5},
        token=superuser_token,
    )
    assert second.status_code == 200, second.content
    return {"user": user}


def run(api: Any, token: str, query: str) -> Any:
    return api.post("/api/sql", json={"query": query}, token=token)


def test_select_star_answers_the_peers_shape(api: Any, superuser_token: str, posts: Any) -> None:
    answer = run(api, superuser_token, "select * from posts order by title")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"execTime", "affectedRows", "columns", "rows"}
    assert isinstance(body["execTime"], int) and body["affectedRows"] == 0
    columns = {c["name"]: c["type"] for c in body["columns"]}
    assert [c["name"] for c in body["columns"]] == sorted(columns)  # the peer's table order
    assert all(c["nullable"] is True for c in body["columns"])
    assert columns == {
        "id": "TEXT",
        "title": "TEXT",
        "views": "NUMERIC",
        "ok": "BOOLEAN",
        "meta": "JSON",
        "when": "TEXT",
        "tags": "JSON",
        "one": "TEXT",
        "owner": "TEXT",
        "many": "JSON",
        "geo": "JSON",
    }
    first, second = (dict(zip(columns, row, strict=True)) for row in body["rows"])
    user = posts["user"]["id"]
    assert first == {
        "geo": '{"lon":1.5,"lat":2}',
        "id": "firstpost000001",
        "many": f'["{user}"]',
        "meta": '{"a":[1,2]}',
        "ok": "1",
        "one": "a",
        "owner": user,
        "tags": '["a","b"]',
        "title": "Hi",
        "views": "5",
        "when": "2024-01-02 03:04:05.000Z",
    }
    assert second == {
        "geo": '{"lon":0,"lat":0}',
        "id": "secondpost00001",
        "many": "[]",
        "meta": None,
        "ok": "0",
        "one": "",
        "owner": "",
        "tags": "[]",
        "title": "Two",
        "views": "2.5",
        "when": "",
    }


def test_expressions_aliases_joins_and_system_collections(
    api: Any, superuser_token: str, posts: Any
) -> None:
    grouped = run(
        api,
        superuser_token,
        "select p.title as t, count(*) from posts p where views > 1 group by title order by title",
    ).json()
    assert grouped["columns"] == [
        {"name": "t", "type": "TEXT", "nullable": True},
        {"name": "count(*)", "type": "", "nullable": True},
    ]
    assert grouped["rows"] == [["Hi", "1"], ["Two", "1"]]

    joined = run(
        api,
        superuser_token,
        "select p.title, u.email from posts p join users u on u.id = p.owner",
    ).json()
    assert joined["rows"] == [["Hi", "sql@example.com"]]

    superusers = run(api, superuser_token, "select email from _superusers").json()
    assert superusers["rows"] == [["root@example.com"]]


def test_password_hashes_and_token_keys_are_not_there(
    api: Any, superuser_token: str, posts: Any
) -> None:
    everything = run(api, superuser_token, "select * from users").json()
    names = {c["name"] for c in everything["columns"]}
    assert "email" in names and not names & {"password", "tokenKey"}
    asked = run(api, superuser_token, "select password from users")
    assert asked.status_code == 400 and "Failed to execute query" in asked.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        "insert into posts (id, title) values ('x', 'y')",
        "update posts set title = 'gone'",
        "delete from posts",
        "drop table posts",
        "create table t (a int)",
        "pragma table_info(posts)",
        "select 1; delete from posts",
        "attach database '/tmp/x.db' as x",
    ],
)
def test_writes_are_refused_and_change_nothing(
    api: Any, superuser_token: str, posts: Any, query: str
) -> None:
    answer = run(api, superuser_token, query)
    assert answer.status_code == 400, answer.content
    assert "records and collections APIs" in answer.json()["message"] or (
        "Failed to execute query" in answer.json()["message"]
    )
    titles = run(api, superuser_token, "select title from posts order by title").json()["rows"]
    assert titles == [["Hi"], ["Two"]]


@pytest.mark.parametrize(
    "query",
    [
        "select nope from posts",
        "select * from nowhere",
        "select load_extension('/tmp/evil.so')",
        "select pg_sleep(10)",
        "select pg_read_file('/etc/passwd')",
        "select * from c_whatever",
        "select (",
    ],
)
def test_bad_or_hostile_queries_are_a_400(api: Any, superuser_token: str, query: str) -> None:
    answer = run(api, superuser_token, query)
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["status"] == 400 and body["message"].startswith("Failed to execute query.")


def test_a_query_that_runs_too_long_is_stopped(
    api: Any, superuser_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "TIMEOUT_MS", 200)
    endless = (
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    )
    answer = run(api, superuser_token, endless)
    assert answer.status_code == 400, answer.content
    assert "ran too long" in answer.json()["message"]
    assert run(api, superuser_token, "select 1 as one").json()["rows"] == [["1"]]  # still fine


def test_too_many_rows_asks_for_a_limit(
    api: Any, superuser_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "MAX_ROWS", 3)
    many = (
        "with recursive c(x) as (select 1 union all select x + 1 from c where x < 10) "
        "select x from c"
    )
    answer = run(api, superuser_token, many)
    assert answer.status_code == 400 and "add a LIMIT" in answer.json()["message"]
    limited = run(api, superuser_token, many + " limit 3").json()
    assert limited["rows"] == [["1"], ["2"], ["3"]]


def test_only_superusers(api: Any, superuser_token: str) -> None:
    assert run(api, "", "select 1").status_code == 401
    make_user(api, "plain@example.com", superuser_token)
    token = sign_in(api, "users", "plain@example.com")["token"]
    refused = run(api, token, "select 1")
    assert refused.status_code == 403


@pytest.mark.parametrize("body", [{}, {"query": ""}, {"query": "   "}, {"query": 5}])
def test_a_blank_query_is_a_validation_error(
    api: Any, superuser_token: str, body: dict[str, Any]
) -> None:
    answer = api.post("/api/sql", json=body, token=superuser_token)
    assert answer.status_code == 400
    assert answer.json()["data"]["query"]["code"] == "validation_required"


def test_a_body_that_is_not_an_object(api: Any, superuser_token: str) -> None:
    answer = api.post("/api/sql", json=["select 1"], token=superuser_token)
    assert answer.status_code == 400 and answer.json()["status"] == 400
