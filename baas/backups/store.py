"""Where backup archives live: ``<data dir>/backups``, or S3 when ``backups.s3.enabled``.

The S3 settings are the application settings' ``backups.s3`` (wire-api §7.3), read on
every call, so a change applies to the next request. Keys are archive names only (no
folders); ``is_valid_key`` is checked before any key reaches a file system or bucket.
"""

from __future__ import annotations

import os
import re
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from baas.backups.state import backups_dir

# Names as the peer makes them (``pb_backup_…``, ``@auto_pb_backup_…``) or uploads them:
# no separators, no leading dot, no "..", ``.zip`` at the end.
KEY = re.compile(r"@?[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\.zip", re.ASCII)
MAX_KEY = 150


def is_valid_key(key: str) -> bool:
    return len(key) <= MAX_KEY and KEY.fullmatch(key) is not None


@dataclass(frozen=True)
class BackupInfo:
    key: str
    size: int
    modified: datetime


class BackupStore(ABC):
    """Where archives live: the data directory or an S3 bucket."""

    @abstractmethod
    def entries(self) -> list[BackupInfo]:
        """Every stored archive."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an archive is stored under ``key``."""

    @abstractmethod
    def info(self, key: str) -> BackupInfo | None:
        """Size and time of ``key``, or None when it is missing."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """The archive's bytes, for reading."""

    @abstractmethod
    def save(self, key: str, source: Path) -> None:
        """Store the finished archive at ``source`` under ``key`` (``source`` is consumed)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already gone)."""

    def local_path(self, key: str) -> Path | None:
        """A path to read the archive from without a download, when there is one."""
        return None


class LocalStore(BackupStore):
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        assert is_valid_key(key), key
        return self.root / key

    def entries(self) -> list[BackupInfo]:
        found = []
        for entry in os.scandir(self.root):
            if entry.is_file() and is_valid_key(entry.name):
                stat = entry.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                found.append(BackupInfo(entry.name, stat.st_size, modified))
        return sorted(found, key=lambda item: item.key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def info(self, key: str) -> BackupInfo | None:
        try:
            stat = self._path(key).stat()
        except FileNotFoundError:
            return None
        return BackupInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def open(self, key: str) -> IO[bytes]:
        return open(self._path(key), "rb")

    def save(self, key: str, source: Path) -> None:
        target = self._path(key)
        if source.parent == self.root:
            os.replace(source, target)  # atomic: a listed archive is always complete
            return
        temp = self.root / f".tmp-{key}"
        shutil.copyfile(source, temp)
        os.replace(temp, target)

    def delete(self, key: str) -> None:
        self._path(key).unlink()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


class S3Store(BackupStore):
    def __init__(self, config: dict[str, Any]):
        import boto3
        from botocore.config import Config

        self.bucket = config["bucket"]
        self.client = boto3.client(
            "s3",
            endpoint_url=config["endpoint"] or None,
            aws_access_key_id=config["accessKey"],
            aws_secret_access_key=config["secret"],
            region_name=config["region"] or None,
            config=Config(
                s3={"addressing_style": "path" if config["forcePathStyle"] else "auto"},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def entries(self) -> list[BackupInfo]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                if is_valid_key(item["Key"]):
                    found.append(BackupInfo(item["Key"], int(item["Size"]), item["LastModified"]))
        return sorted(found, key=lambda item: item.key)

    def info(self, key: str) -> BackupInfo | None:
        from botocore.exceptions import ClientError

        assert is_valid_key(key), key
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        return BackupInfo(key, int(head["ContentLength"]), head["LastModified"])

    def exists(self, key: str) -> bool:
        return self.info(key) is not None

    def open(self, key: str) -> IO[bytes]:
        assert is_valid_key(key), key
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]

    def save(self, key: str, source: Path) -> None:
        assert is_valid_key(key), key
        self.client.upload_file(
            str(source), self.bucket, key, ExtraArgs={"ContentType": "application/zip"}
        )
        source.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        assert is_valid_key(key), key
        self.client.delete_object(Bucket=self.bucket, Key=key)


def backup_store() -> BackupStore:
    from baas.settings_api.service import current

    s3 = current()["backups"]["s3"]
    if s3.get("enabled"):
        return S3Store(s3)
    return LocalStore(backups_dir())
