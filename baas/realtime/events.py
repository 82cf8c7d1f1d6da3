"""What goes onto the realtime bus: record changes, and messages server code sends.

``record_changed`` fires after the commit, from every write path (REST, batch,
cascades, truncate, commands); each event is published once, to every process
that serves realtime. Publishing never raises into the write (``bus.publish``).
"""

from __future__ import annotations

from typing import Any

from baas.collections.models import Collection
from baas.realtime import bus


def on_record_changed(
    sender: Any, collection: Collection, action: str, record: dict[str, Any], **kwargs: Any
) -> None:
    # Password hashes never travel; ``tokenKey`` does: a change of it drops the
    # subscribers' auth (wire-api §6.2).
    secret = {f["name"] for f in collection.fields if f["type"] == "password"}
    row = {k: ("" if k in secret else v) for k, v in record.items()}
    bus.publish({"k": "record", "c": collection.id, "n": collection.name, "a": action, "r": row})


def send_to_topic(topic: str, data: Any, client_id: str | None = None) -> None:
    """Send ``data`` as event ``topic`` to the clients subscribed to it (custom topics,
    ``@oauth2``); with ``client_id``, to that one client only. No rule check: the
    caller decides who may receive what it sends."""
    bus.publish({"k": "custom", "topic": topic, "data": data, "to": client_id})


def send_oauth2_result(state: str, data: dict[str, Any]) -> None:
    """wire-api §4.3: the ``/api/oauth2-redirect`` bridge pushes ``{state, code, error?}``
    to the realtime client whose id is ``state``."""
    send_to_topic("@oauth2", data, client_id=state)
