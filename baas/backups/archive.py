"""The backup archive: one zip holding a manifest, the database and the stored files.

    baas_backup.json                          what the archive holds (``Manifest``)
    data.db                                   SQLite: a consistent copy (online backup API)
    database.sql                              PostgreSQL: pg_dump's plain SQL, one snapshot
    storage/<collectionId>/<recordId>/<name>  every stored file, thumbs included

A storage entry may carry the object's content type as its zip comment (S3 serves
the type it stored). Reading checks every entry name before anything is extracted:
an archive with a path that could leave its folder is refused whole.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from baas import __version__

MANIFEST = "baas_backup.json"
DATABASE_ENTRIES = {"sqlite": "data.db", "postgresql": "database.sql"}
STORAGE_PREFIX = "storage/"
FORMAT = 1
MAX_MANIFEST = 64 * 1024
MAX_PATH = 1024
ZIP64_FROM = 1 << 31
# One path segment of a stored file: no separators, no NUL, not "." or "..".
_SEGMENT = re.compile(r"[^/\\\x00]+")


class InvalidArchive(Exception):
    """Not a backup we can restore; the message says why (for the log)."""


@dataclass(frozen=True)
class Manifest:
    database: str  # the vendor: "sqlite" or "postgresql"
    created: str
    files: int
    version: str = __version__
    format: int = FORMAT
    app: str = "baas"

    @property
    def database_entry(self) -> str:
        return DATABASE_ENTRIES[self.database]


def wire_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def is_safe_storage_path(path: str) -> bool:
    if not path or len(path) > MAX_PATH:
        return False
    segments = path.split("/")
    return all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments)


class ArchiveWriter:
    """Writes a backup zip; ``close`` adds the manifest last."""

    def __init__(self, path: Path, vendor: str):
        self.path = path
        self.vendor = vendor
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.files = 0

    def add_database(self, source: Path) -> None:
        self.zip.write(source, DATABASE_ENTRIES[self.vendor])

    def add_stored_file(
        self, path: str, size: int, chunks: Iterable[bytes], content_type: str | None
    ) -> None:
        info = zipfile.ZipInfo(STORAGE_PREFIX + path, date_time=_zip_time())
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = size
        if content_type:
            info.comment = content_type.encode()[:255]
        with self.zip.open(info, "w", force_zip64=size >= ZIP64_FROM) as out:
            for chunk in chunks:
                out.write(chunk)
        self.files += 1

    def close(self) -> None:
        manifest = Manifest(
            database=self.vendor, created=wire_date(datetime.now(UTC)), files=self.files
        )
        self.zip.writestr(MANIFEST, json.dumps(asdict(manifest)))
        self.zip.close()

    def abort(self) -> None:
        self.zip.close()
        self.path.unlink(missing_ok=True)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


@dataclass(frozen=True)
class StoredEntry:
    path: str  # the storage path, without ``storage/``
    size: int
    content_type: str | None
    info: zipfile.ZipInfo


class ArchiveReader:
    """A checked backup zip: ``manifest``, the database entry and the stored files."""

    def __init__(self, source: Path | IO[bytes]):
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InvalidArchive(f"not a zip file: {exc}") from None
        try:
            self.manifest = self._read_manifest()
            self.stored = self._check_entries()
        except BaseException:
            self.zip.close()
            raise

    def _read_manifest(self) -> Manifest:
        try:
            info = self.zip.getinfo(MANIFEST)
        except KeyError:
            raise InvalidArchive(f"no {MANIFEST}: not a baas backup") from None
        if info.file_size > MAX_MANIFEST:
            raise InvalidArchive(f"{MANIFEST} is too large")
        try:
            data = json.loads(self.zip.read(MANIFEST))
            manifest = Manifest(
                database=str(data["database"]),
                created=str(data.get("created", "")),
                files=int(data.get("files", 0)),
                version=str(data.get("version", "")),
                format=int(data["format"]),
                app=str(data.get("app", "")),
            )
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            raise InvalidArchive(f"unreadable {MANIFEST}: {exc}") from None
        if manifest.app != "baas" or manifest.format != FORMAT:
            raise InvalidArchive(f"unsupported backup format {manifest.app!r} {manifest.format}")
        if manifest.database not in DATABASE_ENTRIES:
            raise InvalidArchive(f"unknown database {manifest.database!r}")
        return manifest

    def _check_entries(self) -> list[StoredEntry]:
        stored: list[StoredEntry] = []
        seen: set[str] = set()
        database = self.manifest.database_entry
        for info in self.zip.infolist():
            name = info.filename
            if name in seen:
                raise InvalidArchive(f"duplicate entry {name!r}")
            seen.add(name)
            if info.is_dir() or name in (MANIFEST, database):
                continue
            path = name.removeprefix(STORAGE_PREFIX)
            if not name.startswith(STORAGE_PREFIX) or not is_safe_storage_path(path):
                raise InvalidArchive(f"unexpected entry {name!r}")
            content_type = info.comment.decode(errors="replace") or None
            stored.append(StoredEntry(path, info.file_size, content_type, info))
        if database not in seen:
            raise InvalidArchive(f"no {database} in the archive")
        return stored

    def uncompressed_size(self) -> int:
        return sum(info.file_size for info in self.zip.infolist())

    def extract_database(self, target: Path) -> Path:
        with self.zip.open(self.manifest.database_entry) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return target

    def open_stored(self, entry: StoredEntry) -> IO[bytes]:
        return self.zip.open(entry.info)

    def iter_stored(self) -> Iterator[StoredEntry]:
        return iter(self.stored)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
