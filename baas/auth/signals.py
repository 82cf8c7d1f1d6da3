"""Keeping the auth side tables in step with auth records."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from baas.collections.models import Collection

# system collections that point at an auth record through collectionRef/recordRef
SIDE_TABLES = ("_externalAuths", "_authOrigins", "_mfas", "_otps")


def on_record_changed(
    sender: Any, collection: Collection, action: str, record: dict[str, Any], **kwargs: Any
) -> None:
    """A deleted auth record takes its links, origins, MFA/OTP sessions and factors along."""
    if action != "delete" or not collection.is_auth:
        return
    from baas.auth import records
    from baas.auth.models import SecondFactor

    for name in SIDE_TABLES:
        side = Collection.objects.filter(name=name).first()
        if side is None:
            continue
        for row in records.find_where(side, collectionRef=collection.id, recordRef=record["id"]):
            records.delete(side, row["id"])
    SecondFactor.objects.filter(collection_id=collection.id, record_id=record["id"]).delete()


# kwargs: collection, record (full row), method ("password", "otp", "oauth2", …)
signed_in = Signal()


def emit_signed_in(collection: Collection, record: dict[str, Any], method: str) -> None:
    """A successful sign-in, announced once its transaction commits (baas.webhooks)."""
    snapshot = dict(record)
    transaction.on_commit(
        lambda: signed_in.send(
            sender=Collection, collection=collection, record=snapshot, method=method
        ),
        robust=True,
    )
