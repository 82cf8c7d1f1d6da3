"""Loading collections, raw records and files into this instance.

One loader for both ``baas import`` (our own export) and ``baas import-pocketbase``:
a ``Source`` says what to load, ``load`` writes it.

- Collections go through ``SchemaService`` only, upserted by id, in three passes so
  that relations, rules and indexes may point anywhere (cycles included): first every
  missing collection as a skeleton (no relation fields, no rules), then every base and
  auth collection in full, then the views. Their ``created``/``updated`` are kept.
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

import copy
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from django.core.files import File
from django.db import DatabaseError, connection, transaction

from baas.api.errors import ApiError, ValidationFailed
from baas.collections.fields import get_field_type
from baas.collections.fields.dates import parse as parse_date
from baas.collections.models import AUTH_RULE_NAMES, RULE_NAMES, VIEW, Collection
from baas.collections.records import store
from baas.collections.schema import SchemaService
from baas.storage.backends import adapter
from baas.transfer.report import Report

Row = dict[str, Any]
CHUNK = 500
SKELETON_KEYS = ("id", "name", "type")
# Refusals of these cannot be worked around by leaving something out.
KEPT_KEYS = ("id", "name", "type", "fields", "indexes", "viewQuery")


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


# ---- collections ----------------------------------------------------------------------


def load_collections(
    items: list[dict[str, Any]], report: Report
) -> list[tuple[dict[str, Any], Collection]]:
    service = SchemaService()
    usable = [clean for item in items if (clean := _usable(item, report)) is not None]
    plain = [
        item
        for item in usable
        if item.get("type") != VIEW and _skeleton_exists(service, item, report)
    ]
    views = [item for item in usable if item.get("type") == VIEW]
    loaded: list[tuple[dict[str, Any], Collection]] = []
    for item in plain:
        current = _add_fields_singly(service, Collection.objects.get(id=item["id"]), item)
        saved = _save(service, current, item, report)
        if saved is not None:
            loaded.append((item, saved))
    for item in views:
        view = Collection.objects.filter(id=item["id"]).first()
        saved = _save(service, view, item, report)
        if saved is not None:
            loaded.append((item, saved))
    for item, collection in loaded:
        _keep_dates(collection, item)
        report.progress(f"collection {collection.name} ({collection.type})")
    return [(item, Collection.objects.get(id=c.id)) for item, c in loaded]


def _usable(item: dict[str, Any], report: Report) -> dict[str, Any] | None:
    """A copy of ``item`` without what cannot be mapped; None to skip it altogether."""
    name, cid = item.get("name"), item.get("id")
    if not isinstance(name, str) or not isinstance(cid, str) or not name or not cid:
        report.problem(f"a collection without a name or id was skipped: {str(item)[:80]}")
        return None
    clash = Collection.objects.filter(name__iexact=name).exclude(id=cid).first()
    if clash is not None:
        report.problem(
            f"collection {name} ({cid}) skipped: this instance has a collection of that name "
            f"with another id ({clash.id})"
        )
        return None
    item = copy.deepcopy(item)
    fields = []
    for field in item.get("fields") or []:
        if get_field_type(str(field.get("type", ""))) is None:
            report.problem(f"{name}.{field.get('name')}: unknown field type {field.get('type')!r}")
        else:
            fields.append(field)
    item["fields"] = fields
    return item


def _skeleton(item: dict[str, Any]) -> dict[str, Any]:
    data = {key: item[key] for key in SKELETON_KEYS if key in item}
    if item.get("type") != VIEW:
        data["fields"] = [f for f in item["fields"] if f.get("type") != "relation"]
    return data


def _skeleton_exists(service: SchemaService, item: dict[str, Any], report: Report) -> bool:
    if Collection.objects.filter(id=item["id"]).exists():
        return True
    try:
        service.create_collection(_skeleton(item), system=bool(item.get("system")))
    except ValidationFailed as exc:
        report.problem(
            f"collection {item['name']} not imported: {exc.message} {exc.data}; "
            "its records are skipped"
        )
        return False
    return True


def _add_fields_singly(
    service: SchemaService, current: Collection, item: dict[str, Any]
) -> Collection:
    """New fields one update at a time: on SQLite, one update adding a relation and
    another field at once loses a column (each add remakes the table from the old
    model), so the full update that follows only has to change what is left."""
    for field in item["fields"]:
        ids = {f["id"] for f in current.fields}
        taken = {f["name"].lower() for f in current.fields}
        if field.get("id") in ids or str(field.get("name", "")).lower() in taken:
            continue
        try:
            current = service.update_collection(current, {"fields": [*current.fields, field]})
        except ValidationFailed:
            continue  # the full update that follows reports it
    return current


def _definition(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("created", "updated", "system")}


def _save(
    service: SchemaService, current: Collection | None, item: dict[str, Any], report: Report
) -> Collection | None:
    """Create or update. Rules, indexes and fields this instance refuses are dropped and
    reported; a collection refused as a whole (its name, a view's query) is reported and
    None returned, its records then skipped."""
    data = _definition(item)
    for _attempt in range(100):  # each retry drops something; bounded all the same
        try:
            if current is None:
                return service.create_collection(data, system=bool(item.get("system")))
            return service.update_collection(current, data)
        except ValidationFailed as exc:
            if not _drop_refused(data, exc.data, report):
                report.problem(
                    f"collection {item['name']} not imported: {exc.message} {exc.data}"
                    + ("; its records are skipped" if item.get("type") != VIEW else "")
                )
                return None
    return None


def _drop_refused(data: dict[str, Any], errors: dict[str, Any], report: Report) -> bool:
    name = data.get("name")
    dropped = False
    for rule in RULE_NAMES + AUTH_RULE_NAMES:
        if rule in errors:
            report.problem(
                f"{name}.{rule} {data.get(rule)!r} set to superusers only: {_message(errors[rule])}"
            )
            data[rule] = None
            dropped = True
    index_errors = errors.get("indexes")
    if isinstance(index_errors, dict):
        refused = {int(k) for k in index_errors if str(k).isdigit()}
        for position in sorted(refused):
            report.problem(
                f"{name}: index {data['indexes'][position]!r} dropped: "
                f"{_message(index_errors[str(position)])}"
            )
        data["indexes"] = [sql for i, sql in enumerate(data["indexes"]) if i not in refused]
        dropped = dropped or bool(refused)
    dropped = _drop_refused_options(data, errors, report) or dropped
    return _drop_refused_fields(data, errors.get("fields"), report) or dropped


def _drop_refused_options(data: dict[str, Any], errors: dict[str, Any], report: Report) -> bool:
    """An auth option refused here (say an OAuth2 provider we lack) keeps our default."""
    refused = [k for k in errors if k in data and k not in KEPT_KEYS + RULE_NAMES + AUTH_RULE_NAMES]
    for key in refused:
        report.problem(f"{data.get('name')}.{key} left at its default: {_message(errors[key])}")
        data.pop(key)
    return bool(refused)


def _drop_refused_fields(data: dict[str, Any], errors: Any, report: Report) -> bool:
    """Non-system fields refused by position (e.g. a relation to a collection left out)."""
    fields = data.get("fields") or []
    if not isinstance(errors, dict) or not fields or fields[0].get("name") != "id":
        return False  # positions would not match the submitted list
    refused = {
        int(k)
        for k in errors
        if str(k).isdigit() and int(k) < len(fields) and not fields[int(k)].get("system")
    }
    for position in sorted(refused):
        report.problem(
            f"{data.get('name')}.{fields[position].get('name')} dropped: {errors[str(position)]}"
        )
    data["fields"] = [f for i, f in enumerate(fields) if i not in refused]
    return bool(refused)


def _message(error: Any) -> str:
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


def _keep_dates(collection: Collection, item: dict[str, Any]) -> None:
    """Metadata only (no DDL): ``update()`` skips ``auto_now``, so the source's dates stay."""
    dates = {key: parse_date(item.get(key)) for key in ("created", "updated")}
    kept = {key: value for key, value in dates.items() if value is not None}
    if kept:
        Collection.objects.filter(id=collection.id).update(**kept)


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
