"""Record change events, sent after the transaction commits (DESIGN §6, STYLE §8)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from baas.collections.models import Collection

# kwargs: collection, action ("create" | "update" | "delete"), record (full row)
record_changed = Signal()


def emit_after_commit(collection: Collection, action: str, row: dict[str, Any]) -> None:
    snapshot = dict(row)
    transaction.on_commit(
        lambda: record_changed.send(
            sender=Collection, collection=collection, action=action, record=snapshot
        )
    )
