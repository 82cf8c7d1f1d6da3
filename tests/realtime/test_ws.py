"""``/api/ws``: record topics, broadcast channels and presence (docs/realtime.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect


class Socket:
    """A WebSocket client that reads JSON messages, with a timeout."""

    def __init__(self, base: str, token: str | None = None):
        url = base.replace("http://", "ws://") + "/api/ws" + (f"?token={token}" if token else "")
        self.ws: ClientConnection = connect(url, open_timeout=10)
        self.hello = self.next()
        assert self.hello["type"] == "hello"
        self.id = self.hello["clientId"]

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def ask(self, **message: Any) -> dict[str, Any]:
        """Send with a ``ref`` and return the reply that carries it (other messages are kept)."""
        message.setdefault("ref", 1)
        self.send(**message)
        while True:
            reply = self.next()
            if reply.get("ref") == message["ref"]:
                return reply

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def quiet(self, within: float = 0.8) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.next(within))
            except TimeoutError:
                return found

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def sockets(world) -> Iterator[Any]:
    made: list[Socket] = []

    def make(token: str | None = None) -> Socket:
        socket = Socket(world.base, token)
        made.append(socket)
        return socket

    yield make
    for socket in made:
        socket.close()


def test_hello_ping_and_bad_messages(sockets):
    ws = sockets()
    assert re.fullmatch(r"[A-Za-z0-9]{40}", ws.id)
    assert ws.ask(type="ping", ref="p") == {"type": "pong", "ref": "p"}
    ws.ws.send("{nope")
    assert ws.next() == {"type": "error", "status": 400, "message": "Invalid JSON."}
    assert ws.ask(type="frobnicate")["status"] == 400


def test_record_topics_are_rule_checked_like_sse(world, sockets):
    root, guest = sockets(world.superuser), sockets()
    assert root.ask(type="subscribe", topics=["rt_notes/*"])["type"] == "ok"
    assert guest.ask(type="subscribe", topics=["rt_notes/*"])["type"] == "ok"
    note = world.api.create("rt_notes", {"title": "ws", "owner": world.owner_id})
    event = root.next()
    assert event["type"] == "event"
    assert event["topic"] == "rt_notes/*"
    assert event["data"]["action"] == "create"
    assert event["data"]["record"]["id"] == note["id"]
    assert guest.quiet() == []


def test_auth_by_message_follows_the_sse_rules(world, sockets):
    ws = sockets()
    assert ws.ask(type="auth", token=world.owner)["auth"]["id"] == world.owner_id
    assert ws.ask(type="auth", token=world.other)["status"] == 403
    assert ws.ask(type="auth", token="not-a-token")["status"] == 400


JOIN_RULES = [
    # (who, channel, allowed)
    ("guest", "lobby", False),
    ("owner", "lobby", True),
    ("owner", "rt_notes/{note}", True),
    ("other", "rt_notes/{note}", False),
    ("superuser", "rt_notes/{note}", True),
]


@pytest.mark.parametrize("who, channel, allowed", JOIN_RULES)
def test_who_may_join_a_channel(world, sockets, who, channel, allowed):
    note = world.api.create("rt_notes", {"title": "room", "owner": world.owner_id})
    ws = sockets(getattr(world, who) if who != "guest" else None)
    reply = ws.ask(type="join", channel=channel.format(note=note["id"]))
    assert (reply["type"] == "joined") is allowed, reply
    if not allowed:
        assert reply["status"] == 403


def test_presence_join_broadcast_leave(world, sockets):
    alice, bob = sockets(world.owner), sockets(world.other)
    joined = alice.ask(type="join", channel="room-1", meta={"name": "alice"})
    assert [m["meta"] for m in joined["members"]] == [{"name": "alice"}]
    joined = bob.ask(type="join", channel="room-1", meta={"name": "bob"})
    assert sorted(m["meta"]["name"] for m in joined["members"]) == ["alice", "bob"]
    seen = alice.next()
    assert seen["type"] == "presence" and seen["event"] == "join"
    assert seen["member"]["auth"]["id"] == world.other_id
    bob.send(type="broadcast", channel="room-1", data={"text": "hi"})
    message = alice.next()
    assert message == {
        "type": "broadcast",
        "channel": "room-1",
        "from": seen["member"],
        "data": {"text": "hi"},
    }
    assert bob.quiet() == []  # a broadcast is not echoed to its sender
    state = alice.ask(type="presence", channel="room-1")
    assert len(state["members"]) == 2
    bob.close()  # a disconnect leaves every channel
    left = alice.next()
    assert (left["event"], left["member"]["id"]) == ("leave", bob.id)


def test_broadcast_needs_membership(world, sockets):
    ws = sockets(world.owner)
    assert ws.ask(type="broadcast", channel="room-2", data=1)["status"] == 403
    assert ws.ask(type="presence", channel="room-2")["status"] == 403
