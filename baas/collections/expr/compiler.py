"""The public entry points: filters, sorts and rules -> SQL with bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from ..models import Collection
from . import ast
from .errors import ExpressionError, ForbiddenExpression
from .fields import CollectionCache
from .joins import Names, SharedJoins
from .parser import MAX_FILTER_LENGTH, MAX_RULE_LENGTH, parse, parse_identifier, parse_sort
from .render import pg_dyn_num, pg_dyn_rank, pg_dyn_text
from .request import RequestInfo
from .resolver import Context, Scope
from .sql import Frag, col, fmt, join, qn
from .values import Cls, Dialect, Value

SUPERUSER_ONLY_PREFIXES = ("@collection.", "@request.")  # checked in this order, like the binary


@dataclass(frozen=True)
class CompiledList:
    """WHERE and ORDER BY of a list query (list rule + client filter + sort, shared joins)."""

    where: str
    where_params: list
    order_by: list[str]
    order_params: list
    volatile: bool = False  # see resolver.Context.volatile


class Tracked:
    """Pass to ``compile_filter(track=)`` to learn whether the SQL is volatile."""

    volatile = False


def compile_filter(
    collection: Collection,
    text: str,
    request: RequestInfo,
    *,
    alias: str = "t",
    allow_request_refs: bool = True,
    allow_hidden: bool | None = None,
    max_length: int | None = None,
    track: Tracked | None = None,
) -> tuple[str, list]:
    """SQL for ``WHERE <sql>`` over ``FROM "<table>" AS "<alias>"``.

    ``allow_request_refs=False`` is the mode for client filters of non-superusers:
    ``@request.*``/``@collection.*`` raise ``ForbiddenExpression``, hidden fields are
    unknown, and every joined collection must pass its list rule.
    """
    refs = allow_request_refs
    if not refs:
        forbid_request_refs(text)
    node = parse(text, max_length=max_length or (MAX_RULE_LENGTH if refs else MAX_FILTER_LENGTH))
    ctx = new_context(collection, request)
    scope = Scope(
        ctx,
        collection,
        alias,
        allow_hidden=refs if allow_hidden is None else allow_hidden,
        allow_refs=refs,
    )
    frag = scope.where(scope.compile(node))
    if track is not None:
        track.volatile = ctx.volatile
    return frag.sql, checked_params(ctx, frag.params)


def compile_sort(
    collection: Collection,
    text: str,
    request: RequestInfo,
    *,
    alias: str = "t",
    allow_request_refs: bool | None = None,
) -> tuple[list[str], list]:
    """ORDER BY pieces (each with its direction) for ``?sort=`` (wire-api §2.1).

    For non-superusers the binary also drops rows whose sorted-by related record fails
    its list rule; ORDER BY cannot express that, ``compile_list`` does.
    """
    refs = request.is_superuser if allow_request_refs is None else allow_request_refs
    if not refs:
        forbid_request_refs(text)
    ctx = new_context(collection, request)
    scope = Scope(ctx, collection, alias, allow_hidden=refs, allow_refs=refs)
    pieces = [piece for item in parse_sort(text) for piece in sort_pieces(scope, item)]
    return [p.sql for p in pieces], checked_params(ctx, tuple(x for p in pieces for x in p.params))


def compile_list(
    collection: Collection,
    request: RequestInfo,
    *,
    rule: str | None = None,
    filter: str | None = None,
    sort: str | None = None,
    alias: str = "t",
    allow_request_refs: bool | None = None,
) -> CompiledList:
    """Everything a list query needs, sharing joins the way the binary does.

    ``rule`` is the list rule to apply (pass None for superusers or no rule);
    ``filter``/``sort`` are the client's (empty or None = none).
    """
    refs = request.is_superuser if allow_request_refs is None else allow_request_refs
    for text in (filter, sort):
        if text and not refs:
            forbid_request_refs(text)
    ctx = new_context(collection, request)
    rule_scope = Scope(ctx, collection, alias, allow_hidden=True, allow_refs=True)
    client = Scope(ctx, collection, alias, allow_hidden=refs, allow_refs=refs)
    conditions: list[Frag] = []
    if rule:
        conditions.append(rule_scope.compile(parse(rule, max_length=MAX_RULE_LENGTH)))
    if filter:
        conditions.append(client.compile(parse(filter, max_length=MAX_FILTER_LENGTH)))
    order = (
        [piece for item in parse_sort(sort) for piece in sort_pieces(client, item)] if sort else []
    )
    conditions.extend(rule_scope.rule_checks + client.rule_checks)
    where = ctx.shared.where(join(conditions, " AND ")) if conditions else Frag("(1=1)")
    return CompiledList(
        where.sql,
        list(where.params),
        [p.sql for p in order],
        [x for p in order for x in p.params],
        ctx.volatile,
    )


def check_expression(collection: Collection, text: str) -> None:
    """Validate a rule when a collection is saved: syntax and known fields.

    Like the binary, ``@request.*`` is not checked beyond its shape.
    """
    ctx = new_context(collection, RequestInfo(), check_only=True)
    scope = Scope(ctx, collection, "t", allow_hidden=True, allow_refs=True)
    scope.compile(parse(text, max_length=MAX_RULE_LENGTH))


def checked_params(ctx: Context, params: tuple) -> list:
    """PostgreSQL text cannot hold NUL: such a value is refused (SQLite would compare it)."""
    if ctx.d.pg and any(isinstance(p, str) and "\x00" in p for p in params):
        raise ExpressionError("a text value contains a NUL character")
    return list(params)


def forbid_request_refs(text: str) -> None:
    """The binary's loose check: the prefix anywhere in the text (wire-api §3.3)."""
    for prefix in SUPERUSER_ONLY_PREFIXES:
        if prefix in text:
            raise ForbiddenExpression(prefix)


