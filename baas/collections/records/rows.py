"""Reading rows of a runtime table into wire values (raw SQL: DESIGN §8, no ModelSerializer)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from baas.collections import naming
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection

Row = dict[str, Any]  # field name -> wire value (every field, hidden ones and hashes included)


def column_fields(collection: Collection) -> list[dict[str, Any]]:
    return [f for f in collection.fields if not is_join_field(f) and get_field_type(f["type"])]


def select_list(collection: Collection, alias: str = "t") -> str:
    return ", ".join(
        f"{quote(alias)}.{quote(naming.column_name(f))}" for f in column_fields(collection)
    )


def decode(collection: Collection, raw: tuple[Any, ...]) -> Row:
    row: Row = {}
    for field, value in zip(column_fields(collection), raw, strict=True):
        field_type = get_field_type(field["type"])
        assert field_type is not None
        if field["type"] == "password":
            row[field["name"]] = value or ""  # the hash, for the auth service; never serialised
        else:
            row[field["name"]] = field_type.from_db(field, value)
    return row


def attach_join_values(collection: Collection, rows: list[Row]) -> None:
    """Fill multi-relation values from their join tables, one query per field."""
    joins = [f for f in collection.fields if is_join_field(f)]
    if not joins or not rows:
        for row in rows:
            for field in joins:
                row[field["name"]] = []
        return
    ids = [row["id"] for row in rows]
    by_id = {row["id"]: row for row in rows}
    with connection.cursor() as cursor:
        for field in joins:
            for row in rows:
                row[field["name"]] = []
            table = quote(naming.join_table_name(collection.id, field["id"]))
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT record_id, target_id FROM {table} WHERE record_id IN ({marks}) ORDER BY record_id, position",
                    chunk,
                )
                for record_id, target_id in cursor.fetchall():
                    by_id[record_id][field["name"]].append(target_id)


def fetch(
    collection: Collection,
    where: str = "",
    params: list[Any] | None = None,
    order: str = "",
    limit: int | None = None,
    offset: int = 0,
    lock: bool = False,
) -> list[Row]:
    """``lock``: inside a transaction, lock the rows read (``FOR UPDATE`` on PostgreSQL;
    SQLite's IMMEDIATE transactions already hold the database's write lock)."""
    sql = f"SELECT {select_list(collection)} FROM {quote(naming.table_name(collection.id))} AS {quote('t')}"
    if where:
        sql += f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    args = list(params or [])
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        args += [limit, offset]
    if lock and connection.vendor == "postgresql":
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = [decode(collection, raw) for raw in cursor.fetchall()]
    attach_join_values(collection, rows)
    return rows


def count(collection: Collection, where: str = "", params: list[Any] | None = None) -> int:
    sql = f"SELECT COUNT(*) FROM {quote(naming.table_name(collection.id))} AS {quote('t')}"
    if where:
        sql += f" WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params or []))
        return int(cursor.fetchone()[0])


def fetch_one(
    collection: Collection,
    record_id: str,
    where: str = "",
    params: list[Any] | None = None,
    lock: bool = False,
) -> Row | None:
    condition = f"{quote('t')}.{quote('id')} = %s"
    if where:
        condition += f" AND ({where})"
    rows = fetch(collection, condition, [record_id, *(params or [])], lock=lock)
    return rows[0] if rows else None
