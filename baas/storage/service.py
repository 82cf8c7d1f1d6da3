"""FileService: storing uploads for record writes without orphans or losses (DESIGN §9).

- New files are stored while the write is prepared and deleted again if it fails.
- Files a write replaces or removes, and a deleted record's folder, are deleted only
  after the transaction commits (``transaction.on_commit``).
- A write that succeeded inside an outer transaction that later rolls back (a batch)
  gets no ``failed`` call. Its new files stay *pending* on this thread, tied to the
  commit hook that would confirm them; once Django has dropped that hook (a rollback
  of the transaction or of the savepoint it was made in), the files are deleted: by
  ``abandoned`` (the batch's rollback), at the end of the request, or at the next write.
- The periodic sweep (``tasks.sweep_orphans``) is the backstop for a crash in between.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from baas.api.errors import field_error
from baas.collections.models import Collection
from baas.collections.records.payload import Submission
from baas.storage import names, plan, serving
from baas.storage.backends import adapter, reaching_storage

log = logging.getLogger("baas.storage")


@dataclass
class Changes:
    """What one record write did to storage, until it commits or fails."""

    saved: list[str] = field(default_factory=list)  # storage paths written
    removed: list[str] = field(default_factory=list)  # stored paths to delete after commit


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.changes: dict[int, Changes] = {}  # id(row) -> changes of a write in progress
        # saved path -> the commit hook that confirms it (None until the row is written)
        self.pending: dict[str, Callable[[], None] | None] = {}


_state = _ThreadState()


def file_fields(collection: Collection) -> list[dict[str, Any]]:
    return [f for f in collection.fields if f["type"] == "file"]


class FileService:
    # ---- record writes (called by steps.FileStep) ------------------------------------
    def prepare(
        self,
        collection: Collection,
        submission: Submission,
        row: dict[str, Any],
        existing: dict[str, Any] | None,
        errors: dict[str, Any],
    ) -> None:
        discard_abandoned()
        plans: dict[str, plan.FieldPlan] = {}
        for field_def in file_fields(collection):
            if not plan.is_touched(field_def, submission):
                continue
            current = existing.get(field_def["name"]) if existing else None
            field_plan, error = plan.plan_field(field_def, submission, current)
            if error is not None:
                errors[field_def["name"]] = error
            elif field_plan is not None:
                plans[field_def["name"]] = field_plan
        if not plans or errors:
            return  # the write fails anyway: store nothing
        record_id = str(row.get("id") or "")
        if not names.is_safe_id(record_id) or not names.is_safe_id(collection.id):
            errors["id"] = field_error("validation_invalid_format", "Invalid value format.")
            return
        changes = Changes()
        _state.changes[id(row)] = changes
        for field_def in file_fields(collection):
            field_plan = plans.get(field_def["name"])
            if field_plan is not None:
                self._apply(collection.id, record_id, field_def, field_plan, row, changes)

    def _apply(
        self,
        collection_id: str,
        record_id: str,
        field_def: dict[str, Any],
        field_plan: plan.FieldPlan,
        row: dict[str, Any],
        changes: Changes,
    ) -> None:
        value = list(field_plan.value)
        for upload in field_plan.uploads:
            path = names.file_path(collection_id, record_id, upload.name)
            upload.file.content_type = upload.mime  # S3 keeps it: no sniffing on download
            with reaching_storage("saving an upload"):
                target = adapter()
                stored = target.save(path, upload.file)
                serving.record_upload(target, stored, upload.mime)  # downloads skip libmagic
            _track(stored)
            changes.saved.append(stored)
            final = stored.rsplit("/", 1)[-1]  # the storage may pick another free name
            value = [final if item == upload.name else item for item in value]
        changes.removed += [
            names.file_path(collection_id, record_id, n) for n in field_plan.removed
        ]
        multi = (field_def.get("maxSelect") or 0) > 1
        row[field_def["name"]] = value if multi else (value[-1] if value else "")

    def written(self, collection: Collection, row: dict[str, Any]) -> None:
        changes = _state.changes.pop(id(row), None)
        if changes is None:
            return
        saved, removed = list(changes.saved), list(changes.removed)

        def confirm() -> None:
            _committed(saved, removed)

        for path in saved:
            _state.pending[path] = confirm
        transaction.on_commit(confirm, robust=True)

    def failed(self, collection: Collection, row: dict[str, Any]) -> None:
        changes = _state.changes.pop(id(row), None)
        if changes is not None:
            delete_now(changes.saved)

    def deleted(self, collection: Collection, row: dict[str, Any]) -> None:
        if not file_fields(collection) or not names.is_safe_id(str(row.get("id", ""))):
            return
        folder = names.record_dir(collection.id, row["id"])
        transaction.on_commit(lambda: queue_deletion([], [folder]), robust=True)

    def collection_deleted(self, collection: Collection) -> None:
        """Sent after the collection's delete committed: its whole folder goes."""
        if names.is_safe_id(collection.id):
            queue_deletion([], [collection.id])


# ---- pending paths and deletion --------------------------------------------------------


def _track(path: str) -> None:
    _state.pending[path] = None  # in flight: ``written`` or ``failed`` comes next


def _committed(saved: list[str], removed: list[str]) -> None:
    for path in saved:
        _state.pending.pop(path, None)
    prefixes = []
    for path in removed:
        folder, _, filename = path.rpartition("/")
        prefixes.append(f"{folder}/{names.THUMBS_PREFIX}{filename}")
    if removed:
        queue_deletion(removed, prefixes)


def discard_abandoned() -> None:
    """Delete saved files whose commit hook Django dropped in a rollback (see module doc).

    Django keeps the hooks of the open transaction in ``connection.run_on_commit`` and
    removes those of a rolled-back savepoint, so a hook missing there will never run.
    """
    if not _state.pending:
        return
    live = {id(entry[1]) for entry in connection.run_on_commit}
    abandoned = [p for p, hook in _state.pending.items() if hook is None or id(hook) not in live]
    if abandoned:
        log.info("deleting %d file(s) of a rolled-back write", len(abandoned))
        delete_now(abandoned)


def delete_now(paths: list[str], prefixes: list[str] | None = None) -> None:
    """Delete now; a failure is logged (the sweep retries later), never raised."""
    for path in paths:
        _state.pending.pop(path, None)
    try:
        target = adapter()
        for path in paths:
            target.delete(path)
        for prefix in prefixes or []:
            target.delete_prefix(prefix)
    except Exception:
        log.exception("could not delete %s %s; the sweep will retry", paths, prefixes or [])


def queue_deletion(paths: list[str], prefixes: list[str]) -> None:
    """Hand deletion to a Celery task (in-process when embedded); inline if the queue fails."""
    from baas.storage.tasks import delete_files

    try:
        delete_files.delay(paths, prefixes)
    except Exception:
        log.warning("could not queue file deletion; deleting inline", exc_info=True)
        delete_now(paths, prefixes)
