"""Real collections and rows for the expression tests, built once per module.

The data set (``expr_dataset``) is created through ``SchemaService`` and the record
store, so the tables have exactly the layout the compiler targets; it is removed again
when the module ends so other suites never see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from baas.collections.expr import (
    ExpressionError,
    ForbiddenExpression,
    RequestInfo,
    compile_filter,
    compile_list,
    compile_sort,
)
from baas.collections.models import Collection
from baas.collections.naming import table_name
from baas.collections.records import store
from baas.collections.schema import SchemaService

from . import expr_dataset as ds


@pytest.fixture(scope="module")
def expr_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Collection]]:
    with django_db_blocker.unblock():
        service = SchemaService()
        created: list[str] = []
        try:
            for data in ds.COLLECTIONS:
                created.append(service.create_collection(data).name)
            for name, rows in ds.RECORDS.items():
                collection = Collection.objects.get(name=name)
                for row in rows:
                    extra = (
                        {"tokenKey": "key" + row["id"] * 2, "password": "x"}
                        if collection.is_auth
                        else {}
                    )
                    store.insert(collection, {**row, **extra})
            yield {name: Collection.objects.get(name=name) for name in created}
        finally:
            for name in reversed(created):
                service.delete_collection(Collection.objects.get(name=name))


def short(record_id: str) -> str:
    """``itm000000000003`` -> ``I3`` (the scenario tables' notation)."""
    return {"usr": "U", "tag": "T", "itm": "I", "cmt": "C", "prf": "P"}[record_id[:3]] + record_id[
        -1
    ]


def run_filter(
    collection: Collection, text: str, request: RequestInfo | None = None, **kw: Any
) -> list[str]:
    sql, params = compile_filter(collection, text, request or RequestInfo(is_superuser=True), **kw)
    table = connection.ops.quote_name(table_name(collection.id))
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "t"."id" FROM {table} AS "t" WHERE {sql} ORDER BY "t"."id"', params)
        return [short(row[0]) for row in cursor.fetchall()]


def outcome(
    collection: Collection,
    text: str,
    request: RequestInfo | None = None,
    *,
    rule: str | None = None,
    sort: str | None = None,
) -> str | int:
    """What a list request returns: the ids ("I1 I4") or the status the API would answer.

    Superusers get ``compile_filter``; anyone else ``compile_list`` with the list rule,
    as the records API does.
    """
    request = request or RequestInfo(is_superuser=True)
    try:
        if request.is_superuser:
            where, params = compile_filter(collection, text, request) if text else ("1=1", [])
            order, order_params = compile_sort(collection, sort, request) if sort else ([], [])
        else:
            compiled = compile_list(collection, request, rule=rule, filter=text, sort=sort)
            where, params = compiled.where, compiled.where_params
            order, order_params = compiled.order_by, compiled.order_params
    except ForbiddenExpression:
        return 403
    except ExpressionError:
        return 400
    table = connection.ops.quote_name(table_name(collection.id))
    order_sql = ", ".join([*order, '"t"."id"'])
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "t"."id" FROM {table} AS "t" WHERE {where} ORDER BY {order_sql}',
            params + order_params,
        )
        return " ".join(short(row[0]) for row in cursor.fetchall())


def run_sort(collection: Collection, text: str, request: RequestInfo | None = None) -> list[str]:
    pieces, params = compile_sort(collection, text, request or RequestInfo(is_superuser=True))
    table = connection.ops.quote_name(table_name(collection.id))
    order = ", ".join([*pieces, '"t"."id"']) if pieces else '"t"."id"'
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "t"."id" FROM {table} AS "t" ORDER BY {order}', params)
        return [short(row[0]) for row in cursor.fetchall()]
