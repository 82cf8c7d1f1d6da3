"""Which webhooks an event fires, and their payloads (after commit, never blocking)."""

from __future__ import annotations

from typing import Any

from baas.collections.models import Collection


def on_record_changed(
    sender: Any, collection: Collection, action: str, record: dict[str, Any], **kwargs: Any
) -> None:
    from baas.webhooks.service import fire_record_event

    fire_record_event(collection, action, record)
