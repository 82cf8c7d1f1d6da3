"""View collections: a read-only collection defined by one SELECT over other collections.

The query is written with collection and field names. It is parsed with sqlglot and
accepted only when it is a single SELECT whose tables are non-system collections (or
its own CTEs) and whose functions are ordinary ones. Each referenced collection is
supplied as a CTE that renames physical columns back to field names (secrets left
out), and the database view renames the output to physical names again, so the
records API treats a view like any other collection.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from django.db import DatabaseError, connection, transaction
from sqlglot import exp

from baas.collections import naming
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.fields.base import default_field_id
from baas.collections.models import Collection

SECRET_FIELDS = {"password", "tokenKey"}
ALLOWED_ANONYMOUS = {
    "json_extract",
    "json_array_length",
    "strftime",
    "date",
    "datetime",
    "julianday",
    "ifnull",
    "nullif",
    "iif",
    "instr",
    "printf",
    "replace",
    "round",
    "abs",
    "total",
    "group_concat",
    "substr",
    "trim",
    "ltrim",
    "rtrim",
    "lower",
    "upper",
    "length",
}


class ViewQueryError(ValueError):
    pass


def _parse(query: str) -> exp.Query:
    if not query or not query.strip():
        raise ViewQueryError("the query is empty")
    try:
        statements = [s for s in sqlglot.parse(query, read="sqlite") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ViewQueryError("syntax error") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ViewQueryError("only a single SELECT statement is allowed")
    tree = statements[0]
    for node in tree.walk():
        if isinstance(node, exp.DML | exp.DDL | exp.Command | exp.Pragma):
            raise ViewQueryError("only a single SELECT statement is allowed")
        if isinstance(node, exp.Anonymous) and node.name.lower() not in ALLOWED_ANONYMOUS:
            raise ViewQueryError(f"function {node.name} is not allowed")
    return tree


def _sources(tree: exp.Query, own_id: str | None) -> dict[str, Collection]:
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names = {
        table.name for table in tree.find_all(exp.Table) if table.name.lower() not in cte_names
    }
    sources: dict[str, Collection] = {}
    for name in names:
        found = Collection.objects.filter(name__iexact=name).first()
        if found is None or name.startswith("_") or found.id == own_id:
            raise ViewQueryError(f"no such collection: {name}")
        sources[name] = found
    return sources


def _cte(name: str, collection: Collection) -> str:
    columns = []
    for field in collection.fields:
        field_type = get_field_type(field["type"])
        if field["name"] in SECRET_FIELDS or field_type is None:
            continue
        if field["type"] == "relation" and field_type.is_multi(field):
            continue
        columns.append(f"{quote(naming.column_name(field))} AS {quote(field['name'])}")
    return f"{quote(name)} AS (SELECT {', '.join(columns)} FROM {quote(naming.table_name(collection.id))})"


def _user_sql(tree: exp.Query, sources: dict[str, Collection]) -> str:
    dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    body = tree.sql(dialect=dialect)
    ctes = ", ".join(_cte(name, coll) for name, coll in sources.items())
    if not ctes:
        return body
    if body.upper().startswith("WITH "):
        return f"WITH {ctes}, {body[5:]}"
    return f"WITH {ctes} {body}"


def _output_columns(tree: exp.Query) -> list[tuple[str, exp.Expression]]:
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        raise ViewQueryError("no SELECT found")
    out = []
    for expression in select.expressions:
        if isinstance(expression, exp.Star) or (
            isinstance(expression, exp.Column) and expression.is_star
        ):
            raise ViewQueryError("list the columns instead of *")
        out.append((expression.alias_or_name, expression))
    return out


def _infer_field(
    name: str, expression: exp.Expression, sources: dict[str, Collection], tree: exp.Query
) -> dict[str, Any]:
    inner = expression.this if isinstance(expression, exp.Alias) else expression
    if isinstance(inner, exp.Column):
        candidates = list(sources.values())
        if inner.table:
            alias_map = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
            source_name = alias_map.get(inner.table, inner.table)
            candidates = [c for n, c in sources.items() if n == source_name]
        for collection in candidates:
            source = collection.field(inner.name)
            if source is not None:
                field = dict(source, name=name, system=False, hidden=False)
                field["id"] = default_field_id(source["type"], name)
                if name == "id":
                    field.update(primaryKey=True, system=True)
                return field
    if isinstance(inner, exp.Count | exp.Sum | exp.Avg | exp.Min | exp.Max):
        field_type = get_field_type("number")
        assert field_type is not None
        return field_type.normalize({"name": name})
    json_type = get_field_type("json")
    assert json_type is not None
    return json_type.normalize({"name": name})


def infer_fields(schema: Any) -> list[dict[str, Any]]:
    """The view's fields, checked by running the query once (LIMIT 0)."""
    tree = _parse(schema.options.get("viewQuery", ""))
    sources = _sources(tree, schema.id)
    outputs = _output_columns(tree)
    names = [name for name, _ in outputs]
    if "id" not in names:
        raise ViewQueryError("the query must select an id column")
    if len({n.lower() for n in names}) != len(names):
        raise ViewQueryError("duplicated column names")
    fields = [_infer_field(name, expression, sources, tree) for name, expression in outputs]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({_user_sql(tree, sources)}) q LIMIT 0")
    except DatabaseError as exc:
        raise ViewQueryError(str(exc).splitlines()[0][:200]) from exc
    return fields


def create_view(collection: Collection) -> None:
    tree = _parse(collection.options.get("viewQuery", ""))
    sources = _sources(tree, collection.id)
    select = ", ".join(
        f"q.{quote(field['name'])} AS {quote(naming.column_name(field))}"
        for field in collection.fields
    )
    sql = f"CREATE VIEW {quote(naming.table_name(collection.id))} AS SELECT {select} FROM ({_user_sql(tree, sources)}) q"
    with connection.cursor() as cursor:
        cursor.execute(sql)


def drop_view(collection: Collection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {quote(naming.table_name(collection.id))}")


def references(view: Collection, name: str) -> bool:
    try:
        tree = _parse(view.options.get("viewQuery", ""))
    except ViewQueryError:
        return False
    return any(t.name.lower() == name.lower() for t in tree.find_all(exp.Table))


def rename_table(query: str, old: str, new: str) -> str:
    """The view query with collection ``old`` renamed to ``new`` (after a collection rename)."""
    tree = _parse(query)
    for table in tree.find_all(exp.Table):
        if table.name.lower() == old.lower():
            table.set("this", exp.to_identifier(new))
    return tree.sql(dialect="sqlite")
