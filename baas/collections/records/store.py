"""Writing rows: the dynamic model does the inserts/updates, join tables keep multi relations."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, connection

from baas.api.errors import ValidationFailed, field_error
from baas.collections import dynamic, naming
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection

_COLUMN = re.compile(r"\b(f_[A-Za-z0-9_]+|id)\b")


def _attrs(
    collection: Collection, row: dict[str, Any], names: set[str] | None = None
) -> dict[str, Any]:
    model = dynamic.get_model(collection)
    attrs: dict[str, Any] = {}
    for field in collection.fields:
        if is_join_field(field) or (names is not None and field["name"] not in names):
            continue
        field_type = get_field_type(field["type"])
        assert field_type is not None
        column = naming.column_name(field)
        attname = model._meta.get_field(column).attname  # type: ignore[union-attr]
        attrs[attname] = field_type.to_db(field, row.get(field["name"]))
    return attrs


def unique_error(collection: Collection, exc: IntegrityError, action: str) -> ValidationFailed:
    """wire-api §0.1: a unique-index violation names the field(s) as ``validation_not_unique``."""
    by_column = {naming.column_name(f): f["name"] for f in collection.fields}
    message = str(exc)
    names = [by_column[c] for c in _COLUMN.findall(message) if c in by_column]
    if not names:
        for sql in collection.indexes:
            from baas.collections import indexes

            try:
                spec = indexes.parse_index(sql)
            except indexes.IndexError_:
                continue
            if naming.index_name(collection.id, spec.name) in message:
                names = sorted(indexes.referenced_names(spec))
    data = {name: field_error("validation_not_unique", "Value must be unique.") for name in names}
    return ValidationFailed(f"Failed to {action} record.", data)


def insert(collection: Collection, row: dict[str, Any]) -> None:
    model = dynamic.get_model(collection)
    try:
        model._default_manager.create(**_attrs(collection, row))
    except IntegrityError as exc:
        raise unique_error(collection, exc, "create") from exc
    write_joins(collection, row, None)


def update(collection: Collection, row: dict[str, Any], names: set[str]) -> None:
    model = dynamic.get_model(collection)
    attrs = _attrs(collection, row, names)
    try:
        if attrs:
            model._default_manager.filter(pk=row["id"]).update(**attrs)
    except IntegrityError as exc:
        raise unique_error(collection, exc, "update") from exc
    write_joins(collection, row, names)


def write_joins(collection: Collection, row: dict[str, Any], names: set[str] | None) -> None:
    for field in collection.fields:
        if not is_join_field(field) or (names is not None and field["name"] not in names):
            continue
        table = quote(naming.join_table_name(collection.id, field["id"]))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE record_id = %s", [row["id"]])
            targets = row.get(field["name"]) or []
            if targets:
                cursor.executemany(
                    f"INSERT INTO {table} (record_id, target_id, position) VALUES (%s, %s, %s)",
                    [(row["id"], target, position) for position, target in enumerate(targets)],
                )


def delete(collection: Collection, record_id: str) -> None:
    with connection.cursor() as cursor:
        for field in collection.fields:
            if is_join_field(field):
                table = quote(naming.join_table_name(collection.id, field["id"]))
                cursor.execute(f"DELETE FROM {table} WHERE record_id = %s", [record_id])
        cursor.execute(
            f"DELETE FROM {quote(naming.table_name(collection.id))} WHERE id = %s", [record_id]
        )


def existing_ids(collection_id: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    table = quote(naming.table_name(collection_id))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
            )
            found |= {r[0] for r in cursor.fetchall()}
    return found
