"""``POST /api/sql`` (wire-api §1): a superuser's read-only SQL over the collections.

The SDKs' ``pb.sql.run(query)``. The query is written as for the peer, with collection
and field names (``SELECT title, count(*) FROM posts GROUP BY title``), and runs the way
a view collection's query does (``baas.collections.views``): one SELECT, its tables
collections (system ones too: the caller is a superuser) or its own CTEs, ordinary
functions only; each collection is supplied as a CTE that names its physical columns
by field name, columns in name order as the peer's tables have them.

Differences from the peer, on purpose:
- **Reads only.** INSERT/UPDATE/DELETE, DDL and PRAGMA are refused (400): a raw write
  would skip the record service (rules, validation, realtime events, webhooks, files)
  and the schema's bookkeeping. Write through the records and collections APIs.
- Password hashes and ``tokenKey`` are not in the CTEs (as in view collections).
- A query runs for at most ``TIMEOUT_MS`` and answers at most ``MAX_ROWS`` rows: one
  request must not hold a worker or its memory.

The answer has the peer's shape: ``{execTime (ms), affectedRows (0), columns: [{name,
type, nullable}], rows: [[text or null, …]]}``: every value as text, as SQLite would
print it (numbers without a trailing ``.0``, booleans ``1``/``0``, JSON compact); a
column's type is the field's SQL type when the column is a field (``TEXT``,
``NUMERIC``, ``BOOLEAN``, ``JSON``), else ``""``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, ValidationFailed, field_error
from baas.collections import naming
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection

if TYPE_CHECKING:
    from sqlglot import exp

TIMEOUT_MS = 30_000
MAX_ROWS = 100_000
FAILED = "Failed to execute query. Raw error:\n{}"


def sql_type(field: dict[str, Any]) -> str:
    """The column type the peer declares for a field of this type."""
    kind = field["type"]
    field_type = get_field_type(kind)
    if kind in ("json", "geoPoint") or (field_type is not None and field_type.is_multi(field)):
        return "JSON"
    return {"number": "NUMERIC", "bool": "BOOLEAN"}.get(kind, "TEXT")


def _column(collection: Collection, field: dict[str, Any]) -> str:
    """The field's value as the peer stores it, named by the field."""
    field_type = get_field_type(field["type"])
    name = quote(field["name"])
    if field["type"] == "relation" and field_type is not None and field_type.is_multi(field):
        join = quote(naming.join_table_name(collection.id, field["id"]))
        if connection.vendor == "postgresql":
            ids = (
                f"(SELECT COALESCE(json_agg({quote('target_id')} ORDER BY {quote('position')}),"
                f" '[]'::json)::text FROM {join} WHERE {quote('record_id')} = src.{quote('id')})"
            )
        else:
            ids = (
                f"(SELECT json_group_array({quote('target_id')}) FROM (SELECT {quote('target_id')}"
                f" FROM {join} WHERE {quote('record_id')} = src.{quote('id')}"
                f" ORDER BY {quote('position')}))"
            )
        return f"{ids} AS {name}"
    column = f"src.{quote(naming.column_name(field))}"
    if field["type"] == "relation":  # an empty single relation is NULL here, "" there
        return f"COALESCE({column}, '') AS {name}"
    return f"{column} AS {name}"


def _cte(name: str, collection: Collection) -> str:
    from baas.collections.views import SECRET_FIELDS

    fields = sorted(
        (f for f in collection.fields if f["name"] not in SECRET_FIELDS),
        key=lambda f: f["name"],
    )
    columns = ", ".join(_column(collection, f) for f in fields if get_field_type(f["type"]))
    table = quote(naming.table_name(collection.id))
    return f"{quote(name)} AS (SELECT {columns} FROM {table} AS src)"


def _sources(tree: exp.Query) -> dict[str, Collection]:
    from sqlglot import exp

    from baas.collections.views import ViewQueryError

    own = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    sources: dict[str, Collection] = {}
    for table in tree.find_all(exp.Table):
        if table.name.lower() in own or table.name in sources:
            continue
        found = Collection.objects.filter(name__iexact=table.name).first()
        if found is None:
            raise ViewQueryError(f"no such table: {table.name}")
        sources[table.name] = found
    return sources


def _types(tree: exp.Query, sources: dict[str, Collection]) -> dict[str, str]:
    """Output column name → the field's SQL type, for columns that are plain fields."""
    from sqlglot import exp

    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return {}
    aliases = {
        (t.alias_or_name or t.name).lower(): sources[t.name]
        for t in select.find_all(exp.Table)
        if t.name in sources
    }
    only = next(iter(aliases.values())) if len(aliases) == 1 else None
    types: dict[str, str] = {}
    for item in select.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
            owner = aliases.get(item.table.lower()) if isinstance(item, exp.Column) else None
            for coll in [owner] if owner else aliases.values():
                for field in coll.fields:
                    types.setdefault(field["name"], sql_type(field))
            continue
        column = item.this if isinstance(item, exp.Alias) else item
        if not isinstance(column, exp.Column):
            continue
        source = aliases.get(column.table.lower()) if column.table else only
        field = source.field(column.name) if source is not None else None
        if field is not None:
            types[item.alias_or_name] = sql_type(field)
    return types


