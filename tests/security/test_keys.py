"""API keys on GraphQL: a scoped key gets a schema of its collections only (introspection
and error messages name nothing else), reads what REST lets it read there, and writes
only with its write actions; an unscoped key is a superuser, a bad key a guest.
Scoped keys on the live feeds: test_realtime.py; the probes table: test_paths.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.security.conftest import BAD_KEYS, World

pytestmark = pytest.mark.django_db
OUTSIDE = {"Sec_notes", "Sec_vault", "Sec_posts", "Sec_members", "Users", "_superusers"}
SCHEMA = "{ __schema { types { name } queryType { fields { name } } } }"


def _key(world: World, name: str, collections: list[str], actions: list[str]) -> str:
    made = world.api.post(
        "/api/x/api-keys",
        json={"name": name, "collections": collections, "actions": actions},
        token=world.token("superuser"),
    )
    assert made.status_code == 200, made.content
    world.tokens[name] = made.json()["key"]
    return name


def test_a_scoped_keys_schema_has_only_its_collections(world):
    body = world.gql(SCHEMA, "key").json()
    schema = body["data"]["__schema"]
    types = {t["name"] for t in schema["types"]}
    assert "Sec_tags" in types
    assert not types & OUTSIDE, types & OUTSIDE
    assert {f["name"] for f in schema["queryType"]["fields"]} == {"sec_tags", "sec_tagsList"}
    # a superuser's schema has them all
    full = world.gql(SCHEMA, "superuser").json()["data"]["__schema"]
    assert OUTSIDE - {"_superusers"} <= {t["name"] for t in full["types"]}


def test_a_scoped_keys_errors_name_nothing_outside_its_scope(world):
    for asked in ("sec_vaul", "sec_note", "sec_postsLis"):
        body = world.gql(f"{{ {asked} {{ id }} }}", "key").json()
        assert body["errors"], body
        text = str(body).replace(f"'{asked}'", "")  # the name asked is echoed, no other
        assert "sec_vault" not in text and "sec_notes" not in text and "sec_posts" not in text
    # a collection that exists and one that does not are refused alike
    exists = world.gql("{ sec_vaultList { totalItems } }", "key").json()
    missing = world.gql("{ nothingList { totalItems } }", "key").json()
    assert _unsuggested(exists, "sec_vault") == _unsuggested(missing, "nothing")


def _unsuggested(body: Any, name: str) -> list[str]:
    """The messages with the asked name masked and any (in-scope) suggestion left out."""
    return [
        re.sub(r" Did you mean .*$", "", e["message"]).replace(name, "X") for e in body["errors"]
    ]


def test_a_scoped_key_sees_a_relation_outside_its_scope_as_rest_shows_it(world):
    ids = world.ids
    query = "query($t: ID!) { sec_tags(id: $t) { id name note } }"
    body = world.gql(query, "key", t=ids["t1"]).json()
    assert body == {"data": {"sec_tags": {"id": ids["t1"], "name": "t1", "note": ids["alpha"]}}}
    rest = world.get(f"/api/collections/sec_tags/records/{ids['t1']}", "key", expand="note")
    assert (rest.json()["note"], rest.json()["expand"]) == (ids["alpha"], {})
    # following it is refused, in GraphQL's error shape
    nested = world.gql("query($t: ID!) { sec_tags(id: $t) { note { id } } }", "key", t=ids["t1"])
    assert nested.status_code == 400 and "data" not in nested.json()


def test_mutations_need_the_keys_write_actions(world):
    reader = _key(world, "reader", ["sec_tags"], ["list", "view"])
    t1 = world.ids["t1"]
    writes = {
        "create": ('mutation { createSec_tags(data: {name: "made"}) { name } }', "POST", ""),
        "update": (
            f'mutation {{ updateSec_tags(id: "{t1}", data: {{name: "x"}}) {{ name }} }}',
            "PATCH",
            t1,
        ),
        "delete": (f'mutation {{ deleteSec_tags(id: "{t1}") }}', "DELETE", t1),
    }
    for action, (mutation, method, record_id) in writes.items():
        body = world.gql(mutation, reader).json()
        assert [e["extensions"]["status"] for e in body["errors"]] == [403], action
        url = "/api/collections/sec_tags/records" + (f"/{record_id}" if record_id else "")
        rest = world.api.request(method, url, json={"name": "x"}, token=world.token(reader))
        assert rest.status_code == 403, action
    listed = world.gql("{ sec_tagsList { items { name } } }", reader).json()
    assert listed == {"data": {"sec_tagsList": {"items": [{"name": "t1"}]}}}
    # the tags key has every action there
    made = world.gql(writes["create"][0], "key").json()
    assert made == {"data": {"createSec_tags": {"name": "made"}}}
    deleted = world.gql(writes["delete"][0], "key").json()
    assert deleted == {"data": {"deleteSec_tags": True}}


def test_a_key_without_the_view_action_cannot_read_one_record(world):
    lister = _key(world, "lister", ["sec_tags"], ["list"])
    ids = world.ids
    one = world.gql("query($t: ID!) { sec_tags(id: $t) { id } }", lister, t=ids["t1"]).json()
    assert [e["extensions"]["status"] for e in one["errors"]] == [403]
    rest = world.get(f"/api/collections/sec_tags/records/{ids['t1']}", lister)
    assert rest.status_code == 403


def test_an_unscoped_key_is_a_superuser_and_bad_keys_are_guests(world):
    admin = _key(world, "admin", [], [])
    query = "{ sec_vaultList { items { code } } }"
    assert world.gql(query, admin).json() == {
        "data": {"sec_vaultList": {"items": [{"code": "zeta-code"}]}}
    }
    for actor in BAD_KEYS:  # the same rights, were they valid
        body: Any = world.gql(query, actor).json()
        assert body["data"] == {"sec_vaultList": None}, actor
        assert [e["extensions"]["status"] for e in body["errors"]] == [403], actor
        introspection = world.gql(SCHEMA, actor).json()
        assert "Sec_vault" not in str(introspection), actor


def test_bad_keys_authenticate_nothing(world):
    from baas.auth import apikeys

    assert apikeys.authenticate(world.token("key") or "").scopes is not None
    for actor in BAD_KEYS:
        assert apikeys.authenticate(world.token(actor) or "").is_guest, actor


def test_batch_takes_a_scoped_key_and_checks_each_operation(world):
    reader = _key(world, "batch-reader", ["sec_tags"], ["list", "view"])

    def batch(token: str | None, *requests: dict[str, Any]) -> Any:
        return world.api.post("/api/batch", json={"requests": list(requests)}, token=token)

    make_tag = {"method": "POST", "url": "/api/collections/sec_tags/records", "body": {"name": "b"}}
    make_post = {"method": "POST", "url": "/api/collections/sec_posts/records", "body": {}}
    done = batch(world.token("key"), make_tag)
    assert done.status_code == 200, done.content
    assert done.json()[0]["body"]["name"] == "b"
    # one operation outside the scope fails the whole batch, and nothing is written
    for token, requests in (
        (world.token("key"), (make_tag, make_post)),  # another collection
        (world.token(reader), (make_tag,)),  # an action the key lacks
    ):
        failed = batch(token, *requests)
        assert failed.status_code == 400, failed.content
        inner = failed.json()["data"]["requests"][str(len(requests) - 1)]["response"]
        assert inner["status"] == 403, inner
    names = world.get("/api/collections/sec_tags/records", "superuser").json()["items"]
    assert sorted(item["name"] for item in names) == ["b", "t1"]
