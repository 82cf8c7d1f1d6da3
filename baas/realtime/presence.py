"""Broadcast channels and presence for the WebSocket feed, across processes.

Each process knows every member of every channel: its own (the connections it
holds) and the others' (learned from the bus). A join, a leave and a broadcast
are one bus message each; every process then tells its own members. Processes
also announce their full member list every ``ALIVE_EVERY`` seconds (and when they
start, on request), so a process that died without saying goodbye has its
members dropped after ``ALIVE_EXPIRY`` seconds, with leave events.

Who may join (docs/realtime.md): a channel named ``<collection>/<recordId>`` is open
to those who may view that record (its viewRule, through the record service, with
``@request.context = "realtime"``); any other name to signed-in users, and to guests
too when ``BAAS_REALTIME_GUEST_CHANNELS`` is on. Superusers may join any channel; an
API key limited to some collections or actions joins a record's channel only where its
scope lets it view that record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings

from baas.auth.context import AuthContext
from baas.realtime import bus

if TYPE_CHECKING:
    from baas.realtime.clients import Client
    from baas.realtime.hub import Hub

ALIVE_EVERY = 15.0
ALIVE_EXPIRY = 45.0
MAX_CHANNEL_LENGTH = 255
MAX_META_BYTES = 2048
MAX_CHANNELS_PER_CLIENT = 100


def member_of(client: Client, meta: Any) -> dict[str, Any]:
    auth = None
    if client.auth.record is not None and client.auth.collection is not None:
        auth = {
            "id": client.auth.id,
            "collectionId": client.auth.collection.id,
            "collectionName": client.auth.collection.name,
        }
    return {"id": client.id, "auth": auth, "meta": meta}


def may_join(auth: AuthContext, channel: str) -> bool:
    """Sync (database): the channel rule above."""
    from django.db import close_old_connections

    from baas.collections.models import Collection
    from baas.collections.records.service import Call, RecordService

    scoped = auth.scopes is not None and bool(auth.scopes.collections or auth.scopes.actions)
    if auth.is_superuser and not scoped:
        return True
    name, slash, record_id = channel.partition("/")
    if slash and record_id and "/" not in record_id:
        close_old_connections()
        collection = (
            Collection.objects.filter(name=name).first()
            or Collection.objects.filter(id=name).first()
        )
        if collection is not None:
            if not auth.allows(collection, "view"):
                return False  # an API key's scope, as for the record itself
            call = Call(viewer=auth, context="realtime")
            return record_id in RecordService().visible_ids(collection, [record_id], call)
    return not auth.is_guest or bool(getattr(settings, "BAAS_REALTIME_GUEST_CHANNELS", False))


class Presence:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        # channel -> member id -> (process id, member)
        self.members: dict[str, dict[str, tuple[str, dict[str, Any]]]] = defaultdict(dict)
        self.local: dict[str, dict[str, Client]] = defaultdict(dict)  # channel -> id -> client
        self.joined: dict[str, set[str]] = defaultdict(set)  # client id -> channels
        self.alive: dict[str, float] = {}
        hub.handlers.update(
            {
                "ws.join": self._on_join,
                "ws.leave": self._on_leave,
                "ws.msg": self._on_message,
                "ws.alive": self._on_alive,
                "ws.sync": lambda message: self.announce(),
            }
        )

    # ---- this process's members --------------------------------------------------------
    def join(self, client: Client, channel: str, meta: Any) -> list[dict[str, Any]]:
        member = member_of(client, meta)
        self.local[channel][client.id] = client
        self.joined[client.id].add(channel)
        self._add(channel, self.hub.process_id, member)
        bus.publish({"k": "ws.join", "channel": channel, "member": member})
        return self.who(channel)

    def leave(self, client: Client, channel: str) -> None:
        if channel not in self.joined.get(client.id, ()):
            return
        self.joined[client.id].discard(channel)
        if not self.joined[client.id]:
            del self.joined[client.id]
        self.local[channel].pop(client.id, None)
        if not self.local[channel]:
            del self.local[channel]
        self._remove(channel, client.id)
        bus.publish({"k": "ws.leave", "channel": channel, "id": client.id})

    def leave_all(self, client: Client) -> None:
        for channel in list(self.joined.get(client.id, ())):
            self.leave(client, channel)

    def send(self, client: Client, channel: str, data: Any) -> bool:
        if channel not in self.joined.get(client.id, ()):
            return False
        member = self.members[channel].get(client.id, ("", member_of(client, None)))[1]
        bus.publish({"k": "ws.msg", "channel": channel, "from": member, "data": data})
        return True

    def who(self, channel: str) -> list[dict[str, Any]]:
        return [member for _, member in self.members.get(channel, {}).values()]

    def channels_of(self, client: Client) -> set[str]:
        return self.joined.get(client.id, set())

    # ---- the view of everyone ---------------------------------------------------------------
    def _add(self, channel: str, process_id: str, member: dict[str, Any]) -> None:
        if process_id != self.hub.process_id:
            self.alive.setdefault(process_id, time.monotonic())
        known = member["id"] in self.members[channel]
        self.members[channel][member["id"]] = (process_id, member)
        if not known:
            self._tell(
                channel,
                {"type": "presence", "channel": channel, "event": "join", "member": member},
                skip=member["id"],
            )

    def _remove(self, channel: str, member_id: str) -> None:
        found = self.members.get(channel, {}).pop(member_id, None)
        if not self.members.get(channel):
            self.members.pop(channel, None)
        if found is not None:
            event = {"type": "presence", "channel": channel, "event": "leave", "member": found[1]}
            self._tell(channel, event, skip=member_id)

    def _tell(self, channel: str, event: dict[str, Any], skip: str = "") -> None:
        frame = orjson.dumps(event)
        for member_id, client in list(self.local.get(channel, {}).items()):
            if member_id != skip:
                client.push((None, frame))

    def _on_join(self, message: bus.Message) -> None:
        member = message.get("member")
        if isinstance(member, dict) and isinstance(member.get("id"), str):
            self._add(str(message.get("channel")), str(message.get("o")), member)

    def _on_leave(self, message: bus.Message) -> None:
        self._remove(str(message.get("channel")), str(message.get("id")))

    def _on_message(self, message: bus.Message) -> None:
        channel = str(message.get("channel"))
        sender = message.get("from") or {}
        event = {
            "type": "broadcast",
            "channel": channel,
            "from": sender,
            "data": message.get("data"),
        }
        self._tell(channel, event, skip=str(sender.get("id", "")))

    # ---- liveness -----------------------------------------------------------------------------
    def announce(self) -> None:
        members = {
            channel: [
                self.members[channel][cid][1] for cid in clients if cid in self.members[channel]
            ]
            for channel, clients in self.local.items()
        }
        bus.publish({"k": "ws.alive", "members": members})

    def _on_alive(self, message: bus.Message) -> None:
        process_id = str(message.get("o"))
        self.alive[process_id] = time.monotonic()
        announced = message.get("members") or {}
        current = {
            (channel, mid)
            for channel, held in self.members.items()
            for mid, (owner, _) in held.items()
            if owner == process_id
        }
        fresh = set()
        for channel, members in announced.items():
            for member in members:
                fresh.add((channel, member["id"]))
                self._add(channel, process_id, member)
        for channel, member_id in current - fresh:
            self._remove(channel, member_id)

    def expire(self) -> None:
        """Drop the members of processes that stopped announcing themselves."""
        now = time.monotonic()
        dead = {p for p, seen in self.alive.items() if now - seen > ALIVE_EXPIRY}
        for process_id in dead:
            del self.alive[process_id]
            self._on_alive({"o": process_id, "members": {}})

    def goodbye(self) -> None:
        bus.publish({"k": "ws.alive", "members": {}})
