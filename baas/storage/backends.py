"""Reaching the configured storage (``storages["default"]``): a registry of adapters.

Everything goes through Django's storage API, so the local directory and S3 switch by
settings only. An adapter adds what that API lacks and a backend can do better:
ranged reads, one-call metadata, prefix deletes and presigned URLs (STYLE §1: a new
backend is one new class in ``ADAPTERS``). Failures of the storage itself become
``StorageUnavailable``, the envelope's 503.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.files.storage import FileSystemStorage, Storage, storages

from baas.api.errors import ServiceUnavailable

log = logging.getLogger("baas.storage")

CHUNK_SIZE = 256 * 1024


class StorageUnavailable(ServiceUnavailable):
    """The file storage did not answer (S3 down, disk gone)."""


@dataclass(frozen=True)
class Stat:
    size: int
    modified: datetime | None
    content_type: str | None = None  # as stored (S3 keeps the sniffed type given at save)


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [BotoCoreError, ClientError]
    except ImportError:  # pragma: no cover - boto3 is a dependency
        pass
    return tuple(errors)


@contextmanager
def reaching_storage(action: str) -> Iterator[None]:
    """Turn a storage failure into a clean 503; the details go to the log only."""
    try:
        yield
    except StorageUnavailable:
        raise
    except _unavailable_errors() as exc:
        log.warning("storage unavailable while %s: %s", action, exc)
        raise StorageUnavailable() from exc


class Adapter:
    """Works with any Django storage, through its public API only."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def save(self, name: str, content: Any) -> str:
        """Store ``content`` (a Django File, streamed in chunks); the name actually used."""
        return self.storage.save(name, content)

    def delete(self, name: str) -> None:
        self.storage.delete(name)

    def exists(self, name: str) -> bool:
        return self.storage.exists(name)

    def stat(self, name: str) -> Stat | None:
        try:
            size = self.storage.size(name)
        except FileNotFoundError:
            return None
        try:
            modified = self.storage.get_modified_time(name)
        except (NotImplementedError, FileNotFoundError):
            modified = None
        return Stat(size=size, modified=modified)

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        """``length`` bytes from ``start``, in chunks, closing the file when done."""
        handle: IO[bytes] = self.storage.open(name, "rb")
        try:
            handle.seek(start)
            remaining = length
            while remaining > 0:
                chunk = handle.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    def head(self, name: str, size: int) -> bytes:
        return b"".join(self.read_range(name, 0, size))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        try:
            directories, files = self.storage.listdir(path)
        except FileNotFoundError:
            return [], []
        return list(directories), list(files)

    def delete_prefix(self, prefix: str) -> None:
        """Delete everything under the folder ``prefix`` (no error when it is missing)."""
        directories, files = self.listdir(prefix)
        for name in files:
            self.storage.delete(posixpath.join(prefix, name))
        for directory in directories:
            self.delete_prefix(posixpath.join(prefix, directory))

    def presigned_url(self, name: str, parameters: dict[str, str], expire: int) -> str | None:
        return None


class FileSystemAdapter(Adapter):
    storage: FileSystemStorage

    def stat(self, name: str) -> Stat | None:
        """One ``os.stat`` (Django's ``size`` then ``get_modified_time`` made two, each
        through ``path()``); the same values, the time as ``get_modified_time`` gives it."""
        try:
            found = os.stat(self.storage.path(name))
        except FileNotFoundError:
            return None
        modified = self.storage._datetime_from_timestamp(found.st_mtime)  # type: ignore[attr-defined]
        return Stat(size=found.st_size, modified=modified)

    def delete_prefix(self, prefix: str) -> None:
        with suppress(FileNotFoundError):
            shutil.rmtree(self.storage.path(prefix))


class S3Adapter(Adapter):
    """django-storages' S3Storage: ranged GETs and batch deletes instead of full downloads."""

    def _key(self, name: str) -> str:
        from storages.utils import clean_name

        return self.storage._normalize_name(clean_name(name))  # type: ignore[attr-defined]

    def _client(self) -> Any:
        return self.storage.connection.meta.client  # type: ignore[attr-defined]

    def _bucket_name(self) -> str:
        return self.storage.bucket_name  # type: ignore[attr-defined]

    def stat(self, name: str) -> Stat | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client().head_object(Bucket=self._bucket_name(), Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        return Stat(
            size=int(head["ContentLength"]),
            modified=head.get("LastModified"),
            content_type=head.get("ContentType"),
        )

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        if length <= 0:
            return
        answer = self._client().get_object(
            Bucket=self._bucket_name(),
            Key=self._key(name),
            Range=f"bytes={start}-{start + length - 1}",
        )
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def delete_prefix(self, prefix: str) -> None:
        key = self._key(prefix).rstrip("/") + "/"
        self.storage.bucket.objects.filter(Prefix=key).delete()  # type: ignore[attr-defined]

    def presigned_url(self, name: str, parameters: dict[str, str], expire: int) -> str | None:
        return self.storage.url(name, parameters=parameters, expire=expire)  # type: ignore[call-arg]


def _s3_class() -> type | None:
    """django-storages' S3Storage once its module is loaded, else None: a storage can only
    be one if it is. A server on local files never loads boto3 (about 25 MB a process)."""
    module = sys.modules.get("storages.backends.s3")
    return getattr(module, "S3Storage", None)


# (the storage class, or a function giving it when it is loaded; the adapter)
ADAPTERS: list[tuple[type | Callable[[], type | None] | None, type[Adapter]]] = [
    (FileSystemStorage, FileSystemAdapter),
    (_s3_class, S3Adapter),
]


_from_settings: tuple[tuple[tuple[str, str], ...], Storage] | None = None


def configured_storage() -> Storage:
    """The files' storage: S3 as the settings API's ``s3`` block says when it is enabled
    (the console's Settings › Files storage; wire-api §7.3), else ``STORAGES["default"]``
    (the data directory, or S3 from ``BAAS_S3_*``).

    Switching moves no files: files stored before stay where they were (as on the peer).
    """
    global _from_settings
    from baas.settings_api.service import current

    s3 = current()["s3"]
    if not s3.get("enabled"):
        return storages["default"]
    key = tuple(sorted((name, str(value)) for name, value in s3.items()))
    if _from_settings is None or _from_settings[0] != key:
        from storages.backends.s3 import S3Storage

        from baas.storage.s3 import client_config

        storage = S3Storage(
            endpoint_url=s3["endpoint"] or None,
            bucket_name=s3["bucket"],
            access_key=s3["accessKey"],
            secret_key=s3["secret"],
            region_name=s3["region"] or None,
            signature_version="s3v4",
            addressing_style="path" if s3["forcePathStyle"] else "auto",
            file_overwrite=False,
            default_acl=None,
            querystring_expire=300,
            client_config=client_config(path_style=bool(s3["forcePathStyle"])),
        )
        _from_settings = (key, storage)
    return _from_settings[1]


def adapter() -> Adapter:
    """The adapter for the configured storage (read per call: settings and tests switch it)."""
    storage = configured_storage()
    for entry, adapter_class in ADAPTERS:
        storage_class = entry if isinstance(entry, type) or entry is None else entry()
        if storage_class is not None and isinstance(storage, storage_class):
            return adapter_class(storage)
    return Adapter(storage)
