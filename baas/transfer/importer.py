"""Loading collections, raw records and files into this instance.

One loader for both ``baas import`` (our own export) and ``baas import-pocketbase``:
a ``Source`` says what to load, ``load`` writes it.

- Collections go through ``SchemaService`` only (``transfer.schemas``).
- Records are written as raw stored values through the record store (ids, dates,
  password hashes and token keys kept; no validation, no events), upserted by id,
  each row in a savepoint so one bad row is reported instead of failing the rest.
  Relation values that point at no record (neither loaded nor already stored) are
  dropped and reported: PostgreSQL's deferred foreign keys would otherwise refuse the
  whole commit.
- Collections and records commit together; files are copied after the commit through
  the storage adapter (local directory or S3), skipping those already there with the
  same size, so an interrupted run is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from django.core.files import File
from django.db import DatabaseError, connection, transaction

from baas.api.errors import ApiError
from baas.collections.fields import get_field_type
from baas.collections.models import Collection
from baas.collections.records import store
from baas.storage.backends import adapter
from baas.transfer.report import Report
from baas.transfer.schemas import load_collections

Row = dict[str, Any]
CHUNK = 500


class Source(Protocol):
    """What a transfer reads from: collections in the wire shape, rows of wire values."""

    def collections(self) -> list[dict[str, Any]]: ...

    def record_ids(self, item: dict[str, Any]) -> Iterable[str]: ...

    def records(self, item: dict[str, Any], collection: Collection) -> Iterable[Row]: ...

    def files(self) -> Iterable[tuple[str, Path]]:
        """(storage path ``<collectionId>/<recordId>/<filename>``, local file) pairs."""
        ...


def load(source: Source, report: Report, also: Callable[[], None] | None = None) -> None:
    """``also`` runs inside the same transaction, after the records."""
    items = source.collections()
    with transaction.atomic():
        loaded = load_collections(items, report)
        plain = [(item, c) for item, c in loaded if not c.is_view]
        guard = RelationGuard({c.id: set(source.record_ids(item)) for item, c in plain})
        _defer_foreign_keys()
        for item, collection in plain:
            count = load_records(collection, source.records(item, collection), guard, report)
            report.counted(collection.name, count)
        if also is not None:
            also()
    report.progress("Copying files…")
    report.progress(f"  {load_files(source.files(), report)} files")


# ---- records ----------------------------------------------------------------------------


def _defer_foreign_keys() -> None:
    """Records may point at records loaded later (cycles too): PostgreSQL checks the
    foreign keys at commit. The schema editor switched them to immediate for its DDL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class RelationGuard:
    """Which relation targets exist: loaded in this run, or already stored."""

    def __init__(self, incoming: dict[str, set[str]]):
        self.incoming = incoming

    def known(self, collection_id: str, ids: set[str]) -> set[str]:
        loaded = self.incoming.get(collection_id, set())
        others = sorted(ids - loaded)
        if not others or not Collection.objects.filter(id=collection_id).exists():
            return ids & loaded
        return (ids & loaded) | store.existing_ids(collection_id, others)


def load_records(
    collection: Collection, rows: Iterable[Row], guard: RelationGuard, report: Report
) -> int:
    names = {f["name"] for f in collection.fields}
    count = 0
    for chunk in _chunks(rows):
        chunk = [_complete(collection, row) for row in chunk if row.get("id")]
        _drop_dangling(collection, chunk, guard, report)
        present = store.existing_ids(collection.id, [row["id"] for row in chunk])
        for row in chunk:
            try:
                with transaction.atomic():
                    if row["id"] in present:
                        store.update(collection, row, names)
                    else:
                        store.insert(collection, row)
            except (ApiError, DatabaseError, ValueError, TypeError) as exc:
                detail = f" {exc.data}" if isinstance(exc, ApiError) and exc.data else ""
                report.problem(f"{collection.name}/{row['id']} not imported: {exc}{detail}")
                continue
            count += 1
    return count


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _complete(collection: Collection, row: Row) -> Row:
    out: Row = {}
    for field in collection.fields:
        field_type = get_field_type(field["type"])
        assert field_type is not None
        value = row.get(field["name"])
        out[field["name"]] = field_type.zero(field) if value is None else value
    out["id"] = str(row["id"])
    return out


def _drop_dangling(
    collection: Collection, rows: list[Row], guard: RelationGuard, report: Report
) -> None:
    for field in collection.fields:
        if field["type"] != "relation":
            continue
        name = field["name"]
        wanted = {i for row in rows for i in _as_list(row[name])}
        known = guard.known(field["collectionId"], wanted) if wanted else set()
        for row in rows:
            values = _as_list(row[name])
            kept = [i for i in values if i in known]
            if len(kept) != len(values):
                missing = ", ".join(i for i in values if i not in known)
                report.problem(
                    f"{collection.name}/{row['id']}.{name}: missing related record(s) {missing} dropped"
                )
                row[name] = kept if isinstance(row[name], list) else (kept[0] if kept else "")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


# ---- files --------------------------------------------------------------------------------


def load_files(files: Iterable[tuple[str, Path]], report: Report) -> int:
    target = adapter()
    count = 0
    for name, source in files:
        if not source.is_file():
            report.problem(f"file {name} is missing in the source")
            continue
        stat = target.stat(name)
        if stat is not None and stat.size == source.stat().st_size:
            count += 1
            continue
        if stat is not None:
            target.delete(name)
        with source.open("rb") as handle:
            stored = target.save(name, File(handle, name=Path(name).name))
        if stored != name:  # the storage picked another name: the record would not find it
            target.delete(stored)
            report.problem(f"file {name} could not be stored under its name")
            continue
        count += 1
    return count


# ---- our own export (``baas import``) ---------------------------------------------------


class DirectorySource:
    """A directory written by ``baas export``: collections.json, records/*.jsonl, files/."""

    def __init__(self, root: Path):
        from baas.transfer import export

        self.root = root
        self.collections_path = root / export.COLLECTIONS_FILE
        if not self.collections_path.is_file():
            raise ValueError(f"{root} is not a baas export: {export.COLLECTIONS_FILE} is missing")
        self.records_dir = root / export.RECORDS_DIR
        self.files_dir = root / export.FILES_DIR

    def collections(self) -> list[dict[str, Any]]:
        import orjson

        data = orjson.loads(self.collections_path.read_bytes())
        if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
            raise ValueError(f"{self.collections_path}: expected a JSON list of collections")
        return data

    def _lines(self, item: dict[str, Any]) -> Iterator[Row]:
        import orjson

        path = self.records_dir / f"{item['name']}.jsonl"
        if not path.is_file():
            return
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield orjson.loads(line)

    def record_ids(self, item: dict[str, Any]) -> Iterable[str]:
        return (str(row["id"]) for row in self._lines(item) if row.get("id"))

    def records(self, item: dict[str, Any], collection: Collection) -> Iterable[Row]:
        return self._lines(item)

    def files(self) -> Iterable[tuple[str, Path]]:
        if not self.files_dir.is_dir():
            return
        for path in sorted(self.files_dir.rglob("*")):
            if path.is_file():
                yield path.relative_to(self.files_dir).as_posix(), path


def import_directory(root: Path, report: Report) -> None:
    from baas.transfer.instance import import_tables

    load(DirectorySource(root), report, also=lambda: import_tables(root, report))
