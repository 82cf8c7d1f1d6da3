"""``/api/realtime`` on a live ``baas serve``, driven the way the SDKs drive it (wire-api §6)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.realtime.live import SSEClient, with_options
from tests.services import wait_until

# --- connect (wire-api §6.1) -------------------------------------------------------------


def test_connect_sends_pb_connect_with_a_40_char_client_id_in_the_exact_format(sse):
    assert re.fullmatch(r"[A-Za-z0-9]{40}", sse.client_id)
    assert sse.connect.raw == (
        f'id:{sse.client_id}\nevent:PB_CONNECT\ndata:{{"clientId":"{sse.client_id}"}}'
    )
    assert sse.headers["content-type"] == "text/event-stream"
    assert sse.headers["cache-control"] == "no-store"
    assert sse.headers["x-accel-buffering"] == "no"
    assert sse.headers["x-content-type-options"] == "nosniff"


def test_each_connection_gets_a_new_client_id(sse_factory):
    assert sse_factory().client_id != sse_factory().client_id


def test_cors_preflight_and_origin_are_answered(world):
    preflight = httpx.options(
        f"{world.base}/api/realtime",
        headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-origin"] == "*"


# --- set subscriptions (wire-api §6.2) ---------------------------------------------------

BAD_REQUESTS = [
    # (body, status, the data path that names the problem)
    ({"clientId": "", "subscriptions": []}, 400, ["clientId", "code"], "validation_required"),
    ({"subscriptions": ["a"]}, 400, ["clientId", "code"], "validation_required"),
    ({"clientId": "{id}", "subscriptions": ["t"] * 1001}, 400, ["subscriptions", "code"], "validation_length_too_long"),
    ({"clientId": "{id}", "subscriptions": ["ok", "x" * 2501]}, 400, ["subscriptions", "1", "code"], "validation_length_too_long"),
]  # fmt: skip


@pytest.mark.parametrize("body, status, path, code", BAD_REQUESTS)
def test_subscription_requests_are_validated(sse, body, status, path, code):
    if body.get("clientId") == "{id}":
        body = {**body, "clientId": sse.client_id}
    response = httpx.post(f"{sse.base}/api/realtime", json=body)
    assert response.status_code == status
    data = response.json()["data"]
    for key in path:
        data = data[key]
    assert data == code


def test_unknown_client_is_404(world):
    for client_id in ("nope", "x" * 40):
        response = httpx.post(
            f"{world.base}/api/realtime", json={"clientId": client_id, "subscriptions": []}
        )
        assert response.status_code == 404
        assert response.json() == {
            "status": 404,
            "message": "Missing or invalid client id.",
            "data": {},
        }


def test_malformed_json_is_400(sse):
    response = httpx.post(
        f"{sse.base}/api/realtime",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


def test_subscribing_replaces_the_whole_set(world, sse):
    assert sse.subscribe("rt_open/*").status_code == 204
    assert sse.subscribe().status_code == 204  # [] unsubscribes from everything
    world.api.create("rt_open", {"title": "unseen"})
    assert sse.quiet() == []


# --- topics and events (wire-api §6.3–6.4) ---------------------------------------------------


def test_wildcard_topic_gets_create_update_delete_with_the_exact_event_name(world, sse):
    assert sse.subscribe("rt_open/*").status_code == 204
    record = world.api.create("rt_open", {"title": "a"})
    world.api.update("rt_open", record["id"], {"title": "b"})
    world.api.delete("rt_open", record["id"])
    events = [sse.next() for _ in range(3)]
    assert [e.name for e in events] == ["rt_open/*"] * 3
    assert [e.data["action"] for e in events] == ["create", "update", "delete"]
    assert [e.data["record"]["title"] for e in events] == ["a", "b", "b"]
    assert all(e.id == sse.client_id for e in events)
    created = events[0].data["record"]
    assert created["collectionName"] == "rt_open"
    assert created["collectionId"].startswith("pbc_")
    assert "secret" not in created  # hidden fields stay hidden
    assert events[0].raw.startswith(f"id:{sse.client_id}\nevent:rt_open/*\ndata:{{")


def test_record_topic_gets_only_that_record(world, sse):
    mine = world.api.create("rt_open", {"title": "mine"})
    assert sse.subscribe(f"rt_open/{mine['id']}").status_code == 204
    world.api.create("rt_open", {"title": "someone else's"})
    world.api.update("rt_open", mine["id"], {"title": "changed"})
    event = sse.next()
    assert event.name == f"rt_open/{mine['id']}"
    assert event.data["action"] == "update"
    assert event.data["record"] == {**mine, "title": "changed"}
    assert sse.quiet() == []


def test_legacy_topic_and_collection_id_topics(world, sse):
    collection_id = world.api.ok("GET", "/api/collections/rt_open", token=world.superuser)["id"]
    assert sse.subscribe("rt_open", f"{collection_id}/*").status_code == 204
    world.api.create("rt_open", {"title": "x"})
    names = sorted(e.name for e in (sse.next(), sse.next()))
    assert names == sorted(["rt_open", f"{collection_id}/*"])


def test_options_fields_and_filter(world, sse):
    picked = with_options("rt_open/*", {"fields": "id,title"})
    filtered = with_options("rt_open/*", {"filter": 'title = "wanted"'})
    assert sse.subscribe(picked, filtered).status_code == 204
    world.api.create("rt_open", {"title": "unwanted"})
    event = sse.next()
    assert event.name == picked
    assert set(event.data["record"]) == {"id", "title"}
    assert sse.quiet() == []
    record = world.api.create("rt_open", {"title": "wanted"})
    got = {e.name: e.data for e in (sse.next(), sse.next())}
    assert got[filtered]["record"]["id"] == record["id"]
    world.api.delete("rt_open", record["id"])  # fields apply to deletes too (wire-api §9)
    got = {e.name: e.data for e in (sse.next(), sse.next())}
    assert got[picked] == {"action": "delete", "record": {"id": record["id"], "title": "wanted"}}


def test_options_expand_is_rule_checked_for_the_subscriber(world, sse_factory):
    topic = with_options("rt_open/*", {"expand": "author"})
    owner, guest = sse_factory(), sse_factory()
    assert owner.subscribe(topic, token=world.owner).status_code == 204
    assert guest.subscribe(topic).status_code == 204
    world.api.create("rt_open", {"title": "by owner", "author": world.owner_id})
    # users' viewRule is "id = @request.auth.id": the owner may expand, a guest may not
    seen = owner.next().data["record"]
    assert seen["expand"]["author"]["id"] == world.owner_id
    assert seen["expand"]["author"]["email"] == "rt-owner@example.com"
    assert guest.next().data["record"]["expand"] == {}


def test_options_headers_and_realtime_context_feed_the_rule(world, sse):
    blue = with_options("rt_context/*", headers={"X-Room": "blue"})
    red = with_options("rt_context/*", headers={"X-Room": "red"})
    assert sse.subscribe(blue, red).status_code == 204
    world.api.create("rt_context", {"title": "t"})
    assert sse.next().name == blue
    assert sse.quiet() == []
    # the same rule over plain HTTP is not in the realtime context
    listed = world.api.ok("GET", "/api/collections/rt_context/records")
    assert listed["items"] == []


def test_custom_and_oauth2_topics_get_nothing_from_records(world, sse):
    assert sse.subscribe("@oauth2", "my/custom").status_code == 204
    world.api.create("rt_open", {"title": "x"})
    assert sse.quiet() == []


# --- who gets what ---------------------------------------------------------------------------

GATING = [
    # (who, topic form, receives?)
    ("owner", "list", True),
    ("other", "list", False),
    ("guest", "list", False),
    ("superuser", "list", True),
    ("owner", "view", True),
    ("other", "view", False),
    ("guest", "view", False),
]


@pytest.mark.parametrize("who, form, receives", GATING)
def test_owner_rule_gates_deliveries(world, sse, who, form, receives):
    note = world.api.create("rt_notes", {"title": "n", "owner": world.owner_id})
    topic = "rt_notes/*" if form == "list" else f"rt_notes/{note['id']}"
    token = getattr(world, who) if who != "guest" else None
    assert sse.subscribe(topic, token=token).status_code == 204
    world.api.update("rt_notes", note["id"], {"title": "n2"})
    world.api.delete("rt_notes", note["id"])
    got = sse.quiet(1.0)
    if receives:
        assert [e.data["action"] for e in got] == ["update", "delete"]
    else:
        assert got == []


def test_locked_rules_deliver_to_superusers_only(world, sse_factory):
    root, user = sse_factory(), sse_factory()
    assert root.subscribe("rt_locked/*", token=world.superuser).status_code == 204
    assert user.subscribe("rt_locked/*", token=world.owner).status_code == 204
    world.api.create("rt_locked", {"title": "x"})
    assert root.next().data["action"] == "create"
    assert user.quiet() == []


def test_a_delete_is_checked_against_the_row_before_the_delete(world, sse_factory):
    owner, other = sse_factory(), sse_factory()
    topic = with_options("rt_notes/*", {"fields": "id,owner"})
    assert owner.subscribe(topic, token=world.owner).status_code == 204
    assert other.subscribe(topic, token=world.other).status_code == 204
    note = world.api.create("rt_notes", {"title": "n", "owner": world.owner_id})
    world.api.delete("rt_notes", note["id"])
    assert owner.next().data["action"] == "create"
    assert owner.next().data == {
        "action": "delete",
        "record": {"id": note["id"], "owner": world.owner_id},
    }
    assert other.quiet() == []


def test_a_delete_sees_the_deleted_records_multi_relation_values(world, sse_factory):
    member, outsider = sse_factory(), sse_factory()
    assert member.subscribe("rt_rooms/*", token=world.owner).status_code == 204
    assert outsider.subscribe("rt_rooms/*", token=world.other).status_code == 204
    room = world.api.create("rt_rooms", {"members": [world.owner_id]})
    world.api.update("rt_rooms", room["id"], {"members+": [world.owner_id]})
    world.api.delete("rt_rooms", room["id"])
    assert [e.data["action"] for e in member.quiet(1.5)] == ["create", "update", "delete"]
    assert outsider.quiet() == []


def test_email_is_shown_only_to_those_who_may_see_it(world, sse_factory):
    mine, root = sse_factory(), sse_factory()
    assert mine.subscribe(f"users/{world.owner_id}", token=world.owner).status_code == 204
    assert root.subscribe(f"users/{world.owner_id}", token=world.superuser).status_code == 204
    world.api.update("users", world.owner_id, {"name": "Owner"}, token=world.owner)
    assert mine.next().data["record"]["email"] == "rt-owner@example.com"
    assert root.next().data["record"]["email"] == "rt-owner@example.com"


def test_managers_see_the_email_of_auth_records(world, sse_factory):
    manage = '@request.auth.email = "rt-owner@example.com"'
    collection = {"name": "rt_members", "type": "auth", "listRule": "", "manageRule": manage}
    world.api.ok("POST", "/api/collections", collection, token=world.superuser)
    manager, other = sse_factory(), sse_factory()
    assert manager.subscribe("rt_members/*", token=world.owner).status_code == 204
    assert other.subscribe("rt_members/*", token=world.other).status_code == 204
    body = {
        "email": "rt-member@example.com",
        "password": "password123",
        "passwordConfirm": "password123",
    }
    world.api.create("rt_members", body, token=world.superuser)
    assert manager.next().data["record"]["email"] == "rt-member@example.com"
    assert "email" not in other.next().data["record"]  # emailVisibility is off


def test_cascade_deletes_send_events_for_every_record(world, sse):
    parent = world.api.create("rt_open", {"title": "parent"})
    child = world.api.create("rt_children", {"parent": parent["id"]})
    assert sse.subscribe("rt_children/*", "rt_open/*").status_code == 204
    world.api.delete("rt_open", parent["id"])
    got = {(e.name, e.data["action"], e.data["record"]["id"]) for e in sse.quiet(1.5)}
    assert ("rt_children/*", "delete", child["id"]) in got
    assert ("rt_open/*", "delete", parent["id"]) in got


# --- auth on the client (wire-api §6.2) ------------------------------------------------------


def test_guest_may_become_a_user_but_not_another_user_or_a_guest_again(world, sse):
    assert sse.subscribe("rt_notes/*").status_code == 204
    assert sse.subscribe("rt_notes/*", token=world.owner).status_code == 204
    assert sse.subscribe("rt_notes/*", token=world.owner).status_code == 204
    for token in (world.other, None):
        response = sse.subscribe("rt_notes/*", token=token)
        assert response.status_code == 403
        assert response.json()["message"] == (
            "The current and the previous request authorization don't match."
        )


def test_a_changed_token_key_drops_the_clients_auth(world, sse):
    api = world.api
    body = {
        "email": "rt-rotate@example.com",
        "password": "password123",
        "passwordConfirm": "password123",
    }
    user = api.create("users", body, token=world.superuser)
    token = api.sign_in("users", "rt-rotate@example.com")["token"]
    assert sse.subscribe("rt_notes/*", token=token).status_code == 204
    api.create("rt_notes", {"title": "before", "owner": user["id"]})
    assert sse.next().data["record"]["title"] == "before"
    new_password = {"password": "another-password-1", "passwordConfirm": "another-password-1"}
    api.update("users", user["id"], new_password, token=world.superuser)  # rotates tokenKey
    api.create("rt_notes", {"title": "after", "owner": user["id"]})
    assert [e.data["record"]["title"] for e in sse.quiet(1.0)] == []


def test_a_deleted_auth_record_makes_the_client_a_guest(world, sse):
    api = world.api
    body = {
        "email": "rt-gone@example.com",
        "password": "password123",
        "passwordConfirm": "password123",
    }
    user = api.create("users", body, token=world.superuser)
    token = api.sign_in("users", "rt-gone@example.com")["token"]
    assert sse.subscribe("rt_open/*", token=token).status_code == 204
    api.delete("users", user["id"], token=world.superuser)
    # now a guest: a guest token (none) is accepted again, a user is an upgrade
    assert sse.subscribe("rt_open/*").status_code == 204
    assert sse.subscribe("rt_open/*", token=world.other).status_code == 204


# --- disconnect, and writes from other processes ------------------------------------------------


def test_a_closed_stream_frees_the_client(world):
    client = SSEClient(world.base)
    assert client.subscribe("rt_open/*").status_code == 204
    client.close()

    def gone() -> bool:
        body = {"clientId": client.client_id, "subscriptions": []}
        return httpx.post(f"{world.base}/api/realtime", json=body).status_code == 404

    wait_until(gone, 10, "the server to forget a closed client")


def test_writes_by_a_baas_command_reach_subscribers(world, baas_server, sse):
    assert sse.subscribe("_superusers/*", token=world.superuser).status_code == 204
    result = baas_server.cli("superuser", "upsert", "rt-cli@example.com", "password123")
    assert result.returncode == 0, result.stderr
    event = sse.next()
    assert event.data["action"] == "create"
    assert event.data["record"]["email"] == "rt-cli@example.com"
    assert "password" not in event.data["record"] and "tokenKey" not in event.data["record"]


def test_batch_writes_and_truncate_send_events(world, sse):
    world.api.ok("PATCH", "/api/settings", {"batch": {"enabled": True}}, token=world.superuser)
    assert sse.subscribe("rt_children/*").status_code == 204
    requests = [
        {"method": "POST", "url": "/api/collections/rt_children/records", "body": {}}
        for _ in range(2)
    ]
    created = world.api.ok("POST", "/api/batch", {"requests": requests}, token=world.superuser)
    ids = {item["body"]["id"] for item in created}
    got = [sse.next(), sse.next()]
    assert {(e.data["action"], e.data["record"]["id"]) for e in got} == {
        ("create", record_id) for record_id in ids
    }
    world.api.ok("DELETE", "/api/collections/rt_children/truncate", token=world.superuser)
    deleted = {e.data["record"]["id"] for e in sse.quiet(1.5) if e.data["action"] == "delete"}
    assert ids <= deleted
