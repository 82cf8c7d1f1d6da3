"""Celery tasks of the periodic jobs (``crons``); ids in, nothing heavy passed around."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from celery import shared_task

from baas.api.errors import ApiError

log = logging.getLogger("baas.backups")


@shared_task(name="baas.backups.tick", ignore_result=True)
def tick() -> list[str]:
    from baas.backups import crons

    return crons.tick(datetime.now(UTC))


@shared_task(name="baas.backups.auto_backup", ignore_result=True)
def auto_backup() -> str | None:
    """``backups.cron``: an ``@auto_pb_backup_…`` archive, then ``cronMaxKeep`` of them kept."""
    from baas.backups.service import AUTO_PREFIX, BackupService
    from baas.settings_api.service import current

    key = None
    try:
        key = BackupService().create(prefix=AUTO_PREFIX)
    except ApiError as exc:
        log.error("scheduled backup failed: %s", exc.message)
    prune_auto_backups(int(current()["backups"]["cronMaxKeep"]))
    return key


def prune_auto_backups(keep: int) -> list[str]:
    """Delete all but the ``keep`` newest automatic backups (the peer's rule); their keys."""
    from baas.backups.service import AUTO_PREFIX
    from baas.backups.store import backup_store

    if keep <= 0:
        return []
    store = backup_store()
    autos = [item for item in store.entries() if item.key.startswith(AUTO_PREFIX)]
    autos.sort(key=lambda item: (item.modified, item.key), reverse=True)
    removed = []
    for item in autos[keep:]:
        try:
            store.delete(item.key)
            removed.append(item.key)
        except Exception:
            log.exception("could not remove the old automatic backup %s", item.key)
    return removed


@shared_task(name="baas.backups.cleanup_logs", ignore_result=True)
def cleanup_logs() -> int:
    """Request logs older than ``logs.maxDays`` go (the peer's ``__pbLogsCleanup__``).

    The log writer also prunes as it flushes; this job covers quiet instances.
    """
    from baas.logs.models import RequestLog
    from baas.settings_api.service import current

    days = int(current()["logs"]["maxDays"])
    cutoff = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
    deleted, _ = RequestLog.objects.filter(created__lt=cutoff).delete()
    return deleted
