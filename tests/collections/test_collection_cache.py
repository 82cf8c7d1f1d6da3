"""The per-process collection cache (bench/PROFILE.md §4): lookups see every committed
change at once, in this process and in every other one, and hand out private copies."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.db import transaction

from baas.collections.models import Collection, lookup, lookup_id
from tests import services


def test_lookup_by_id_and_by_name_in_any_case(api: Any, cast: Any, make_collection: Any) -> None:
    made = make_collection({"name": "Notes", "fields": [{"name": "a", "type": "text"}]})
    assert lookup(made["id"]).name == "Notes"  # type: ignore[union-attr]
    assert lookup("notes").id == made["id"]  # type: ignore[union-attr]
    assert lookup("NOTES").id == made["id"]  # type: ignore[union-attr]
    assert lookup_id("notes") is None  # by id only
    assert lookup("missing") is None


def test_lookups_are_private_copies(api: Any, cast: Any, make_collection: Any) -> None:
    made = make_collection({"name": "notes", "fields": [{"name": "a", "type": "text"}]})
    first = lookup("notes")
    assert first is not None
    first.fields.append({"name": "junk"})
    first.rules["listRule"] = "junk"
    first.name = "junk"
    again = lookup(made["id"])
    assert again is not None and again.name == "notes"
    assert [f["name"] for f in again.fields] == [f["name"] for f in made["fields"]]
    assert again.rules.get("listRule") is None


def test_a_change_is_seen_by_the_next_lookup(api: Any, cast: Any, make_collection: Any) -> None:
    made = make_collection({"name": "notes", "fields": [{"name": "a", "type": "text"}]})
    assert lookup("notes") is not None
    response = api.patch(
        f"/api/collections/{made['id']}",
        json={"name": "memos", "listRule": ""},
        token=cast.superuser,
    )
    assert response.status_code == 200, response.content
    assert lookup("notes") is None
    renamed = lookup("memos")
    assert renamed is not None and renamed.rules["listRule"] == ""
    assert api.delete(f"/api/collections/{made['id']}", token=cast.superuser).status_code == 204
    assert lookup("memos") is None and lookup_id(made["id"]) is None


@pytest.mark.django_db
def test_inside_a_transaction_lookups_read_the_database() -> None:
    """Uncommitted rows are never cached: a rolled-back collection is gone at once."""
    with transaction.atomic():
        Collection.objects.create(id="pbc_uncommitted", name="draft")
        assert lookup("draft") is not None
        transaction.set_rollback(True)
    assert lookup("draft") is None and lookup_id("pbc_uncommitted") is None


def test_rule_rename_and_delete_reach_other_workers() -> None:
    """Server A changes a collection; every worker of server B sees it on its next request."""
    with (
        services.shared_data("baas-cache-") as (data, env),
        services.baas_server(data, env=env) as a,
    ):
        assert a.cli("superuser", "upsert", "root@example.com", "password123").returncode == 0
        with services.baas_server(data, env=env, workers=2) as b:
            su = {
                "Authorization": requests.post(
                    f"{a}/api/collections/_superusers/auth-with-password",
                    json={"identity": "root@example.com", "password": "password123"},
                    timeout=10,
                ).json()["token"]
            }
            created = requests.post(
                f"{a}/api/collections",
                json={"name": "live", "fields": [{"name": "a", "type": "text"}]},
                headers=su,
                timeout=10,
            )
            assert created.status_code == 200, created.text

            def guest_list(name: str) -> list[int]:
                # several requests, so both of B's workers answer some of them
                return sorted(
                    {
                        requests.get(f"{b}/api/collections/{name}/records", timeout=10).status_code
                        for _ in range(8)
                    }
                )

            assert guest_list("live") == [403]  # listRule null: superusers only
            changed = requests.patch(
                f"{a}/api/collections/live", json={"listRule": ""}, headers=su, timeout=10
            )
            assert changed.status_code == 200, changed.text
            assert guest_list("live") == [200]
            renamed = requests.patch(
                f"{a}/api/collections/live", json={"name": "lively"}, headers=su, timeout=10
            )
            assert renamed.status_code == 200, renamed.text
            assert guest_list("live") == [404]
            assert guest_list("lively") == [200]
            deleted = requests.delete(f"{a}/api/collections/lively", headers=su, timeout=10)
            assert deleted.status_code == 204, deleted.text
            assert guest_list("lively") == [404]


def _token_queries(run: Any) -> int:
    """How many collections token queries ``run()`` makes."""
    from django.db import connection

    seen: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        run()
    return sum('FROM "_collections"' in sql and "COUNT(*)" in sql for sql in seen)


def test_a_signed_in_read_checks_the_token_once(api: Any, cast: Any, make_collection: Any) -> None:
    make_collection({"name": "notes", "listRule": "", "fields": [{"name": "a", "type": "text"}]})
    path = "/api/collections/notes/records"
    # the signed-in record's collection, then the listed one: one check for both
    assert _token_queries(lambda: api.get(path, token=cast.owner)) == 1
    # a write checks at every lookup, as before
    assert _token_queries(lambda: api.post(path, json={"a": "x"}, token=cast.owner)) >= 2


@pytest.mark.django_db
def test_a_collection_saved_during_a_read_is_seen(cast: Any) -> None:
    from baas.collections.models import read_only_request

    read_only_request(True)
    try:
        assert _token_queries(lambda: lookup("users")) == 1
        assert _token_queries(lambda: lookup("users")) == 0  # the request's snapshot
        Collection.objects.create(id="pbc_during_a_read", name="made_in_a_hook")
        assert lookup("made_in_a_hook") is not None  # a save in this thread re-checks
    finally:
        read_only_request(False)
    assert _token_queries(lambda: lookup("users")) == 1  # outside a request: every lookup
