"""Hand-made archives for the API tests (a real one needs a committed database: see
``test_roundtrip``, which makes them on live servers)."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from django.db import connection

from baas.backups.archive import ArchiveWriter


def _database_file(vendor: str, folder: Path) -> Path:
    path = folder / "db"
    if vendor == "sqlite":
        db = sqlite3.connect(path)
        db.execute('CREATE TABLE "_collections" ("id" text, "type" text, "fields" text)')
        db.execute('CREATE TABLE "django_migrations" ("id" integer)')
        db.commit()
        db.close()
    else:
        path.write_text("--\n-- PostgreSQL database dump\n--\n")
    return path


def archive_bytes(vendor: str | None = None, files: dict[str, bytes] | None = None) -> bytes:
    """A well-formed archive for ``vendor`` (default: this test database's)."""
    vendor = vendor or connection.vendor
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        writer = ArchiveWriter(folder / "a.zip", vendor)
        writer.add_database(_database_file(vendor, folder))
        for path, content in (files or {}).items():
            writer.add_stored_file(path, len(content), [content], None)
        writer.close()
        return (folder / "a.zip").read_bytes()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """Any zip (a PocketBase backup, a hostile one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def manifest(**overrides: object) -> bytes:
    data = {"app": "baas", "format": 1, "database": connection.vendor, "files": 0}
    data.update(overrides)
    return json.dumps(data).encode()
