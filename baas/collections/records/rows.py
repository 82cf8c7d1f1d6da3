"""Reading rows of a runtime table into wire values (raw SQL: DESIGN §8, no ModelSerializer)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connection

from baas.collections import naming
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.fields.base import FieldType
from baas.collections.models import Collection

Row = dict[str, Any]  # field name -> wire value (every field, hidden ones and hashes included)


def column_fields(collection: Collection) -> list[dict[str, Any]]:
    return [f for f in collection.fields if not is_join_field(f) and get_field_type(f["type"])]


class _Plan:
    """What reading a collection's rows needs, worked out once per shape of its fields
    (and database vendor): the quoted SELECT, and for each column its field's position,
    name and type (``None`` for a password: its hash is kept as stored)."""

    __slots__ = (
        "columns",
        "count_sql",
        "decoders",
        "id_condition",
        "joins",
        "names",
        "select_sql",
        "write_sql",
    )

    def __init__(self, collection: Collection, alias: str):
        fields = collection.fields
        self.columns: list[tuple[int, str, FieldType | None]] = []
        self.joins: list[int] = []
        quoted: list[str] = []
        qalias = quote(alias)
        for index, field in enumerate(fields):
            if is_join_field(field):
                self.joins.append(index)
                continue
            field_type = get_field_type(field["type"])
            if field_type is None:
                continue
            quoted.append(f"{qalias}.{quote(naming.column_name(field))}")
            is_password = field["type"] == "password"
            self.columns.append((index, field["name"], None if is_password else field_type))
        self.names = [name for _, name, _ in self.columns]
        # Each column's decoder as a function of the stored value alone, where its type
        # has one (FieldType.decoder: nothing read from the field but what the plan is
        # keyed on); None where ``from_db`` needs the field as it is now (``bind``).
        self.decoders: list[Callable[[Any], Any] | None] = [
            _hash_or_empty if field_type is None else field_type.decoder(fields[index])
            for index, _, field_type in self.columns
        ]
        table = f"{quote(naming.table_name(collection.id))} AS {qalias}"
        self.select_sql = f"SELECT {', '.join(quoted)} FROM {table}"
        self.count_sql = f"SELECT COUNT(*) FROM {table}"
        self.id_condition = f"{qalias}.{quote('id')} = %s"
        # ``fetch_for_write``: the row and its collection's schema version in one statement
        owner = quote("_owner")  # the collection's row; no record column is called that
        self.write_sql = (
            f"SELECT {', '.join([*quoted, f'{owner}.schema_version'])} FROM {table}, "
            f"{quote('_collections')} AS {owner} WHERE {self.id_condition} AND {owner}.id = %s"
        )


# Keyed on everything a plan reads from the collection: a schema change (a field added,
# removed, renamed, retyped, made multiple) gives a new key, so a stale plan is never used.
_plans: dict[tuple[Any, ...], _Plan] = {}
_PLANS_MAX = 512


_vendor: str | None = None


def _vendor_name() -> str:
    """The default database's vendor, read once (``connection.vendor`` goes through the
    connection proxy and a thread-local on every read; it is the same in every thread)."""
    global _vendor
    if _vendor is None:
        _vendor = connection.vendor
    return _vendor


def _plan(collection: Collection, alias: str = "t") -> _Plan:
    key = (
        _vendor_name(),
        alias,
        collection.id,
        *[
            (f.get("id"), f["name"], f["type"], f.get("primaryKey"), f.get("maxSelect"))
            for f in collection.fields
        ],
    )
    plan = _plans.get(key)
    if plan is None:
        plan = _Plan(collection, alias)
        if len(_plans) >= _PLANS_MAX:
            _plans.clear()
        _plans[key] = plan
    return plan


def select_list(collection: Collection, alias: str = "t") -> str:
    return ", ".join(
        f"{quote(alias)}.{quote(naming.column_name(f))}" for f in column_fields(collection)
    )


def _hash_or_empty(raw: Any) -> Any:
    return raw or ""  # a password's hash, for the auth service; never serialised


def _bind(plan: _Plan, fields: list[dict[str, Any]]) -> list[Callable[[Any], Any]]:
    """The plan's decoders, with ``from_db`` bound to the current field where a type has
    no decoder of its own: once per query, not per value."""
    bound: list[Callable[[Any], Any]] = []
    for decode, (index, _, field_type) in zip(plan.decoders, plan.columns, strict=True):
        if decode is None and field_type is not None:
            decode = partial(field_type.from_db, fields[index])
        bound.append(decode or _hash_or_empty)
    return bound


def _decode_rows(
    plan: _Plan, fields: list[dict[str, Any]], found: list[tuple[Any, ...]]
) -> list[Row]:
    names, decoders = plan.names, _bind(plan, fields)
    # Not strict: the rows come from the plan's own SELECT, so the lengths always match,
    # and the check cost a third of the decoding.
    return [
        {name: decode(value) for name, decode, value in zip(names, decoders, raw, strict=False)}
        for raw in found
    ]


def _decode(plan: _Plan, fields: list[dict[str, Any]], raw: tuple[Any, ...]) -> Row:
    return _decode_rows(plan, fields, [raw])[0]


def decode(collection: Collection, raw: tuple[Any, ...]) -> Row:
    return _decode(_plan(collection), collection.fields, raw)


def attach_join_values(collection: Collection, rows: list[Row]) -> None:
    """Fill multi-relation values from their join tables, one query per field."""
    _attach(collection, [collection.fields[i] for i in _plan(collection).joins], rows)


def _attach(collection: Collection, joins: list[dict[str, Any]], rows: list[Row]) -> None:
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
    return _fetch(_plan(collection), collection, where, params, order, limit, offset, lock)


def _fetch(
    plan: _Plan,
    collection: Collection,
    where: str,
    params: list[Any] | None,
    order: str = "",
    limit: int | None = None,
    offset: int = 0,
    lock: bool = False,
) -> list[Row]:
    sql = plan.select_sql
    if where:
        sql += f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    args = list(params or [])
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        args += [limit, offset]
    if lock and _vendor_name() == "postgresql":
        sql += " FOR UPDATE"
    fields = collection.fields
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = _decode_rows(plan, fields, cursor.fetchall())
    _attach(collection, [fields[i] for i in plan.joins], rows)
    return rows


def count(collection: Collection, where: str = "", params: list[Any] | None = None) -> int:
    sql = _plan(collection).count_sql
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
    plan = _plan(collection)
    condition = plan.id_condition
    if where:
        condition += f" AND ({where})"
    rows = _fetch(plan, collection, condition, [record_id, *(params or [])], lock=lock)
    return rows[0] if rows else None


def fetch_for_write(collection: Collection, record_id: str) -> tuple[Row, int] | None:
    """SQLite, inside a write's transaction: the row with its collection's schema version,
    in one statement where ``_lock_schema`` and ``fetch_one`` took two (the IMMEDIATE
    transaction already holds the write lock). None when either is missing.

    Not on PostgreSQL: one statement locking both rows could take the record's table
    before the collection's row, the reverse of a schema change (collection row, then
    ``ALTER TABLE``), and the two would deadlock."""
    plan = _plan(collection)
    with connection.cursor() as cursor:
        cursor.execute(plan.write_sql, [record_id, collection.id])
        found = cursor.fetchone()
    if found is None:
        return None
    row = _decode(plan, collection.fields, found[:-1])
    _attach(collection, [collection.fields[i] for i in plan.joins], [row])
    return row, int(found[-1])
