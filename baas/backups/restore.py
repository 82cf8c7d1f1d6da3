"""Restoring a backup into the running instance (wire-api §7.5: 204, then the app restarts).

What we chose, and why: the peer replaces its data directory and re-executes itself.
``baas serve`` is several processes (granian's main process and its workers), each
with caches of the old data: collection models keyed by schema version, settings,
database connections. So the restore swaps the data *in place* and then has every
worker replaced:

1. the request checks the key and the archive, takes the backup lock and answers 204;
   a thread does the rest (after ``RESPONSE_GRACE``, like the peer's 1 s);
2. a new restore generation is written with status ``running``: from then on every
   process of this data directory answers 503 (``middleware.RestoreGuard``);
3. the files are staged, the database is replaced in place (SQLite: the online backup
   API into the live file; PostgreSQL: one ``psql`` transaction), migrations run (an
   archive from an older version is brought up to date), and the staged files replace
   the current ones;
4. the generation is marked ``done`` and granian's main process gets SIGHUP: it
   respawns every worker. Old workers keep answering 503 (their generation is old)
   until they stop; new workers start on the restored data.

Outside ``baas serve`` (one process: ``runserver``, tests) step 4 drops this process's
caches instead. A failure before the database changed leaves everything as it was
(generation unchanged, status ``failed``); after, the new generation stands and the
workers are replaced all the same. ``baas worker`` (Celery) processes are not ours to
respawn: restart them after a restore, as with any deploy.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from baas.api.errors import BadRequest
from baas.backups import database, files
from baas.backups.archive import ArchiveReader, InvalidArchive, Manifest
from baas.backups.service import BUSY, store_call
from baas.backups.state import (
    DONE,
    FAILED,
    RUNNING,
    ActiveOperation,
    Busy,
    RestoreState,
    adopt_generation,
    backups_dir,
    new_generation,
    read_state,
    write_state,
)
from baas.backups.store import BackupStore, backup_store, is_valid_key
from baas.storage.backends import adapter

log = logging.getLogger("baas.backups")

RESPONSE_GRACE = 0.5
DRAIN = 0.3
INVALID = "Missing or invalid backup file."


class RestoreFailed(Exception):
    pass


def start_restore(key: str) -> threading.Thread:
    """Check, take the lock and start the restore thread (the request then answers 204)."""
    if not is_valid_key(key):
        raise BadRequest(INVALID)
    try:
        operation = ActiveOperation.acquire(key)
    except Busy:
        raise BadRequest(BUSY) from None
    try:
        store = backup_store()
        if not store_call(lambda: store.exists(key), INVALID):
            raise BadRequest(INVALID)
        local = store.local_path(key)
        if local is not None:  # S3 archives are checked once downloaded, in the thread
            with ArchiveReader(local) as archive:
                check_vendor(archive.manifest)
    except InvalidArchive as exc:
        operation.release()
        log.info("refused to restore %s: %s", key, exc)
        raise BadRequest(INVALID) from None
    except BaseException:
        operation.release()
        raise
    thread = threading.Thread(
        target=run_restore, args=(key, operation), name="baas-restore", daemon=False
    )
    thread.start()
    return thread


def check_vendor(manifest: Manifest) -> None:
    here = connection.vendor
    if manifest.database != here:
        raise BadRequest(
            f"The backup holds a {manifest.database} database; this instance runs {here}."
        )


def run_restore(key: str, operation: ActiveOperation, grace: float = RESPONSE_GRACE) -> bool:
    """The restore thread: returns True when the data was replaced."""
    time.sleep(grace)
    previous = read_state()
    generation = new_generation()
    pid = os.getpid()
    write_state(RestoreState(generation, RUNNING, key, pid))
    job = Restore(key)
    try:
        time.sleep(DRAIN)  # requests already inside a view finish first
        job.run()
        write_state(RestoreState(generation, DONE, key, pid))
        log.info("backup %s restored", key)
    except Exception:
        log.exception("restoring backup %s failed", key)
        kept = generation if job.database_changed else previous.generation
        write_state(RestoreState(kept, FAILED, key, pid))
    finally:
        operation.release()
        connection.close()
    if job.database_changed:
        restart(generation)
    return job.database_changed


class Restore:
    def __init__(self, key: str):
        self.key = key
        self.database_changed = False

    def run(self) -> None:
        vendor = database.current_vendor()
        with self._archive_file(backup_store()) as path, ArchiveReader(path) as archive:
            check_vendor(archive.manifest)
            self._check_space(archive)
            dump = archive.extract_database(backups_dir() / f".tmp-restore-{secrets.token_hex(6)}")
            try:
                vendor.check(dump)
                staged = files.staged_files(adapter(), archive)
                try:
                    staged.stage()
                    vendor.restore(dump)
                except BaseException:
                    staged.discard()
                    raise
                self.database_changed = True
                _migrate()
                staged.commit()
            finally:
                dump.unlink(missing_ok=True)

    @contextmanager
    def _archive_file(self, store: BackupStore) -> Iterator[Path]:
        local = store.local_path(self.key)
        if local is not None:
            yield local
            return
        temp = backups_dir() / f".tmp-download-{secrets.token_hex(6)}.zip"
        try:
            with store.open(self.key) as source, open(temp, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            yield temp
        finally:
            temp.unlink(missing_ok=True)

    def _check_space(self, archive: ArchiveReader) -> None:
        needed = archive.uncompressed_size()
        free = shutil.disk_usage(backups_dir()).free
        if needed > free:
            raise RestoreFailed(f"the archive needs {needed} bytes, {free} are free")


def _migrate() -> None:
    """An archive from an older version gets the migrations it lacks (as at startup)."""
    from baas.checks import apply_migrations

    applied = apply_migrations()
    if applied:
        log.info("migrations applied after the restore: %s", ", ".join(applied))


def restart(generation: str) -> None:
    """Every process must drop what it knew of the old data (module doc, step 4)."""
    if _under_baas_serve():
        log.info("restore done: asking granian (pid %d) to respawn the workers", os.getppid())
        os.kill(os.getppid(), signal.SIGHUP)
        return
    reset_process(generation)


def _under_baas_serve() -> bool:
    server = sys.modules.get("baas.server")
    return server is not None and getattr(server.app, "http", None) is not None


def reset_process(generation: str) -> None:
    """One process alone (no granian): drop the caches instead of a respawn."""
    from baas.collections import dynamic
    from baas.settings_api import service

    for collection_id in list(dynamic._cache):  # every cached model belongs to the old data
        dynamic.forget(collection_id)
    service.forget()
    adopt_generation(generation)
