"""One connected realtime client (an SSE stream or a WebSocket) and its bounded queue."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from baas.auth.context import GUEST, AuthContext
from baas.realtime.subscriptions import Subscription

QUEUE_SIZE = 1000  # messages waiting for one client; past that it is too slow and dropped

# What a transport sends: (event name, JSON data) for a subscription's event, or
# (None, frame) for a transport-specific frame that is sent as it is.
Outgoing = tuple[str | None, bytes]


@dataclass(eq=False)
class Client:
    id: str
    ip: str
    kind: str = "sse"  # "sse" | "ws"
    auth: AuthContext = GUEST
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # key -> parsed
    created: float = field(default_factory=time.monotonic)
    queue: asyncio.Queue[Outgoing] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    dropped_as_slow: bool = False
    task: asyncio.Task | None = None  # the transport's task, cancelled by close()

    def push(self, item: Outgoing) -> None:
        """Queue ``item``; a client whose queue is full is disconnected, never waited for."""
        if self.gone.is_set():
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped_as_slow = True
            self.close()

    def close(self) -> None:
        if not self.gone.is_set():
            self.gone.set()
            if self.task is not None and self.task is not asyncio.current_task():
                self.task.cancel()

    def by_topic(self, topic: str) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if s.topic == topic]

    @property
    def auth_identity(self) -> tuple[str, str] | None:
        return identity(self.auth)


def identity(auth: AuthContext) -> tuple[str, str] | None:
    """Who an auth is (auth collection, record id); None for a guest."""
    if auth.record is None or auth.collection is None:
        return None
    return auth.collection.id, auth.id
