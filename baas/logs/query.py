"""Listing, filtering and counting logs with the expression language (wire-api §7.4).

The log table is described to the compiler as a collection whose fields are the
table's columns (``models.RequestLog`` names them ``f_<fieldId>``), so ``filter``
and ``sort`` accept ``level``, ``message``, ``created`` and ``data.*`` paths with
the same grammar, errors and bound parameters as records.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from baas.api.listing import Page
from baas.auth.context import AuthContext
from baas.collections.ddl import quote
from baas.collections.models import Collection
from baas.logs.models import RequestLog

ALIAS = "t"


def _field(field_id: str, type_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": field_id,
        "name": field_id,
        "type": type_name,
        "system": True,
        "hidden": False,
        "presentable": False,
        "required": False,
        "help": "",
        **extra,
    }


LOGS = Collection(
    id="_logs",
    name="_logs",
    type="base",
    system=True,
    fields=[
        _field("id", "text", primaryKey=True, min=0, max=0, pattern="", autogeneratePattern=""),
        _field("created", "date", min="", max=""),
        _field("level", "number", min=None, max=None, onlyInt=True),
        _field(
            "message", "text", primaryKey=False, min=0, max=0, pattern="", autogeneratePattern=""
        ),
        _field("data", "json", maxSize=0),
    ],
    rules={},
)


def _compile_filter(text: str | None, viewer: AuthContext) -> tuple[str, list[Any]]:
    if text is None or text == "":
        return "", []
    from baas.collections.records import rules

    info = rules.request_info(viewer)
    return rules.client_filter(LOGS, text, viewer, info)


def _compile_sort(text: str | None, viewer: AuthContext) -> tuple[list[str], list[Any]]:
    if not text:
        return [f"{quote(ALIAS)}.{quote('f_created')} DESC", f"{quote(ALIAS)}.{quote('id')}"], []
    from baas.collections.records import rules

    order, params = rules.client_sort(LOGS, text, viewer, rules.request_info(viewer))
    return [*order, f"{quote(ALIAS)}.{quote('id')}"], params


def _table() -> str:
    return f"{quote(RequestLog._meta.db_table)} AS {quote(ALIAS)}"


def list_logs(
    viewer: AuthContext, filter_text: str | None, sort_text: str | None, page: Page
) -> tuple[list[dict[str, Any]], int | None]:
    where, params = _compile_filter(filter_text, viewer)
    order, order_params = _compile_sort(sort_text, viewer)
    clause = f" WHERE {where}" if where else ""
    sql = (
        f"SELECT {quote(ALIAS)}.{quote('id')} FROM {_table()}{clause} "
        f"ORDER BY {', '.join(order)} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *order_params, page.per_page, page.offset])
        ids = [row[0] for row in cursor.fetchall()]
        total = None
        if not page.skip_total:
            cursor.execute(f"SELECT COUNT(*) FROM {_table()}{clause}", params)
            total = cursor.fetchone()[0]
    by_id = {entry.id: entry for entry in RequestLog.objects.filter(id__in=ids)}
    return [to_wire(by_id[i]) for i in ids if i in by_id], total


def stats(viewer: AuthContext, filter_text: str | None) -> list[dict[str, Any]]:
    """Entries per hour: ``[{"date": "2026-11-25 07:00:00.000Z", "total": 102}]``."""
    where, params = _compile_filter(filter_text, viewer)
    hour = (
        f"SUBSTRING({quote(ALIAS)}.{quote('f_created')} FROM 1 FOR 13)"
        if connection.vendor == "postgresql"
        else f"SUBSTR({quote(ALIAS)}.{quote('f_created')}, 1, 13)"
    )
    clause = f" WHERE {where}" if where else ""
    sql = f"SELECT {hour} AS h, COUNT(*) FROM {_table()}{clause} GROUP BY h ORDER BY h"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [{"date": f"{h}:00:00.000Z", "total": n} for h, n in cursor.fetchall()]


def to_wire(entry: RequestLog) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created": entry.created,
        "level": entry.level,
        "message": entry.message,
        "data": entry.data,
    }


def get_log(log_id: str) -> dict[str, Any] | None:
    entry = RequestLog.objects.filter(id=log_id).first()
    return to_wire(entry) if entry else None
