"""Aggregates over a collection's records, under its list rule (docs/api-extensions.md).

``GET /api/collections/{c}/aggregate?fn=count,sum(views),max(created)&groupBy=author
&filter=...&sort=-count&page=1&perPage=30`` answers the list envelope whose items are
``{"group": {field: value}, "count": n, "sum": {"views": x}, "max": {"created": d}}``.

The rows counted are exactly the rows ``GET .../records`` would list for the caller:
the WHERE clause is ``rules.list_query`` (list rule + client filter, one compile), and
a caller may name only fields the records API would show it (no hidden field, no auth
``email`` for non-superusers), so an aggregate never reveals what a list would hide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import Forbidden, ValidationFailed, field_error
from baas.api.listing import Page, envelope, parse_page
from baas.auth.context import AuthContext
from baas.collections import naming
from baas.collections.api.records import call_of
from baas.collections.api.views import find_collection
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection
from baas.collections.records import rules
from baas.collections.records.service import Call

MESSAGE = "Invalid aggregate request."
FUNCTIONS = ("count", "sum", "avg", "min", "max")
MAX_FUNCTIONS = 20
MAX_GROUP_FIELDS = 5
FN_ITEM = re.compile(r"^(count|sum|avg|min|max)(?:\(\s*([A-Za-z0-9_]+)\s*\))?$")
NUMERIC = {"number"}
# Single-valued columns whose values compare and group as they are stored.
ORDERED = {"number", "text", "email", "url", "date", "autodate", "select"}
GROUPABLE = ORDERED | {"bool", "relation"}
TEXT_LIKE = GROUPABLE - {"number", "bool"}


@dataclass(frozen=True)
class Function:
    name: str  # count | sum | avg | min | max
    field: dict[str, Any] | None = None  # None for count

    @property
    def key(self) -> str:
        return self.name if self.field is None else f"{self.name}({self.field['name']})"


@dataclass
class Spec:
    functions: list[Function]
    groups: list[dict[str, Any]]
    order: list[tuple[str, bool]] = field(default_factory=list)  # (key, descending)


# ---- parsing ---------------------------------------------------------------------------


def _invalid(param: str, message: str) -> ValidationFailed:
    return ValidationFailed(MESSAGE, {param: field_error("validation_invalid_value", message)})


def _items(raw: str | None) -> list[str]:
    """Comma-separated items; ``sum(a), max(b)`` has no comma inside a function call."""
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def visible_field(
    collection: Collection, name: str, viewer: AuthContext, param: str
) -> dict[str, Any]:
    """A field the caller could read through the records API; otherwise 400 (unknown and
    hidden fields answer alike, so a name does not reveal that a hidden field exists)."""
    found = collection.field(name)
    if found is None or get_field_type(found["type"]) is None:
        raise _invalid(param, f"Unknown field {name!r}.")
    if not viewer.is_superuser and (
        found.get("hidden") or (collection.is_auth and name in ("email", "password", "tokenKey"))
    ):
        raise _invalid(param, f"Unknown field {name!r}.")
    return found


def _is_multi(found: dict[str, Any]) -> bool:
    field_type = get_field_type(found["type"])
    return field_type is not None and field_type.is_multi(found)


def parse_functions(collection: Collection, raw: str | None, viewer: AuthContext) -> list[Function]:
    items = _items(raw) or ["count"]
    if len(items) > MAX_FUNCTIONS:
        raise _invalid("fn", f"At most {MAX_FUNCTIONS} functions.")
    out: list[Function] = []
    for item in items:
        match = FN_ITEM.match(item)
        if match is None:
            raise _invalid("fn", f"Invalid function {item!r}.")
        name, field_name = match.groups()
        if name == "count":
            if field_name:
                raise _invalid("fn", "count takes no field.")
            function = Function("count")
        else:
            if not field_name:
                raise _invalid("fn", f"{name} needs a field, e.g. {name}(views).")
            found = visible_field(collection, field_name, viewer, "fn")
            allowed = NUMERIC if name in ("sum", "avg") else ORDERED
            if found["type"] not in allowed or _is_multi(found):
                raise _invalid("fn", f"{name} cannot be applied to {field_name!r}.")
            function = Function(name, found)
        if function.key not in {f.key for f in out}:
            out.append(function)
    return out


def parse_groups(
    collection: Collection, raw: str | None, viewer: AuthContext
) -> list[dict[str, Any]]:
    names = _items(raw)
    if len(names) > MAX_GROUP_FIELDS:
        raise _invalid("groupBy", f"At most {MAX_GROUP_FIELDS} fields.")
    out: list[dict[str, Any]] = []
    for name in names:
        found = visible_field(collection, name, viewer, "groupBy")
        if found["type"] not in GROUPABLE or _is_multi(found):
            raise _invalid("groupBy", f"Cannot group by {name!r}.")
        if found not in out:
            out.append(found)
    return out


def parse_order(raw: str | None, spec: Spec) -> list[tuple[str, bool]]:
    """``sort`` over the group fields and the requested functions (``-count``, ``sum(views)``)."""
    known = {f["name"] for f in spec.groups} | {f.key for f in spec.functions}
    order: list[tuple[str, bool]] = []
    for item in _items(raw):
        descending = item.startswith("-")
        key = item.lstrip("+-").strip().replace(" ", "")
        if key not in known:
            raise _invalid("sort", f"Sort by a group field or a requested function, not {key!r}.")
        order.append((key, descending))
    return order


def parse_spec(collection: Collection, query: Any, viewer: AuthContext) -> Spec:
    spec = Spec(
        functions=parse_functions(collection, query.get("fn"), viewer),
        groups=parse_groups(collection, query.get("groupBy"), viewer),
    )
    spec.order = parse_order(query.get("sort"), spec)
    return spec


# ---- SQL -------------------------------------------------------------------------------


def _column(found: dict[str, Any]) -> str:
    return f"{quote('t')}.{quote(naming.column_name(found))}"


def _function_sql(function: Function) -> str:
    if function.field is None:
        return "COUNT(*)"
    column = _column(function.field)
    if function.field["type"] not in NUMERIC:
        column = f"NULLIF({column}, '')"  # an empty text/date is no value (min/max skip it)
    return f"{function.name.upper()}({column})"


def _ordering(spec: Spec, pg: bool) -> str:
    exprs = {f["name"]: (_column(f), f["type"] in TEXT_LIKE) for f in spec.groups}
    exprs.update({f.key: (_function_sql(f), False) for f in spec.functions})
    pieces = [*spec.order, *[(f["name"], False) for f in spec.groups]]
    out: list[str] = []
    for key, descending in pieces:
        sql, text = exprs[key]
        direction = "DESC" if descending else "ASC"
        if pg:  # the same order as SQLite: bytewise text, empty (NULL) values first
            collate = ' COLLATE "C"' if text else ""
            out.append(f"{sql}{collate} {direction} NULLS {'LAST' if descending else 'FIRST'}")
        else:
            out.append(f"{sql} {direction}")
    return ", ".join(out)


def _decode(spec: Spec, raw: tuple[Any, ...]) -> dict[str, Any]:
    groups = raw[: len(spec.groups)]
    values = raw[len(spec.groups) :]
    item: dict[str, Any] = {"group": {}}
    for found, value in zip(spec.groups, groups, strict=True):
        field_type = get_field_type(found["type"])
        assert field_type is not None
        item["group"][found["name"]] = field_type.from_db(found, value)
    for function, value in zip(spec.functions, values, strict=True):
        if function.field is None:
            item["count"] = int(value)
            continue
        item.setdefault(function.name, {})[function.field["name"]] = _value(function, value)
    return item


def _value(function: Function, value: Any) -> Any:
    if function.name == "sum":
        value = value or 0
    if value is None:
        return None
    if function.field is not None and function.field["type"] in NUMERIC:
        number = float(value)
        return int(number) if number.is_integer() and function.name != "avg" else number
    return value


def aggregate(
    collection: Collection, call: Call, params: Any
) -> tuple[Page, list[dict[str, Any]], int | None]:
    """The aggregate rows (one per group) over the rows the caller may list; ``params``
    are the request's query parameters (fn, groupBy, filter, sort, page, perPage)."""
    if not call.viewer.allows(collection, "list"):  # API keys: the list scope
        raise Forbidden("The API key is not allowed to perform this action.")
    filter_text = params.get("filter")
    query = rules.list_query(collection, call.viewer, call.info(), filter_text, None)
    spec = parse_spec(collection, params, call.viewer)
    page = parse_page(params)
    table = f"{quote(naming.table_name(collection.id))} AS {quote('t')}"
    where = f" WHERE {query.where}" if query.where else ""
    group_cols = [_column(f) for f in spec.groups]
    select = ", ".join([*group_cols, *[_function_sql(f) for f in spec.functions]])
    group_by = f" GROUP BY {', '.join(group_cols)}" if group_cols else ""
    pg = connection.vendor == "postgresql"
    order = f" ORDER BY {_ordering(spec, pg)}" if group_cols or spec.order else ""
    sql = f"SELECT {select} FROM {table}{where}{group_by}{order} LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*query.params, page.per_page, page.offset])
        items = [_decode(spec, raw) for raw in cursor.fetchall()]
        total: int | None = None
        if not page.skip_total:
            if group_cols:
                cursor.execute(
                    f"SELECT COUNT(*) FROM (SELECT 1 AS one FROM {table}{where}{group_by}) g",
                    query.params,
                )
                total = int(cursor.fetchone()[0])
            else:
                total = 1
    return page, items, total


class AggregateView(ApiView):
    def get(self, request: Request, collection: str) -> Response:
        target = find_collection(collection)
        page, items, total = aggregate(target, call_of(self, request), request.query_params)
        return Response(envelope(page, items, total))
