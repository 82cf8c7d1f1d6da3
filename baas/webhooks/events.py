"""Which webhooks an event fires, and their payloads (after commit, never blocking)."""

from __future__ import annotations

import logging
from typing import Any

from baas.collections.models import Collection

log = logging.getLogger("baas.webhooks")


def on_record_changed(
    sender: Any, collection: Collection, action: str, record: dict[str, Any], **kwargs: Any
) -> None:
    from baas.webhooks.service import fire_record_event

    try:
        fire_record_event(collection, action, record)
    except Exception:  # after commit: the write stands; a webhook problem is only logged
        log.exception("webhooks for %s %s failed to queue", collection.name, action)


def on_signed_in(
    sender: Any, collection: Collection, record: dict[str, Any], method: str, **kwargs: Any
) -> None:
    from baas.webhooks.service import fire_auth_event

    try:
        fire_auth_event("auth.signin", collection, record, {"method": method})
    except Exception:  # the sign-in stands; a webhook problem is only logged
        log.exception("auth.signin webhooks for %s failed to queue", collection.name)
