"""Compiled rules, filters and sorts are kept per process (records/rules.py ``_compiled``)
unless the compile is volatile; what is kept never answers for another user, another
schema, another rule, another value of the signed-in record or another moment."""

from __future__ import annotations

from typing import Any

import pytest

from baas.collections.models import Collection, current_token, lookup
from baas.collections.records import rules
from baas.collections.records.rules import request_info
from tests.cast import PASSWORD, sign_in


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> None:
    users = api.get("/api/collections/users", token=cast.superuser).json()
    make_collection(
        {
            "name": "notes",
            "listRule": "owner = @request.auth.id",
            "viewRule": "owner = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number"},
                {"name": "owner", "type": "relation", "collectionId": users["id"], "maxSelect": 1},
                {"name": "created", "type": "autodate", "onCreate": True},
            ],
        }
    )
    for title, n, owner in [
        ("a", 2, cast.owner_id),
        ("b", 3, cast.owner_id),
        ("c", 1, cast.other_id),
    ]:
        response = api.post(
            "/api/collections/notes/records",
            json={"title": title, "n": n, "owner": owner},
            token=cast.superuser,
        )
        assert response.status_code == 200, response.content
    rules._compiled.clear()


def titles(api: Any, token: str | None, query: str = "") -> list[str]:
    response = api.get(f"/api/collections/notes/records?sort=title{query}", token=token)
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def set_rules(api: Any, cast: Any, **changes: str) -> None:
    response = api.patch("/api/collections/notes", json=changes, token=cast.superuser)
    assert response.status_code == 200, response.content


def test_an_owner_rule_is_compiled_once_per_user(api: Any, cast: Any, notes: None) -> None:
    assert titles(api, cast.owner) == ["a", "b"]
    kept = len(rules._compiled)
    assert kept == 1
    assert titles(api, cast.owner) == ["a", "b"]
    assert len(rules._compiled) == kept  # the second request reused it
    assert titles(api, cast.other) == ["c"]  # another user: another entry, their rows
    assert len(rules._compiled) == 2
    assert titles(api, None) == []  # a guest: @request.auth.id is empty


def test_view_rules_are_kept_per_user_too(api: Any, cast: Any, notes: None) -> None:
    listed = api.get("/api/collections/notes/records?filter=title='c'", token=cast.other).json()
    other_note = listed["items"][0]["id"]
    for _ in range(2):
        assert (
            api.get(f"/api/collections/notes/records/{other_note}", token=cast.other).status_code
            == 200
        )
        assert (
            api.get(f"/api/collections/notes/records/{other_note}", token=cast.owner).status_code
            == 404
        )


def test_a_rule_change_is_seen_at_once(api: Any, cast: Any, notes: None) -> None:
    assert titles(api, cast.owner) == ["a", "b"]
    set_rules(api, cast, listRule="owner != @request.auth.id")
    assert titles(api, cast.owner) == ["c"]
    set_rules(api, cast, listRule="n > 1")
    assert titles(api, cast.other) == ["a", "b"]


def test_a_schema_change_is_a_new_key(api: Any, cast: Any, notes: None) -> None:
    assert titles(api, cast.superuser, "&filter=n>1") == ["a", "b"]
    collection = api.get("/api/collections/notes", token=cast.superuser).json()
    for field in collection["fields"]:
        if field["name"] == "n":
            field["name"] = "m"
    changed = api.patch(
        "/api/collections/notes", json={"fields": collection["fields"]}, token=cast.superuser
    )
    assert changed.status_code == 200, changed.content
    response = api.get("/api/collections/notes/records?filter=n>1", token=cast.superuser)
    assert response.status_code == 400
    assert titles(api, cast.superuser, "&filter=m>1") == ["a", "b"]


def test_a_change_to_the_signed_in_record_is_a_new_key(api: Any, cast: Any, notes: None) -> None:
    users = api.get("/api/collections/users", token=cast.superuser).json()
    fields = [*users["fields"], {"name": "level", "type": "number"}]
    response = api.patch("/api/collections/users", json={"fields": fields}, token=cast.superuser)
    assert response.status_code == 200, response.content
    set_rules(api, cast, listRule="n <= @request.auth.level")
    assert titles(api, cast.owner) == []
    raised = api.patch(
        f"/api/collections/users/records/{cast.owner_id}", json={"level": 2}, token=cast.superuser
    )
    assert raised.status_code == 200, raised.content
    # the same token, the record's new value: a new key, not the kept SQL for level 0
    assert titles(api, cast.owner) == ["a", "c"]


@pytest.mark.parametrize(
    ("rule", "query", "expected"),
    [
        ("title = @request.query.t", "&t=b", ["b"]),
        ("title = @request.query.t", "&t=c", ["c"]),
        ("@request.headers.x_pick = title", "", []),
        ("created < @now", "", ["a", "b", "c"]),
        ("strftime('%Y', created) = strftime('%Y', @now)", "", ["a", "b", "c"]),
        ("@request.method = 'GET'", "", ["a", "b", "c"]),
    ],
)
def test_volatile_rules_are_never_kept(
    api: Any, cast: Any, notes: None, rule: str, query: str, expected: list[str]
) -> None:
    set_rules(api, cast, listRule=rule)
    rules._compiled.clear()
    assert titles(api, cast.owner, query) == expected
    assert rules._compiled == {}


def test_an_edited_copy_is_not_kept(api: Any, cast: Any, notes: None) -> None:
    found = lookup("notes")
    assert found is not None
    assert current_token(found) is not None
    found.rules = {**found.rules, "listRule": ""}  # a dry run's collection, say
    assert current_token(found) is None
    from baas.auth.context import GUEST

    rules._compiled.clear()
    where, _ = rules.compile_rule(found, "n > 1", request_info(GUEST))
    assert where and rules._compiled == {}


def test_long_client_texts_are_not_kept(api: Any, cast: Any, notes: None) -> None:
    long_filter = " || ".join(["n > 100"] * 150)
    assert len(long_filter) > rules._KEPT_TEXT_MAX
    assert titles(api, cast.superuser, f"&filter={long_filter}") == []
    assert rules._compiled == {}


def test_inside_a_transaction_nothing_is_kept(api: Any, cast: Any, notes: None) -> None:
    from django.db import transaction

    from baas.auth.context import GUEST

    found = lookup("notes")
    assert found is not None
    with transaction.atomic():
        assert current_token(found) is None
        rules.compile_rule(found, "n > 1", request_info(GUEST))
    assert rules._compiled == {}


def test_users_never_share_an_entry(api: Any, cast: Any, notes: None) -> None:
    """Many requests, interleaved: each user always gets exactly their own rows."""
    third = api.post(
        "/api/collections/users/records",
        json={"email": "third@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD},
        token=cast.superuser,
    )
    assert third.status_code == 200, third.content
    third_token = sign_in(api, "users", "third@example.com")["token"]
    for _ in range(3):
        assert titles(api, cast.owner) == ["a", "b"]
        assert titles(api, third_token) == []
        assert titles(api, cast.other) == ["c"]
    assert Collection.objects.filter(name="notes").exists()
