"""Background file work (Celery; in-process when embedded and in tests).

``delete_files`` runs after a commit (see ``service``). ``sweep_orphans`` is the
periodic backstop (``CELERY_BEAT_SCHEDULE`` in settings): it deletes what a crash or
a lost task left behind: folders of records or collections that no longer exist,
files a record no longer references, and thumbs of files that are gone. Anything
younger than the grace period is left alone: it may belong to a write in flight.
"""

from __future__ import annotations

import logging
import posixpath
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from baas.storage import names
from baas.storage.backends import Adapter, adapter

log = logging.getLogger("baas.storage")

DEFAULT_SWEEP_GRACE = 3600


@shared_task(name="baas.storage.delete_files", ignore_result=True)
def delete_files(paths: list[str], prefixes: list[str]) -> None:
    from baas.storage.service import delete_now

    delete_now(paths, prefixes)


@shared_task(name="baas.storage.sweep_orphans", ignore_result=True)
def sweep_orphans(grace_seconds: int | None = None) -> dict[str, int]:
    grace = (
        grace_seconds
        if grace_seconds is not None
        else int(getattr(settings, "BAAS_STORAGE_SWEEP_GRACE", DEFAULT_SWEEP_GRACE))
    )
    sweeper = Sweeper(adapter(), datetime.now(UTC) - timedelta(seconds=grace))
    sweeper.run()
    if sweeper.counts["files"] or sweeper.counts["folders"]:
        log.info("file sweep removed %s", sweeper.counts)
    return sweeper.counts


class Sweeper:
    def __init__(self, target: Adapter, cutoff: datetime):
        self.target = target
        self.cutoff = cutoff
        self.counts = {"files": 0, "folders": 0}

    def run(self) -> None:
        from baas.collections.models import Collection

        collections = {c.id: c for c in Collection.objects.all()}
        top, _ = self.target.listdir("")
        for collection_id in top:
            if names.is_safe_id(collection_id):
                self.sweep_collection(collection_id, collections.get(collection_id))

    def sweep_collection(self, collection_id: str, collection: Any) -> None:
        record_ids, loose_files = self.target.listdir(collection_id)
        if collection is None and loose_files:
            return  # not a folder of ours: collection folders hold record folders only
        existing: set[str] = set()
        if collection is not None and not collection.is_view:
            from baas.collections.records import store

            existing = store.existing_ids(
                collection_id, [r for r in record_ids if names.is_safe_id(r)]
            )
        for record_id in record_ids:
            if not names.is_safe_id(record_id):
                continue
            referenced = self.referenced(collection, record_id) if record_id in existing else set()
            self.sweep_record(f"{collection_id}/{record_id}", referenced)

    def referenced(self, collection: Any, record_id: str) -> set[str]:
        from baas.collections.fields.multi import as_list
        from baas.collections.records import rows

        row = rows.fetch_one(collection, record_id) or {}
        found: set[str] = set()
        for field in collection.fields:
            if field["type"] == "file":
                found |= set(as_list(row.get(field["name"])))
        return found

    def sweep_record(self, folder: str, referenced: set[str]) -> None:
        directories, files = self.target.listdir(folder)
        for filename in files:
            path = posixpath.join(folder, filename)
            if filename not in referenced and self.is_old(path):
                self.target.delete(path)
                self.counts["files"] += 1
        for directory in directories:
            original = directory.removeprefix(names.THUMBS_PREFIX)
            if directory.startswith(names.THUMBS_PREFIX) and original not in referenced:
                self.target.delete_prefix(posixpath.join(folder, directory))
                self.counts["folders"] += 1

    def is_old(self, path: str) -> bool:
        stat = self.target.stat(path)
        return stat is not None and stat.modified is not None and stat.modified < self.cutoff
