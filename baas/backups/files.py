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
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from baas.backups.archive import ArchiveReader, ArchiveWriter
from baas.storage.backends import Adapter, FileSystemAdapter, S3Adapter, Stat
from baas.storage.names import THUMBS_PREFIX

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


@dataclass
class Held:
    """A young file read before the snapshot, kept aside until we know it is complete."""

    spool: IO[bytes]
    size: int
    content_type: str | None


class Copier:
    """The two passes around the database snapshot (``service.build_archive``).

    ``before_snapshot`` copies into the archive every file known complete (settled, or
    referenced by a record that had committed before the pass began), and reads the
    other young ones (a local upload is written in place: maybe still growing) into
    temp files.
    ``after_snapshot`` adds the files the snapshot references: a held copy goes in if
    the file still has that size (files are written once: same size, same file),
    anything else is read now. Holding the young files keeps the second pass short,
    and with it the time in which a record change after the snapshot can delete one.
    """

    def __init__(self, target: Adapter, writer: ArchiveWriter, spool_dir: Path):
        self.target = target
        self.writer = writer
        self.spool_dir = spool_dir
        self.copied: set[str] = set()
        self.held: dict[str, Held] = {}

    def before_snapshot(self, settled_before: datetime, complete: set[str]) -> None:
        """``complete``: paths referenced by committed records before this pass began."""
        for path in stored_paths(self.target):
            stat = self.target.stat(path)
            if stat is None:
                continue
            settled = stat.modified is not None and stat.modified < settled_before
            if settled or path in complete:
                if _copy(self.target, self.writer, path, stat):
                    self.copied.add(path)
            else:
                self._hold(path, stat)

    def _hold(self, path: str, stat: Stat) -> None:
        spool = tempfile.TemporaryFile(dir=self.spool_dir, prefix=".tmp-hold-")  # noqa: SIM115
        size = 0
        try:
            for chunk in self.target.read_range(path, 0, stat.size):
                spool.write(chunk)
                size += len(chunk)
        except Exception as exc:
            spool.close()
            if isinstance(exc, FileNotFoundError) or _is_missing_object(exc):
                return
            raise
        self.held[path] = Held(spool, size, stat.content_type)

    def after_snapshot(self, referenced: set[str]) -> set[str]:
        """Copy what ``referenced`` still lacks (and held thumbs of referenced files); the
        referenced paths that are gone."""
        thumbs = {path for path in self.held if _thumb_of(path) in referenced}
        gone = set()
        for path in sorted((referenced | thumbs) - self.copied):
            stat = self.target.stat(path)
            held = self.held.get(path)
            if stat is None:
                if path in referenced:
                    gone.add(path)
            elif held is not None and held.size == stat.size:
                self.writer.add_stored_file(path, held.size, _chunks(held.spool), held.content_type)
                self.copied.add(path)
            elif _copy(self.target, self.writer, path, stat):
                self.copied.add(path)
            elif path in referenced:
                gone.add(path)
        return gone

    def close(self) -> None:
        for held in self.held.values():
            held.spool.close()
        self.held.clear()


def _thumb_of(path: str) -> str | None:
    """``c/r/thumbs_<name>/<size>_<name>`` → ``c/r/<name>`` (wire-api §5)."""
    parts = path.split("/")
    if len(parts) == 4 and parts[2].startswith(THUMBS_PREFIX):
        return "/".join([parts[0], parts[1], parts[2].removeprefix(THUMBS_PREFIX)])
    return None


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(1 << 20):
        yield chunk


def _copy(target: Adapter, writer: ArchiveWriter, path: str, stat: Stat) -> bool:
    try:
        writer.add_stored_file(
            path, stat.size, target.read_range(path, 0, stat.size), stat.content_type
        )
    except FileNotFoundError:
        return False
    except Exception as exc:
        if _is_missing_object(exc):
            return False
        raise
    return True


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
