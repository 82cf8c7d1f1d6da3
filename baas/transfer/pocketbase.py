"""``baas import-pocketbase PB_DATA``: a PocketBase 0.23+ data directory, read-only.

PocketBase keeps its schema in ``_collections`` (fields, indexes and options as JSON,
the rules as columns), each collection's records in a table named after it (superusers
in ``_superusers``), and files under ``storage/<collectionId>/<recordId>/<filename>``.
Our collections, field ids and storage layout follow the same contract, so ids are
kept as they are and the system collections (``users``, ``_superusers``, ``_mfas``,
``_otps``, ``_externalAuths``, ``_authOrigins``) land on ours by id. Auth records keep
their bcrypt hashes, which ``baas.auth.passwords`` verifies.

The database is opened with ``mode=ro`` and nothing is written under the directory.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

import orjson

from baas.collections.fields import get_field_type
from baas.collections.models import AUTH, VIEW, Collection
from baas.storage import names
from baas.transfer.importer import Row, load
from baas.transfer.report import Report

RULE_COLUMNS = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
NOT_IMPORTED = ("logs (auxiliary.db) and PocketBase hooks/migrations (pb_hooks, pb_migrations)",)


def _read_only_uri(database: Path, scratch: Path) -> str:
    """A URI that writes nothing next to ``database``.

    A WAL-mode database opened even with ``mode=ro`` gets ``-wal``/``-shm`` files
    created beside it. Stopped cleanly, PocketBase leaves no ``-wal``: the file is then
    complete and ``immutable=1`` reads it without any lock or side file. With a
    ``-wal`` (PocketBase running or killed) the pair is copied to ``scratch`` and the
    copy is read, with the log's commits in it.
    """
    wal = database.with_name(database.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        shutil.copy2(database, scratch / "data.db")
        shutil.copy2(wal, scratch / "data.db-wal")
        return f"file:{url_quote(str((scratch / 'data.db').resolve()))}"
    return f"file:{url_quote(str(database.resolve()))}?mode=ro&immutable=1"


def _quote_table(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PocketBaseSource:
    def __init__(self, pb_data: Path):
        database = pb_data / "data.db"
        if not database.is_file():
            raise ValueError(f"{pb_data} is not a PocketBase data directory: no data.db")
        self.storage = pb_data / "storage"
        self._copy = tempfile.TemporaryDirectory(prefix="baas-pb-import-")
        self.conn = sqlite3.connect(_read_only_uri(database, Path(self._copy.name)), uri=True)
        self.conn.row_factory = sqlite3.Row
        self.referenced: list[tuple[str, Path]] = []
        self._check_version()

    def _check_version(self) -> None:
        tables = {
            row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "_collections" not in tables or "_superusers" not in tables:
            raise ValueError(
                "not a PocketBase 0.23+ database (no _collections/_superusers table); "
                "upgrade the app with PocketBase 0.23+ first"
            )
        self.tables = tables

    def close(self) -> None:
        self.conn.close()
        self._copy.cleanup()

    def collections(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM _collections ORDER BY created, id").fetchall()
        return [wire_collection(dict(row)) for row in rows]

    def _table_rows(self, item: dict[str, Any]) -> Iterator[sqlite3.Row]:
        if item["name"] not in self.tables:
            return iter(())
        return iter(self.conn.execute(f"SELECT * FROM {_quote_table(item['name'])}"))

    def record_ids(self, item: dict[str, Any]) -> Iterable[str]:
        return (str(row["id"]) for row in self._table_rows(item))

    def records(self, item: dict[str, Any], collection: Collection) -> Iterable[Row]:
        for raw in self._table_rows(item):
            row = convert_row(collection, dict(raw))
            self._note_files(collection, row)
            yield row

    def _note_files(self, collection: Collection, row: Row) -> None:
        for field in collection.fields:
            if field["type"] != "file":
                continue
            value = row.get(field["name"])
            for filename in value if isinstance(value, list) else [value] if value else []:
                if not names.is_safe_name(filename):
                    continue
                path = names.file_path(collection.id, row["id"], filename)
                self.referenced.append((path, self.storage / path))

    def files(self) -> Iterable[tuple[str, Path]]:
        return list(self.referenced)

    def settings(self, report: Report) -> dict[str, Any] | None:
        """The ``settings`` row of ``_params`` (None, reported, when it cannot be read)."""
        if "_params" not in self.tables:
            return None
        row = self.conn.execute("SELECT value FROM _params WHERE id = 'settings'").fetchone()
        if row is None or row[0] is None:
            return None
        try:
            values = orjson.loads(row[0])
        except orjson.JSONDecodeError:
            report.problem(
                "settings not imported: they are encrypted (PB_ENCRYPTION); "
                "set them again in the console or the settings API"
            )
            return None
        return values if isinstance(values, dict) else None


def import_settings(values: dict[str, Any], report: Report) -> None:
    """Through the settings service, validated: a section it refuses is left out, reported."""
    from baas.api.errors import ValidationFailed
    from baas.settings_api import service

    if not values:
        return
    from baas.settings_api.models import SINGLETON_ID, AppSettings

    stored = AppSettings.objects.filter(id=SINGLETON_ID)
    before = stored.values_list("data", "updated").first()
    values = dict(values)
    for _attempt in range(len(values) + 1):
        try:
            service.update(values)
            break
        except ValidationFailed as exc:
            refused = [key for key in exc.data if key in values] or list(values)
            for key in refused:
                report.problem(f"settings.{key} not imported: {exc.data.get(key, exc.message)}")
                values.pop(key)
    if before is not None and stored.values_list("data", flat=True).first() == before[0]:
        stored.update(updated=before[1])  # nothing changed: a second run leaves no trace
    report.progress(f"settings: {', '.join(sorted(values)) or 'none'}")


def wire_collection(row: dict[str, Any]) -> dict[str, Any]:
    """A ``_collections`` row in the collections API's shape (options flattened)."""
    options = orjson.loads(row.get("options") or "{}")
    data: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "system": bool(row["system"]),
        "fields": orjson.loads(row.get("fields") or "[]"),
        "indexes": orjson.loads(row.get("indexes") or "[]"),
        "created": row.get("created") or "",
        "updated": row.get("updated") or "",
    }
    for rule in RULE_COLUMNS:
        data[rule] = row.get(rule)
    if row["type"] == AUTH:
        data.update(options)
    elif row["type"] == VIEW:
        data["viewQuery"] = options.get("viewQuery", "")
    return data


def convert_row(collection: Collection, raw: dict[str, Any]) -> Row:
    """PocketBase's stored values to wire values (JSON text parsed, 0/1 to booleans)."""
    row: Row = {}
    for field in collection.fields:
        if field["name"] not in raw:
            continue
        value = raw[field["name"]]
        if field["type"] == "password":
            row[field["name"]] = str(value or "")  # the bcrypt hash, kept as it is
            continue
        field_type = get_field_type(field["type"])
        assert field_type is not None
        row[field["name"]] = field_type.from_db(field, value)
    return row


def import_pocketbase(pb_data: Path, report: Report) -> None:
    source = PocketBaseSource(pb_data)
    try:
        settings = source.settings(report)
        load(source, report, also=lambda: import_settings(settings or {}, report))
    finally:
        source.close()
    for note in NOT_IMPORTED:
        report.problem(f"not imported: {note}")
