"""Reading and writing one field's stored values across all rows (used by schema changes)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from baas.collections import dynamic, naming
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection


def is_join_field(field: dict[str, Any]) -> bool:
    field_type = get_field_type(field["type"])
    return field["type"] == "relation" and field_type is not None and field_type.is_multi(field)


def read_values(collection: Collection, field: dict[str, Any]) -> dict[str, Any]:
    """``{record id: wire value}`` for every row."""
    field_type = get_field_type(field["type"])
    assert field_type is not None
    with connection.cursor() as cursor:
        if is_join_field(field):
            table = quote(naming.join_table_name(collection.id, field["id"]))
            cursor.execute(f"SELECT {quote('id')} FROM {quote(naming.table_name(collection.id))}")
            values: dict[str, Any] = {row[0]: [] for row in cursor.fetchall()}
            cursor.execute(f"SELECT record_id, target_id FROM {table} ORDER BY record_id, position")
            for record_id, target_id in cursor.fetchall():
                values.setdefault(record_id, []).append(target_id)
            return values
        column = quote(naming.column_name(field))
        cursor.execute(
            f"SELECT {quote('id')}, {column} FROM {quote(naming.table_name(collection.id))}"
        )
        return {row[0]: field_type.from_db(field, row[1]) for row in cursor.fetchall()}


def write_values(collection: Collection, field: dict[str, Any], values: dict[str, Any]) -> None:
    field_type = get_field_type(field["type"])
    assert field_type is not None
    if is_join_field(field):
        join = dynamic.build_join_model(collection, field)
        rows = [
            join(record_id=record_id, target_id=target, position=position)
            for record_id, targets in values.items()
            for position, target in enumerate(targets)
        ]
        join._default_manager.bulk_create(rows, batch_size=500)
        return
    model = dynamic.build_model(collection, [field])
    column = naming.column_name(field)
    attname = model._meta.get_field(column).attname  # type: ignore[union-attr]
    for record_id, value in values.items():
        model._default_manager.filter(pk=record_id).update(
            **{attname: field_type.to_db(field, value)}
        )