def _written(node: exp.Expression, query: str) -> str | None:
    """The text the query has for ``node`` (from the tokens' offsets), parentheses included."""
    spans = [(n.meta["start"], n.meta["end"]) for n in node.walk() if "start" in n.meta]
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans) + 1
    depth = query[start:end].count("(") - query[start:end].count(")")
    while depth > 0 and end < len(query):  # a call's closing parentheses
        char, end = query[end], end + 1
        if char == ")":
            depth -= 1
        elif not char.isspace():
            return None
    while depth < 0 and start > 0:  # a group's opening parentheses
        start -= 1
        if query[start] == "(":
            depth += 1
        elif not query[start].isspace():
            return None
    return query[start:end] if depth == 0 else None


def _name_as_written(tree: exp.Query, query: str) -> None:
    """Unnamed output expressions keep the name the database gives the text as written
    (``count(*)``), not the one it would give the regenerated SQL (``COUNT(*)``)."""
    from sqlglot import exp

    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return
    for item in list(select.expressions):
        if isinstance(item, exp.Alias | exp.Column | exp.Star):
            continue
        written = _written(item, query)
        if written:
            item.replace(exp.alias_(item.copy(), written, quoted=True))


def _text(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind == "JSON":
        loaded = json.loads(value) if isinstance(value, str | bytes) else value
        if isinstance(loaded, dict) and set(loaded) == {"lon", "lat"}:  # jsonb sorts keys
            loaded = {"lon": loaded["lon"], "lat": loaded["lat"]}
        return json.dumps(loaded, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


@contextmanager
def _bounded() -> Iterator[None]:
    """A read-only transaction that stops after TIMEOUT_MS."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {int(TIMEOUT_MS)}")
            yield
            return
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        raw = connection.connection
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)


def run(query: str) -> dict[str, Any]:
    # sqlglot (7 MB a process) loads with the first query, not with the URL configuration
    from baas.collections.views import _parse as parse_select

    tree = parse_select(query)
    sources = _sources(tree)
    _name_as_written(tree, query)
    dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    body = tree.sql(dialect=dialect)
    if sources:
        ctes = ", ".join(_cte(name, coll) for name, coll in sources.items())
        body = (
            f"WITH {ctes}, {body[5:]}"
            if body.upper().startswith("WITH ")
            else f"WITH {ctes} {body}"
        )
    types = _types(tree, sources)
    started = time.monotonic()
    with _bounded(), connection.cursor() as cursor:
        cursor.execute(body)
        names = [d[0] for d in cursor.description or []]
        fetched = cursor.fetchmany(MAX_ROWS + 1)
    if len(fetched) > MAX_ROWS:
        raise BadRequest(f"The result has more than {MAX_ROWS:,} rows: add a LIMIT.")
    kinds = [types.get(name, "") for name in names]
    return {
        "execTime": int((time.monotonic() - started) * 1000),
        "affectedRows": 0,
        "columns": [
            {"name": n, "type": k, "nullable": True} for n, k in zip(names, kinds, strict=True)
        ],
        "rows": [[_text(v, k) for v, k in zip(row, kinds, strict=True)] for row in fetched],
    }


def required_query(request: Request) -> str:
    """The body's ``query`` (this endpoint's and dry-run-view's): a non-blank string."""
    data = request.data
    if not isinstance(data, dict):
        raise BadRequest("An error occurred while loading the submitted data.")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValidationFailed(
            "An error occurred while validating the submitted data.",
            {"query": field_error("validation_required", "Cannot be blank.")},
        )
    return query


class SqlView(SuperuserView):
    def post(self, request: Request) -> Response:
        from baas.collections.views import ViewQueryError

        query = required_query(request)
        try:
            return Response(run(query))
        except ViewQueryError as exc:
            message = str(exc)
            if "single SELECT" in message:
                message = (
                    "Only a single SELECT can run here: write through the records and "
                    "collections APIs (they apply rules, validation, events and files)."
                )
            raise BadRequest(FAILED.format(message)) from exc
        except DatabaseError as exc:
            reason = "the query ran too long" if _timed_out(exc) else str(exc).strip()
            raise BadRequest(FAILED.format(reason)) from exc


def _timed_out(exc: DatabaseError) -> bool:
    text = str(exc).lower()
    return "statement timeout" in text or "interrupted" in text
