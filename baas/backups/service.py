"""BackupService: making, uploading and deleting backups (wire-api §7.5; restores: ``restore``).

A backup is made while the app runs and writes go on, and must restore to records
that each have their files. Files are immutable (a replace stores a new name) and are
stored before the record that references them commits; they are deleted only after a
commit that dropped the reference. So:

1. every stored file known complete (older than ``UPLOAD_SETTLE``, or referenced by a
   committed record when the pass begins) is copied into the archive; other young
   ones (maybe local uploads still being written) are read aside (``files.Copier``);
2. the database is snapshotted (``database``: one consistent instant), which also
   yields every file path a record references at that instant;
3. the referenced files not in the archive yet go in: a file read aside if its size is
   unchanged (files are written once), else read now. Each is complete (its record
   committed), and only a commit after the snapshot can have deleted it meanwhile.

A referenced file missing in 3 means the archive would restore a record without its
file: it is made again, up to ``ATTEMPTS`` times (the window is only step 3). If files
are still missing and the live database still references them, the storage lost them
before the backup: the archive is made without them (logged). If records kept
changing, the backup fails (400) rather than store an inconsistent archive.

Files written after the snapshot may be in the archive with no record referencing
them: the storage sweep removes them after a restore. Errors follow the peer's messages.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError

from baas.api.errors import BadRequest, ServiceUnavailable, ValidationFailed, field_error
from baas.backups import database, files
from baas.backups.archive import ArchiveReader, ArchiveWriter, InvalidArchive
from baas.backups.state import ActiveOperation, Busy, active_key, backups_dir
from baas.backups.store import MAX_KEY, BackupInfo, backup_store, is_valid_key
from baas.storage.backends import StorageUnavailable, adapter, reaching_storage

log = logging.getLogger("baas.backups")

ATTEMPTS = 5
# Files younger than this may be uploads still being written: copied after the snapshot.
UPLOAD_SETTLE = 60
BUSY = "Try again later - another backup/restore process has already been started."
FORM = "An error occurred while validating the submitted data."
MANUAL_PREFIX = "pb_backup_"
AUTO_PREFIX = "@auto_pb_backup_"


def generate_name(prefix: str) -> str:
    """``<prefix><app name in snake_case>_<UTC yyyymmddhhmmss>.zip``, as the peer names them."""
    from baas.settings_api.service import current
    from baas.storage.names import snakecase

    app = snakecase(str(current()["meta"]["appName"]))[:50]
    return f"{prefix}{app}_{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}.zip"


def check_name(value: Any) -> str | None:
    """A name for ``POST /api/backups`` (the peer's rule: ``^[a-z0-9_-]+\\.zip$``, 1–150)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest("An error occurred while loading the submitted data.")
    if len(value) > MAX_KEY:
        raise ValidationFailed(
            FORM,
            {
                "name": field_error(
                    "validation_length_out_of_range", "The length must be between 1 and 150."
                )
            },
        )
    if not (value.endswith(".zip") and is_valid_key(value) and value == value.lower()):
        raise ValidationFailed(
            FORM, {"name": field_error("validation_match_invalid", "Must be in a valid format.")}
        )
    return value


class BackupService:
    def list(self) -> list[BackupInfo]:
        return store_call(lambda: backup_store().entries(), "Failed to retrieve backup items.")

    def create(self, name: str | None = None, prefix: str = MANUAL_PREFIX) -> str:
        key = name or generate_name(prefix)
        operation = _acquire(key)
        try:
            store = backup_store()
            if name and store_call(lambda: store.exists(key), "Failed to create backup."):
                raise ValidationFailed(
                    FORM,
                    {
                        "name": field_error(
                            "validation_backup_name_exists",
                            "The backup file name is invalid or already exists.",
                        )
                    },
                )
            archive = _failing_as("Failed to create backup.", build_archive)
            store_call(lambda: store.save(key, archive), "Failed to create backup.")
        finally:
            operation.release()
        log.info("backup created: %s", key)
        return key

    def upload(self, uploaded: UploadedFile | None) -> str:
        if uploaded is None:
            raise ValidationFailed(
                FORM, {"file": field_error("validation_required", "Cannot be blank.")}
            )
        key = (uploaded.name or "").rsplit("/", 1)[-1]
        if not is_valid_key(key):
            raise ValidationFailed(
                FORM,
                {"file": field_error("validation_match_invalid", "Invalid backup file name.")},
            )
        temp = backups_dir() / f".tmp-upload-{secrets.token_hex(6)}.zip"
        try:
            with open(temp, "wb") as out:
                for chunk in uploaded.chunks():
                    out.write(chunk)
            _check_upload(temp)
            store = backup_store()
            if store_call(lambda: store.exists(key), "Failed to upload backup."):
                raise ValidationFailed(
                    FORM,
                    {
                        "file": field_error(
                            "validation_backup_name_exists",
                            "Backup file with the specified name already exists.",
                        )
                    },
                )
            store_call(lambda: store.save(key, temp), "Failed to upload backup.")
        finally:
            temp.unlink(missing_ok=True)
        log.info("backup uploaded: %s", key)
        return key

    def delete(self, key: str) -> None:
        gone = "Invalid or already deleted backup file."
        if not is_valid_key(key):
            raise BadRequest(gone)
        if active_key() == key:
            raise BadRequest("The backup is currently being used and cannot be deleted.")
        store = backup_store()
        if not store_call(lambda: store.exists(key), gone):
            raise BadRequest(gone)
        store_call(lambda: store.delete(key), gone)


def _check_upload(path: Path) -> None:
    try:
        with ArchiveReader(path):
            pass
    except InvalidArchive as exc:
        log.info("refused backup upload: %s", exc)
        raise ValidationFailed(
            FORM,
            {
                "file": field_error(
                    "validation_invalid_mime_type",
                    "The file must be a baas backup (a zip made by POST /api/backups).",
                )
            },
        ) from None


def _acquire(key: str) -> ActiveOperation:
    try:
        return ActiveOperation.acquire(key)
    except Busy:
        raise BadRequest(BUSY) from None


def store_call(call: Any, message: str) -> Any:
    """A call to the backups store: an unreachable store is a 503, other failures a 400."""
    from botocore.exceptions import BotoCoreError

    try:
        return call()
    except (BadRequest, ValidationFailed, FileNotFoundError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise BadRequest(message) from None
        raise
    except (OSError, BotoCoreError) as exc:
        log.warning("backups store unavailable: %s", exc)
        raise StorageUnavailable() from exc
    except Exception:  # a refused request (credentials, bucket): the admin's to fix
        log.exception("backups store: %s", message)
        raise BadRequest(message) from None


def _outage_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    import psycopg

    return (DatabaseError, sqlite3.OperationalError, psycopg.OperationalError)


def _failing_as(message: str, call: Any) -> Any:
    """Our own failures become ``message`` (400); outages stay 503 (details: the log)."""
    try:
        return call()
    except (StorageUnavailable, ServiceUnavailable, BadRequest):
        raise
    except _outage_errors() as exc:
        log.warning("database unavailable during a backup: %s", exc)
        raise ServiceUnavailable() from exc
    except Exception:
        log.exception(message)
        raise BadRequest(message) from None


def build_archive() -> Path:
    """A finished archive in the backups directory (see the module doc for the steps)."""
    vendor = database.current_vendor()
    work = backups_dir()
    _remove_stale_temp_files(work)
    for attempt in range(1, ATTEMPTS + 1):
        token = secrets.token_hex(6)
        snapshot = work / f".tmp-db-{token}"
        target = work / f".tmp-{token}.zip"
        writer = ArchiveWriter(target, vendor.name)
        try:
            missing = _fill(writer, vendor, snapshot)
            if not missing:
                writer.close()
                return target
            writer.abort()
        except BaseException:
            writer.abort()
            raise
        finally:
            snapshot.unlink(missing_ok=True)
        log.info("backup attempt %d: %d referenced file(s) went away", attempt, len(missing))
    lost = missing & _referenced_now()
    if lost != missing:  # records kept changing under us: try again later
        raise BadRequest("Failed to create backup: the data kept changing; try again.")
    # Still referenced and still not stored: the storage lost them before the backup.
    log.warning("backup made without %d lost file(s): %s", len(lost), sorted(lost)[:20])
    return _archive_without(vendor, lost)


def _fill(writer: ArchiveWriter, vendor: Any, snapshot: Path) -> set[str]:
    """Settled files, the snapshot, then the referenced files not yet in; the referenced
    files that are gone (deleted since the snapshot)."""
    copier = files.Copier(adapter(), writer, backups_dir())
    try:
        complete = _referenced_now()  # their uploads finished before their records committed
        with reaching_storage("copying files into a backup"):
            copier.before_snapshot(datetime.now(UTC) - timedelta(seconds=UPLOAD_SETTLE), complete)
        referenced = vendor.snapshot(snapshot)
        writer.add_database(snapshot)
        with reaching_storage("copying files into a backup"):
            return copier.after_snapshot(referenced)
    finally:
        copier.close()


def _referenced_now() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return database.referenced_files(cursor)


def _archive_without(vendor: Any, lost: set[str]) -> Path:
    """The last attempt again, accepting that ``lost`` files are not in the archive."""
    work = backups_dir()
    token = secrets.token_hex(6)
    snapshot, target = work / f".tmp-db-{token}", work / f".tmp-{token}.zip"
    writer = ArchiveWriter(target, vendor.name)
    try:
        missing = _fill(writer, vendor, snapshot)
        if missing - lost:
            raise BadRequest("Failed to create backup: the data kept changing; try again.")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        snapshot.unlink(missing_ok=True)
    return target


def _remove_stale_temp_files(work: Path, max_age: float = 86400) -> None:
    """Temp files of a backup or upload that a crash interrupted."""
    now = datetime.now(UTC).timestamp()
    for entry in work.glob(".tmp-*"):
        try:
            if now - entry.stat().st_mtime > max_age:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()
        except OSError:
            continue
