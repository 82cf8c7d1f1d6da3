"""Collection indexes: the wire keeps SQLite-style ``CREATE [UNIQUE] INDEX`` text written
with field names; the database gets the same index on physical names (STYLE §3).

Parsed with sqlglot; only columns of the collection, a few functions and simple
``WHERE`` predicates are accepted, so index text can never reach other tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from baas.api.errors import field_error
from baas.collections import naming
from baas.collections.ddl import quote

ALLOWED_FUNCTIONS = (exp.Lower, exp.Upper, exp.Length, exp.Coalesce, exp.Trim)
ALLOWED_NODES = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Not,
    exp.And,
    exp.Or,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.Ordered,
    exp.Collate,
    exp.Var,
    exp.Neg,
    exp.Where,
    *ALLOWED_FUNCTIONS,
)


class IndexError_(ValueError):
    pass


@dataclass
class IndexSpec:
    name: str
    unique: bool
    expression: exp.Create
    sql: str


def parse_index(sql: str) -> IndexSpec:
    try:
        statements = sqlglot.parse(sql, read="sqlite")
    except sqlglot.errors.ParseError as exc:
        raise IndexError_("Invalid index statement.") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Create):
        raise IndexError_("Expected one CREATE INDEX statement.")
    create = statements[0]
    index = create.this
    if create.args.get("kind") != "INDEX" or not isinstance(index, exp.Index) or not index.this:
        raise IndexError_("Expected one CREATE INDEX statement.")
    params = index.args.get("params")
    if params is None or not params.args.get("columns"):
        raise IndexError_("The index has no columns.")
    for node in params.walk():
        if node is not params and not isinstance(node, ALLOWED_NODES):
            raise IndexError_(f"Unsupported index expression: {node.key}.")
    return IndexSpec(
        name=index.this.name, unique=bool(create.args.get("unique")), expression=create, sql=sql
    )


def referenced_names(spec: IndexSpec) -> set[str]:
    return {column.name for column in spec.expression.this.args["params"].find_all(exp.Column)}


def rename_references(sql: str, renames: dict[str, str], collection_name: str) -> str:
    """Rewrite an index's field (and table) names after renames, keeping its text style."""
    spec = parse_index(sql)
    create = spec.expression.copy()

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in renames:
            return exp.column(exp.to_identifier(renames[node.name], quoted=True))
        return node

    params = create.this.args["params"].transform(swap)
    create.this.set("params", params)
    create.this.set("table", exp.Table(this=exp.to_identifier(collection_name, quoted=True)))
    return create.sql(dialect="sqlite")


def physical_sql(
    spec: IndexSpec, collection_id: str, fields_by_name: dict[str, dict[str, Any]], vendor: str
) -> str:
    """The DDL for the database, or IndexError_ naming what is wrong."""
    from baas.collections.fields import get_field_type

    params = spec.expression.this.args["params"].copy()
    for column in list(params.find_all(exp.Column)):
        field = fields_by_name.get(column.name)
        if field is None:
            raise IndexError_(f"no such column: {column.name}")
        field_type = get_field_type(field["type"])
        if field_type is not None and field["type"] == "relation" and field_type.is_multi(field):
            raise IndexError_(f"multiple relation field {column.name} cannot be indexed")
        column.replace(exp.column(exp.to_identifier(naming.column_name(field), quoted=True)))
    dialect = "postgres" if vendor == "postgresql" else "sqlite"
    if dialect == "postgres":
        for collate in list(params.find_all(exp.Collate)):
            collate.replace(exp.Lower(this=collate.this.copy()))
    columns = ", ".join(node.sql(dialect=dialect) for node in params.args["columns"])
    where = params.args.get("where")
    unique = "UNIQUE " if spec.unique else ""
    name = naming.index_name(collection_id, spec.name)
    sql = f"CREATE {unique}INDEX {quote(name)} ON {quote(naming.table_name(collection_id))} ({columns})"
    if where is not None:
        sql += " " + where.sql(dialect=dialect)
    return sql


def drop_sql(collection_id: str, name: str) -> str:
    return f"DROP INDEX IF EXISTS {quote(naming.index_name(collection_id, name))}"


def validate_indexes(
    indexes: list[str], fields: list[dict[str, Any]], vendor: str, collection_id: str
) -> tuple[list[IndexSpec], dict[str, Any]]:
    specs: list[IndexSpec] = []
    errors: dict[str, Any] = {}
    by_name = {f["name"]: f for f in fields}
    seen: set[str] = set()
    for position, sql in enumerate(indexes):
        try:
            spec = parse_index(sql)
            if spec.name.lower() in seen:
                raise IndexError_(f"duplicated index name {spec.name}")
            physical_sql(spec, collection_id, by_name, vendor)
        except IndexError_ as exc:
            errors[str(position)] = field_error(
                "validation_invalid_index_expression", f"Invalid index: {exc}"
            )
            continue
        seen.add(spec.name.lower())
        specs.append(spec)
    return specs, errors


def unique_fields(specs: list[IndexSpec]) -> set[str]:
    """Field names that have a single-column UNIQUE index (identity fields need one)."""
    out = set()
    for spec in specs:
        columns = spec.expression.this.args["params"].args["columns"]
        if spec.unique and len(columns) == 1:
            names = referenced_names(spec)
            if len(names) == 1:
                out |= names
    return out
