"""Background work of the auth flows (Celery; eager when embedded and in tests)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

log = logging.getLogger("baas.auth")


@shared_task(name="baas.auth.send_auth_email", ignore_result=True)
def send_auth_email(
    kind: str, collection_id: str, record_id: str, extra: dict[str, Any] | None = None
) -> bool:
    """Send one auth email; ids in, the record is loaded fresh (STYLE §8)."""
    from baas.auth import mail, records

    found = records.load(collection_id, record_id)
    if found is None:
        return False
    collection, record = found
    try:
        mail.send(collection, record, kind, extra or {})
    except Exception:  # an unreachable SMTP server must not fail the request (wire-api §4.2)
        log.exception("sending the %s email for %s/%s failed", kind, collection_id, record_id)
        return False
    return True


def queue_auth_email(
    kind: str, collection_id: str, record_id: str, extra: dict[str, Any] | None = None
) -> None:
    # robust: a broker that is down is logged, never a 500 for a write already committed
    transaction.on_commit(
        lambda: send_auth_email.delay(kind, collection_id, record_id, extra or {}), robust=True
    )
