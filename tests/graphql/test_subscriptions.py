"""Subscriptions over graphql-transport-ws on a live ``baas serve``: every event passes
the realtime feed's per-delivery rule checks, nested relations the record service's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.realtime.live import PASSWORD, Api

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
PROTOCOL = "graphql-transport-ws"
FEED = "subscription { gq_posts { action record { id title secret owner { id email } } } }"


@dataclass
class World:
    base: str
    api: Api
    superuser: str
    owner: str
    other: str
    owner_id: str

    def create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.api.create(collection, body, token=self.superuser)


@pytest.fixture(scope="module")
def world(baas_server: Any) -> World:
    email = "gq-root@example.com"
    result = baas_server.cli("superuser", "upsert", email, PASSWORD)
    assert result.returncode == 0, result.stderr
    api = Api(str(baas_server))
    root = api.sign_in("_superusers", email)["token"]
    ids = {}
    for name in ("gq-owner", "gq-other"):
        body = {"email": f"{name}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        ids[name] = api.create("users", body, token=root)["id"]
    mine = "public = true || owner = @request.auth.id"
    posts = {
        "name": "gq_posts",
        **OPEN,
        "listRule": mine,
        "viewRule": mine,
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "public", "type": "bool"},
            {"name": "secret", "type": "text", "hidden": True},
            {
                "name": "owner",
                "type": "relation",
                "collectionId": "_pb_users_auth_",
                "maxSelect": 1,
            },
        ],
    }
    api.ok("POST", "/api/collections", posts, token=root)
    locked = {"name": "gq_locked", "fields": [{"name": "title", "type": "text"}]}
    api.ok("POST", "/api/collections", locked, token=root)
    return World(
        base=str(baas_server),
        api=api,
        superuser=root,
        owner=api.sign_in("users", "gq-owner@example.com")["token"],
        other=api.sign_in("users", "gq-other@example.com")["token"],
        owner_id=ids["gq-owner"],
    )


class Socket:
    def __init__(
        self, base: str, subprotocols: list[str] | None = None, url_token: str | None = None
    ):
        url = base.replace("http://", "ws://") + "/api/graphql"
        if url_token:
            url += f"?token={url_token}"
        self.ws: ClientConnection = connect(
            url,
            subprotocols=subprotocols or [PROTOCOL],
            open_timeout=10,  # type: ignore[list-item]
        )

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def init(self, token: str | None = None) -> None:
        self.send(type="connection_init", payload={"Authorization": token} if token else {})
        assert self.next() == {"type": "connection_ack"}

    def subscribe(self, op_id: str, query: str, **variables: Any) -> None:
        self.send(type="subscribe", id=op_id, payload={"query": query, "variables": variables})

    def quiet(self, within: float = 0.8) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.next(within))
            except TimeoutError:
                return found

    def closed_with(self) -> int | None:
        try:
            while True:
                self.ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


@pytest.fixture
def sockets(world: World) -> Iterator[Any]:
    made: list[Socket] = []

    def make(token: str | None = None, init: bool = True) -> Socket:
        socket = Socket(world.base)
        made.append(socket)
        if init:
            socket.init(token)
        return socket

    yield make
    for socket in made:
        socket.ws.close()


def settle(*sockets: Socket) -> None:
    """A subscription is registered once a ping sent after it is answered."""
    for socket in sockets:
        socket.send(type="ping")
        assert socket.next() == {"type": "pong"}


def test_events_pass_the_list_rule_and_hide_what_rest_hides(world: World, sockets: Any) -> None:
    guest, owner, other, root = (
        sockets(),
        sockets(world.owner),
        sockets(world.other),
        sockets(world.superuser),
    )
    for socket in (guest, owner, other, root):
        socket.subscribe("1", FEED)
    settle(guest, owner, other, root)
    private = world.create("gq_posts", {"title": "private", "owner": world.owner_id, "secret": "s"})
    public = world.create("gq_posts", {"title": "public", "public": True, "secret": "s"})

    def records(socket: Socket, count: int) -> list[dict[str, Any]]:
        events = [socket.next() for _ in range(count)]
        assert all(e["type"] == "next" and e["id"] == "1" for e in events), events
        return [e["payload"]["data"]["gq_posts"]["record"] for e in events]

    seen_by_guest = records(guest, 1)
    assert [r["title"] for r in seen_by_guest] == ["public"]
    assert seen_by_guest[0]["secret"] is None  # hidden field
    assert [r["title"] for r in records(other, 1)] == ["public"]
    owned = records(owner, 2)
    assert [r["title"] for r in owned] == ["private", "public"]
    # nested relation: the owner sees themself (users' viewRule), with their email
    assert owned[0]["owner"] == {"id": world.owner_id, "email": "gq-owner@example.com"}
    assert [r["secret"] for r in records(root, 2)] == ["s", "s"]
    for socket in (guest, other):
        assert socket.quiet() == []
    assert {private["id"], public["id"]}


def test_nested_relations_are_checked_with_the_subscriber(world: World, sockets: Any) -> None:
    other = sockets(world.other)
    other.subscribe("n", FEED)
    settle(other)
    world.create("gq_posts", {"title": "shared", "public": True, "owner": world.owner_id})
    event = other.next()
    record = event["payload"]["data"]["gq_posts"]["record"]
    assert record["title"] == "shared"
    assert record["owner"] is None  # another user's record, hidden by users' viewRule


def test_one_record_by_id_and_a_filter(world: World, sockets: Any) -> None:
    post = world.create("gq_posts", {"title": "watched", "public": True})
    guest = sockets()
    guest.subscribe(
        "id",
        "subscription ($id: ID) { gq_posts(id: $id) { action record { title } } }",
        id=post["id"],
    )
    guest.subscribe(
        "f", "subscription { gq_posts(filter: \"title = 'match'\") { action record { title } } }"
    )
    settle(guest)
    world.api.ok(
        "PATCH",
        f"/api/collections/gq_posts/records/{post['id']}",
        {"title": "watched 2"},
        token=world.superuser,
    )
    world.create("gq_posts", {"title": "match", "public": True})
    world.create("gq_posts", {"title": "other", "public": True})
    got = {(e["id"], e["payload"]["data"]["gq_posts"]["record"]["title"]) for e in guest.quiet()}
    assert got == {("id", "watched 2"), ("f", "match")}


def test_updates_and_deletes_are_checked_against_the_event_row(world: World, sockets: Any) -> None:
    """A post made private is no longer sent to the guest; its delete neither, while the
    owner (whose it is) gets both; the token may come in the URL, as on /api/ws."""
    post = world.create(
        "gq_posts", {"title": "soon private", "public": True, "owner": world.owner_id}
    )
    guest = sockets()
    owner = Socket(world.base, url_token=world.owner)
    owner.init()
    try:
        for socket in (guest, owner):
            socket.subscribe("1", "subscription { gq_posts { action record { id title } } }")
        settle(guest, owner)
        url = f"/api/collections/gq_posts/records/{post['id']}"
        world.api.ok("PATCH", url, {"public": False}, token=world.superuser)
        world.api.ok("DELETE", url, None, token=world.superuser)
        actions = [e["payload"]["data"]["gq_posts"]["action"] for e in owner.quiet()]
        assert actions == ["update", "delete"]
        assert guest.quiet() == []
    finally:
        owner.ws.close()


def test_a_schema_change_revalidates_running_subscriptions(world: World, sockets: Any) -> None:
    spec = {
        "name": "gq_changing",
        **OPEN,
        "fields": [{"name": "title", "type": "text"}, {"name": "note", "type": "text"}],
    }
    made = world.api.ok("POST", "/api/collections", spec, token=world.superuser)
    guest = sockets()
    guest.subscribe("t", "subscription { gq_changing { record { title } } }")
    guest.subscribe("n", "subscription { gq_changing { record { note } } }")
    settle(guest)
    world.create("gq_changing", {"title": "one", "note": "a"})
    first = {e["id"]: e["payload"]["data"]["gq_changing"]["record"] for e in guest.quiet()}
    assert first == {"t": {"title": "one"}, "n": {"note": "a"}}
    kept = [f for f in made["fields"] if f["name"] != "note"]
    world.api.ok("PATCH", "/api/collections/gq_changing", {"fields": kept}, token=world.superuser)
    world.create("gq_changing", {"title": "two"})
    world.create("gq_changing", {"title": "three"})
    events = guest.quiet()
    # the subscription reading the removed field ends with an error; the other goes on
    by_id: dict[str, list[Any]] = {}
    for event in events:
        by_id.setdefault(event["id"], []).append(event)
    assert [e["type"] for e in by_id["n"]] == ["error"]
    assert "note" in by_id["n"][0]["payload"][0]["message"]
    assert [e["payload"]["data"]["gq_changing"]["record"]["title"] for e in by_id["t"]] == [
        "two",
        "three",
    ]


def test_complete_stops_the_events(world: World, sockets: Any) -> None:
    guest = sockets()
    guest.subscribe("1", FEED)
    settle(guest)
    guest.send(type="complete", id="1")
    settle(guest)
    world.create("gq_posts", {"title": "after", "public": True})
    assert guest.quiet() == []


def test_locked_collections_and_bad_filters_are_refused_up_front(
    world: World, sockets: Any
) -> None:
    guest = sockets()
    guest.subscribe("1", "subscription { gq_locked { action } }")
    error = guest.next()
    assert error["type"] == "error" and error["id"] == "1"
    assert error["payload"][0]["extensions"]["status"] == 403
    guest.subscribe("2", 'subscription { gq_posts(filter: "nope ~") { action } }')
    assert guest.next()["payload"][0]["extensions"]["status"] == 400
    guest.subscribe("3", "subscription { gq_posts { nope } }")
    assert guest.next()["type"] == "error"
    root = sockets(world.superuser)
    root.subscribe("1", "subscription { gq_locked { action record { title } } }")
    settle(root)
    world.create("gq_locked", {"title": "only root"})
    assert root.next()["payload"]["data"]["gq_locked"]["record"]["title"] == "only root"
    assert guest.quiet() == []


def test_queries_and_mutations_over_the_socket(world: World, sockets: Any) -> None:
    guest = sockets()
    guest.subscribe("q", "{ gq_postsList(perPage: 1) { perPage } }")
    assert guest.next() == {
        "type": "next",
        "id": "q",
        "payload": {"data": {"gq_postsList": {"perPage": 1}}},
    }
    assert guest.next() == {"type": "complete", "id": "q"}


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }"}}], 4401),
        (["{nope"], 4400),
        ([{"type": "connection_ack"}], 4400),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "connection_init", "payload": {"Authorization": "bad-token"}}], 4403),
    ],
)
def test_protocol_errors_close_with_the_protocol_codes(
    sockets: Any, messages: list[Any], code: int
) -> None:
    socket = sockets(init=False)
    for message in messages:
        socket.ws.send(message if isinstance(message, str) else json.dumps(message))
    assert socket.closed_with() == code


def test_duplicate_operation_id_closes(world: World, sockets: Any) -> None:
    guest = sockets()
    guest.subscribe("1", FEED)
    guest.subscribe("1", FEED)
    assert guest.closed_with() == 4409


def test_the_subprotocol_is_required(world: World) -> None:
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        socket = Socket(world.base, subprotocols=["graphql-ws"])
        socket.ws.recv(timeout=10)