def new_context(
    collection: Collection, request: RequestInfo, *, check_only: bool = False
) -> Context:
    names = Names()
    return Context(
        d=Dialect(pg=connection.vendor == "postgresql"),
        request=request,
        collections=CollectionCache(collection),
        names=names,
        shared=SharedJoins(names),
        now=datetime.now(UTC),
        check_only=check_only,
    )


# --- sort ---------------------------------------------------------------------------------


def sort_pieces(scope: Scope, item: ast.SortItem) -> list[Frag]:
    d = scope.ctx.d
    direction = "DESC" if item.descending else "ASC"
    if item.name == "@random":
        return [Frag("random()" if d.pg else "RANDOM()")]
    if item.name == "@rowid":
        rowid = Frag(f"{qn(scope.alias)}.ctid") if d.pg else col(scope.alias, "_rowid_")
        return [fmt(f"{{}} {direction}", rowid)]
    value = _sort_value(scope, item.name)
    if not d.pg:
        return [fmt(f"{{}} {direction}", value.frag)]
    nulls = "NULLS LAST" if item.descending else "NULLS FIRST"
    if value.cls is Cls.TEXT:
        return [fmt(f'{{}} COLLATE "C" {direction} {nulls}', value.frag)]
    if value.cls is Cls.DYN:
        x = value.frag
        return [
            fmt(f"{{}} {direction} {nulls}", pg_dyn_rank(x)),
            fmt(f"{{}} {direction} {nulls}", pg_dyn_num(x)),
            fmt(f'{{}} COLLATE "C" {direction} {nulls}', pg_dyn_text(x)),
        ]
    return [fmt(f"{{}} {direction} {nulls}", value.frag)]


def _sort_value(scope: Scope, name: str) -> Value:
    """A sort key is a column value; through relations, the first related row's value."""
    node = parse_identifier(name)
    scope.last_walk = None
    resolved = scope.operand(node)
    walk = scope.last_walk
    value = resolved.value
    if value.pb_params or value.cls is Cls.NULL or walk is None or walk.chain_value is None:
        raise ExpressionError(f"invalid sort field {name!r}")
    chain = walk.chain_value
    if not walk.chain_joins.frags:
        return chain if walk.masked else value
    return Value(walk.chain_joins.first(chain.frag), chain.cls, chain.aff, chain.numfmt)
