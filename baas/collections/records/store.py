"""Writing rows: the dynamic model does the inserts/updates, join tables keep multi relations."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, connection, models, transaction

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
    attrs = _attrs(collection, row)
    try:
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            sql, fields = _insert_statement(model)
            cursor.execute(sql, [_db_value(f, attrs.get(f.attname, _DEFAULT)) for f in fields])
    except IntegrityError as exc:
        raise unique_error(collection, exc, "create") from exc
    write_joins(collection, row, None)


def update(collection: Collection, row: dict[str, Any], names: set[str]) -> None:
    model = dynamic.get_model(collection)
    attrs = _attrs(collection, row, names)
    try:
        if attrs:
            with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
                cursor.execute(*_update_statement(model, attrs, row["id"]))
    except IntegrityError as exc:
        raise unique_error(collection, exc, "update") from exc
    write_joins(collection, row, names)


# ---- the statements, built once per model (= per collection schema version) -----------
#
# ``Manager.create`` and ``QuerySet.update`` compiled the same SQL through the ORM on
# every write (bench/PROFILE.md, fourth pass). The values go through the same field
# methods the ORM's insert and update compilers call (``get_db_prep_save``), so what
# is stored is the same; a missing attribute takes the field's default, as
# ``Model(**attrs)`` would; an error marks the enclosing atomic block for rollback, as
# the ORM's writes do.

_DEFAULT = object()


def _db_value(field: Any, value: Any) -> Any:
    if value is _DEFAULT:
        value = field.get_default()
    return field.get_db_prep_save(value, connection)


def _insert_statement(model: type[models.Model]) -> tuple[str, list[Any]]:
    found: tuple[str, list[Any]] | None = model.__dict__.get("_baas_insert")
    if found is None:
        fields = list(model._meta.local_concrete_fields)
        qn = connection.ops.quote_name
        columns = ", ".join(qn(str(f.column)) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        found = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values})", fields)
        model._baas_insert = found  # type: ignore[attr-defined]
    return found


def _update_statement(
    model: type[models.Model], attrs: dict[str, Any], record_id: str
) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    sets, params = [], []
    for attname, value in attrs.items():
        field = _field_by_attname(model, attname)
        sets.append(f"{qn(str(field.column))} = %s")
        params.append(_db_value(field, value))
    pk = model._meta.pk
    assert pk is not None
    params.append(pk.get_db_prep_value(record_id, connection))
    table = qn(model._meta.db_table)
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {qn(str(pk.column))} = %s", params


def _field_by_attname(model: type[models.Model], attname: str) -> Any:
    by_attname: dict[str, Any] | None = model.__dict__.get("_baas_by_attname")
    if by_attname is None:
        by_attname = {f.attname: f for f in model._meta.local_concrete_fields}
        model._baas_by_attname = by_attname  # type: ignore[attr-defined]
    return by_attname[attname]


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
