"""The stored files of a backup: copied out of the storage, and put back on restore.

Everything goes through the storage app's adapters (``baas.storage.backends``), so the
local directory and S3 both work. A restore is staged first and finished only after
the database restore succeeded:

- local directory: the archive's files are extracted into ``<root>/.restore-<id>/new``;
  ``commit`` moves the current entries of the root aside and the new ones in (renames
  within one file system, so a mount point as the root works too);
- S3: the archive's objects are uploaded under their keys first (names carry random
  suffixes, so an existing key holds the same file); ``commit`` deletes the keys the
  backup does not have. ``discard`` deletes what the staging added.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import posixpath
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from baas.backups.archive import ArchiveReader, ArchiveWriter
from baas.storage.backends import Adapter, FileSystemAdapter, S3Adapter

log = logging.getLogger("baas.backups")


def stored_paths(target: Adapter, prefix: str = "") -> Iterator[str]:
    """Every file in the storage (recursive); top-level dot-folders are ours, skipped."""
    directories, files = target.listdir(prefix)
    for name in files:
        if prefix or not name.startswith("."):
            yield posixpath.join(prefix, name) if prefix else name
    for directory in directories:
        if prefix or not directory.startswith("."):
            yield from stored_paths(
                target, posixpath.join(prefix, directory) if prefix else directory
            )


def copy_into(target: Adapter, writer: ArchiveWriter) -> set[str]:
    """Copy every stored file into the archive; the paths copied.

    A file deleted while we copy is skipped: the caller checks that every file the
    database snapshot references made it in.
    """
    copied: set[str] = set()
    for path in stored_paths(target):
        stat = target.stat(path)
        if stat is None:
            continue
        try:
            writer.add_stored_file(
                path, stat.size, target.read_range(path, 0, stat.size), stat.content_type
            )
        except FileNotFoundError:
            continue
        except Exception as exc:
            if _is_missing_object(exc):
                continue
            raise
        copied.add(path)
    return copied


def _is_missing_object(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404


# ---- restore -------------------------------------------------------------------------------


class StagedFiles:
    """A restore's files, staged; ``commit`` after the database, else ``discard``."""

    def stage(self) -> None: ...
    def commit(self) -> None: ...
    def discard(self) -> None: ...


class LocalStaged(StagedFiles):
    def __init__(self, target: FileSystemAdapter, archive: ArchiveReader):
        self.root = Path(target.storage.location)
        self.archive = archive
        self.work = self.root / f".restore-{secrets.token_hex(6)}"

    def stage(self) -> None:
        new = self.work / "new"
        new.mkdir(parents=True)
        for entry in self.archive.iter_stored():
            path = new.joinpath(*entry.path.split("/"))
            if not path.resolve().is_relative_to(new.resolve()):
                raise ValueError(f"unsafe storage path {entry.path!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            with self.archive.open_stored(entry) as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)

    def commit(self) -> None:
        old = self.work / "old"
        old.mkdir()
        for child in self.root.iterdir():
            if child != self.work:
                os.rename(child, old / child.name)
        for child in (self.work / "new").iterdir():
            os.rename(child, self.root / child.name)
        shutil.rmtree(self.work, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


class ObjectStaged(StagedFiles):
    """S3 (and any other storage): objects written under their exact keys."""

    def __init__(self, target: Adapter, archive: ArchiveReader):
        self.target = target
        self.archive = archive
        self.before: set[str] = set()
        self.restored: set[str] = set()

    def stage(self) -> None:
        self.before = set(stored_paths(self.target))
        for entry in self.archive.iter_stored():
            with self.archive.open_stored(entry) as source:
                self._put(entry.path, source, entry.content_type)
            self.restored.add(entry.path)

    def _put(self, path: str, source: IO[bytes], content_type: str | None) -> None:
        kind = content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
        if isinstance(self.target, S3Adapter):
            key = self.target._key(path)
            bucket = self.target.storage.bucket  # type: ignore[attr-defined]
            bucket.Object(key).upload_fileobj(source, ExtraArgs={"ContentType": kind})
            return
        from django.core.files import File

        self.target.delete(path)  # a plain storage would pick another name otherwise
        self.target.save(path, File(source, name=posixpath.basename(path)))

    def commit(self) -> None:
        for path in self.before - self.restored:
            self.target.delete(path)

    def discard(self) -> None:
        for path in self.restored - self.before:
            try:
                self.target.delete(path)
            except Exception:  # the sweep removes what is left
                log.warning("could not remove restored file %s", path, exc_info=True)


def staged_files(target: Adapter, archive: ArchiveReader) -> StagedFiles:
    if isinstance(target, FileSystemAdapter):
        return LocalStaged(target, archive)
    return ObjectStaged(target, archive)
