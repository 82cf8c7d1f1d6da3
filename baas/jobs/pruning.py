"""Pruning the delivery logs: webhook deliveries and push notifications older than the
settings' ``webhooks.maxDays`` and ``push.maxDays`` (30 days by default; 0 keeps them).

Only settled rows go: a delivery still pending, or a notification with a device still
pending, stays whatever its age (at least once comes first). The jobs tick
(``baas.jobs.tick``: Celery beat with Redis, the embedded scheduler of ``baas serve``
otherwise) calls ``prune_if_due``, which prunes at most once an hour per process, the
first time on the process's first tick. Pruning twice is harmless: each run deletes
what is old by then, in batches, each batch's attempts and outcomes along.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

log = logging.getLogger("baas.jobs")

EVERY = 3600.0  # seconds between two prunes in one process
BATCH = 500

_last: float | None = None
_lock = threading.Lock()


def prune_if_due(clock: Callable[[], float] = time.monotonic) -> dict[str, int] | None:
    """Prune if this process has not in the last ``EVERY`` seconds; what was deleted."""
    global _last
    with _lock:
        now = clock()
        if _last is not None and now - _last < EVERY:
            return None
        _last = now
    try:
        return prune()
    except Exception:  # the tick's other work goes on; the next prune is an hour away
        log.exception("pruning the webhook and push logs failed")
        return None


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete what the retention settings no longer keep; the counts per log."""
    from baas.push.models import Notification, Outcome
    from baas.settings_api.service import current
    from baas.webhooks.models import Delivery

    settings = current()
    moment = now or timezone.now()
    counts = {"webhooks": 0, "push": 0}
    cutoff = _cutoff(settings["webhooks"]["maxDays"], moment)
    if cutoff is not None:
        old = Delivery.objects.filter(created__lt=cutoff).exclude(status=Delivery.PENDING)
        counts["webhooks"] = _delete(old)
    cutoff = _cutoff(settings["push"]["maxDays"], moment)
    if cutoff is not None:
        old_notes = Notification.objects.filter(created__lt=cutoff).exclude(
            outcomes__status=Outcome.PENDING
        )
        counts["push"] = _delete(old_notes)
    if any(counts.values()):
        log.info("pruned %(webhooks)d webhook deliveries and %(push)d push notifications", counts)
    return counts


def _cutoff(days: int, moment: datetime) -> datetime | None:
    return moment - timedelta(days=days) if days > 0 else None


def _delete(found: QuerySet[Any]) -> int:
    deleted = 0
    while True:
        ids = list(found.order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        found.model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)


def forget() -> None:
    """The next ``prune_if_due`` prunes (tests)."""
    global _last
    _last = None
