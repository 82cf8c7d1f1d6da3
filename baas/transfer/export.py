"""``baas export OUT_DIR``: this instance's schema and data, in a form ``baas import`` reads.

    OUT_DIR/collections.json            every collection, as the collections API shows
                                        it plus the auth collections' token secrets
    OUT_DIR/records/<collection>.jsonl  one record per line, raw stored values: password
                                        hashes and token keys included
    OUT_DIR/files/<collectionId>/<recordId>/<filename>   the files records point at
    OUT_DIR/system/<table>.jsonl        settings, API keys, second factors, webhooks,
                                        push devices (``transfer.instance``)

Keys are sorted and records ordered by id, so two exports of the same data are
byte-identical whichever database they came from (PostgreSQL's jsonb reorders keys).
Thumbnails are left out: they are made again on request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.db import connection

from baas.collections.ddl import quote
from baas.collections.models import Collection
from baas.collections.records.rows import Row, fetch
from baas.collections.wire import collection_to_wire
from baas.storage import names
from baas.storage.backends import adapter
from baas.transfer.instance import export_tables
from baas.transfer.report import Report

COLLECTIONS_FILE = "collections.json"
RECORDS_DIR = "records"
FILES_DIR = "files"
PAGE = 500
JSON_OPTIONS = orjson.OPT_SORT_KEYS


def export(out_dir: Path, report: Report) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty: export into a new or empty directory")
    (out_dir / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    collections = list(Collection.objects.order_by("created", "id"))
    items = [collection_for_export(c) for c in collections]
    (out_dir / COLLECTIONS_FILE).write_bytes(
        orjson.dumps(items, option=JSON_OPTIONS | orjson.OPT_INDENT_2)
    )
    report.progress(f"{len(items)} collections")
    files = 0
    for collection in collections:
        if collection.is_view:
            continue
        count = 0
        with (out_dir / RECORDS_DIR / f"{collection.name}.jsonl").open("wb") as handle:
            for row in all_rows(collection):
                handle.write(orjson.dumps(row, option=JSON_OPTIONS) + b"\n")
                files += _copy_files(collection, row, out_dir / FILES_DIR, report)
                count += 1
        report.counted(collection.name, count)
    report.progress(f"  {files} files")
    export_tables(out_dir, report)


def collection_for_export(collection: Collection) -> dict[str, Any]:
    """The wire shape, with the secrets the wire hides: moving keeps sessions valid."""
    data = collection_to_wire(collection)
    if collection.is_auth:
        data.update(collection.options)
    return data


def all_rows(collection: Collection) -> Iterator[Row]:
    """Every record, by id, a page at a time (keyset paging: no OFFSET scans)."""
    last: str | None = None
    column = f"{quote('t')}.{quote('id')}"
    if connection.vendor == "postgresql":  # byte order, as SQLite: the same file from both
        column += ' COLLATE "C"'
    while True:
        where = f"{column} > %s" if last is not None else ""
        params: list[Any] = [last] if last is not None else []
        page = fetch(collection, where, params, order=column, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1]["id"]


def _copy_files(collection: Collection, row: Row, files_dir: Path, report: Report) -> int:
    target = adapter()
    count = 0
    for field in collection.fields:
        if field["type"] != "file":
            continue
        value = row.get(field["name"])
        for filename in value if isinstance(value, list) else [value] if value else []:
            path = names.file_path(collection.id, row["id"], filename)
            stat = target.stat(path)
            if stat is None:
                report.problem(f"file {path} is missing in the storage")
                continue
            out = files_dir / path
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as handle:
                for chunk in target.read_range(path, 0, stat.size):
                    handle.write(chunk)
            count += 1
    return count
