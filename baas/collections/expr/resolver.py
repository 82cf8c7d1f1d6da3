"""Names -> typed operands, and expressions -> SQL, for one collection (wire-api §3.3).

A ``Scope`` compiles expressions against one collection row (alias). All scopes of one
compile share the same joins (see ``joins.py``). For client filters of non-superusers,
every joined collection must pass its own list rule: the binary adds
``(joined.id = '' OR joined.id IS NULL OR <its listRule>)`` at the top level for each
joined collection (and refuses a collection whose list rule is superusers-only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Collection
from . import ast
from . import fields as F
from .columns import rowid_order
from .compare import MultiMatch, Resolved, build_comparison
from .errors import ExpressionError, ForbiddenExpression
from .fields import CollectionCache
from .functions import call, macro_value
from .joins import ChainJoins, JoinSpec, Names, SharedJoins, Track
from .parser import MAX_RULE_LENGTH, parse
from .paths import Walk
from .render import ascii_lower, text_of
from .request import RequestInfo
from .sql import Frag, col, fmt, join, param, qn
from .values import (
    NF,
    Cls,
    Dialect,
    NumFmt,
    Value,
    go_json,
    go_string,
    keyword_int,
    null_value,
    number_literal,
    static_value,
    text_literal,
)

PLAIN_AUTH_FIELDS = frozenset(
    {"id", "collectionId", "collectionName", "email", "emailVisibility", "verified"}
)


@dataclass
class Context:
    """Everything shared by the scopes of one compile call."""

    d: Dialect
    request: RequestInfo
    collections: CollectionCache
    names: Names
    shared: SharedJoins
    now: datetime
    check_only: bool = False  # validating a rule at save time: @request.* is NULL (as the binary)
    # Set when the SQL depends on more than the schema and the signed-in record: the
    # clock (datetime macros, strftime) or the request's query, headers, body, method or
    # context. A compile that is not volatile may be reused (records/rules.py).
    volatile: bool = False


class Scope:
    def __init__(
        self,
        ctx: Context,
        collection: Collection,
        alias: str,
        *,
        allow_hidden: bool,
        allow_refs: bool,
    ) -> None:
        self.ctx = ctx
        self.collection = collection
        self.alias = alias
        self.allow_hidden = allow_hidden
        self.allow_refs = allow_refs
        self.key = ctx.names.fresh("s")
        self.rule_checks: list[Frag] = []
        self._checked: set[str] = set()
        self._aliases: dict[tuple[str, str], str] = {}  # @collection alias -> collection id
        self.last_walk: Walk | None = None  # the walk of the last resolved path (sort keys)

    # --- expressions ----------------------------------------------------------------

    def compile(self, node: ast.Expr) -> Frag:
        if isinstance(node, ast.Comparison):
            left, right = self.operand(node.left), self.operand(node.right)
            return build_comparison(self.ctx.d, left, node.op, right, self.ctx.names.fresh)
        joiner = " AND " if isinstance(node, ast.And) else " OR "
        return fmt("({})", join([self.compile(item) for item in node.items], joiner))

    def where(self, expr: Frag) -> Frag:
        """The finished condition: the expression and the list-rule checks over the shared joins."""
        condition = join([expr, *self.rule_checks], " AND ") if self.rule_checks else expr
        return self.ctx.shared.where(condition)

    def operand(self, node: ast.Operand) -> Resolved:
        d = self.ctx.d
        if isinstance(node, ast.Text):
            return Resolved(text_literal(d, node.value))
        if isinstance(node, ast.Number):
            return Resolved(number_literal(d, node.value))
        if isinstance(node, ast.Boolean):
            return Resolved(keyword_int(d, int(node.value), "1" if node.value else "0"))
        if isinstance(node, ast.Null):
            return Resolved(null_value())
        if isinstance(node, ast.Macro):
            self.ctx.volatile = True
            return Resolved(macro_value(d, node.name, self.ctx.now))
        if isinstance(node, ast.Function):
            return call(self, node)
        if isinstance(node, ast.Field):
            return self.walk(self.collection, self.main_track(), node.path, node.modifier)
        if not self.allow_refs:
            raise ForbiddenExpression(
                "@request." if isinstance(node, ast.RequestRef) else "@collection."
            )
        if isinstance(node, ast.RequestRef):
            return self.request_ref(node)
        return self.collection_ref(node)

    # --- tracks and joins -----------------------------------------------------------

    def main_track(self) -> Track:
        return Track(
            self.alias, self.ctx.shared, True, None if self.allow_hidden else self._list_rule_check
        )

    def walk(
        self, collection: Collection, main: Track, path: tuple[str, ...], modifier: str | None,
        *, chain: tuple[Track, ChainJoins] | None = None, nullify: bool = False, with_mm: bool = False,
    ) -> Resolved:  # fmt: skip
        if chain is None:
            joins = ChainJoins(self.ctx.names)
            chain = (Track(main.alias, joins, main.at_base), joins)
        walker = Walk(self, collection, main, chain[0], chain[1], nullify, with_mm)
        return walker.run(path, modifier)

    def _list_rule_check(self, collection: Collection, alias: str) -> None:
        """A client filter may only see joined records that pass their list rule."""
        rule = collection.rule("listRule")
        if rule is None:
            raise ExpressionError(f"{collection.name!r} fields can be accessed only by superusers")
        if rule == "" or alias in self._checked:
            return
        self._checked.add(alias)
        sub = Scope(self.ctx, collection, alias, allow_hidden=True, allow_refs=True)
        expr = sub.compile(parse("id='' || (\n" + rule + "\n)", max_length=MAX_RULE_LENGTH + 20))
        self.rule_checks.extend([expr, *sub.rule_checks])

    def _entry(
        self, key: tuple[Any, ...], collection: Collection, on: Frag
    ) -> tuple[Track, tuple[Track, ChainJoins]]:
        """Join a collection table (by ``on``) into the shared joins and into a fresh chain."""
        table = qn(F.table(collection))
        spec = JoinSpec(
            (key, self.key),
            lambda a: fmt(f"LEFT JOIN {table} AS {qn(a)} ON {{}}", _bind_alias(on, a)),
            collection=collection,
            order=lambda a: rowid_order(self.ctx.d, collection, a) or Frag("1"),
        )
        main = self.main_track()
        alias = main.add(spec)
        joins = ChainJoins(self.ctx.names)
        chain_alias = joins.add(spec)
        return main.moved(alias), (Track(chain_alias, joins, False), joins)

    # --- @collection -------------------------------------------------------------------

    def collection_ref(self, node: ast.CollectionRef) -> Resolved:
        other = self.ctx.collections.get(node.collection)
        if other is None:
            raise ExpressionError(f"unknown collection {node.collection!r}")
        key = ("alias", node.alias) if node.alias else ("collection", other.id)
        if self._aliases.setdefault(key, other.id) != other.id:
            raise ExpressionError(f"@collection alias {node.alias!r} used for two collections")
        main, chain = self._entry(key, other, Frag("1=1"))
        return self.walk(other, main, node.path, node.modifier, chain=chain, with_mm=True)

    # --- @request ----------------------------------------------------------------------

    def request_ref(self, node: ast.RequestRef) -> Resolved:
        if self.ctx.check_only:
            return Resolved(null_value())
        if node.kind == "auth":
            return self._auth_ref(node)
        self.ctx.volatile = True
        if node.kind == "body" and node.path:
            field = self.collection.field(node.path[0])
            if field is not None:
                special = self._body_field_ref(node, field)
                if special is not None:
                    return special
        return self.static_ref((node.kind, *node.path), node.modifier)

    def _auth_ref(self, node: ast.RequestRef) -> Resolved:
        request = self.ctx.request
        if request.auth is None:
            return Resolved(null_value())
        if (
            len(node.path) == 1 and node.path[0] in PLAIN_AUTH_FIELDS and node.modifier is None
        ) or (request.auth_collection is None):
            return self.static_ref(("auth", *node.path), node.modifier)
        collection = request.auth_collection
        on = fmt("{} = {}", Frag("{alias}.id"), param(str(request.auth.get("id", ""))))
        main, chain = self._entry(("auth",), collection, on)
        return self.walk(collection, main, node.path, node.modifier, chain=chain, nullify=True)

    def _body_field_ref(self, node: ast.RequestRef, field: dict[str, Any]) -> Resolved | None:
        name = field["name"]
        body = self.ctx.request.body or {}
        if field.get("type") == "relation" and len(node.path) > 1:
            return self._body_relation(node, field)
        if len(node.path) != 1:
            return None
        modifier = node.modifier
        if modifier == "lower":
            return Resolved(
                self._lowered(text_literal(self.ctx.d, _go_cast_string(body.get(name))))
            )
        if modifier in ("each", "length") and not F.is_multi_valuer(field):
            raise ExpressionError(f"field {name!r} doesn't support multivalue operations")
        items = _to_list(body.get(name))
        if modifier == "length":
            count = len(items)
            return Resolved(
                Value(
                    Frag(str(count)), Cls.NUM, numfmt=NumFmt.INT, literal=count, pb_ident=str(count)
                )
            )
        if modifier == "each":
            return self._body_each(field, items)
        if modifier == "changed":
            return self._body_changed(name)
        return None

    def _body_each(self, field: dict[str, Any], items: list[Any]) -> Resolved:
        d, encoded = self.ctx.d, go_json(items)

        def spec(key: tuple[Any, ...]) -> JoinSpec:
            def build(a: str) -> Frag:
                if d.pg:
                    return fmt(
                        "LEFT JOIN LATERAL jsonb_array_elements(CAST({} AS jsonb)) WITH ORDINALITY AS "
                        + qn(a) + "(value, ord) ON TRUE",
                        param(encoded),
                    )  # fmt: skip
                return fmt("LEFT JOIN json_each({}) AS " + qn(a) + " ON 1=1", param(encoded))

            return JoinSpec(key, build)

        alias = self.main_track().add(spec(("body-each", self.key, field["id"])))
        value = Value(col(alias, "value"), Cls.DYN)
        if not F.is_multiple(field):
            return Resolved(value)
        joins = ChainJoins(self.ctx.names)
        chain_alias = joins.add(spec(()))
        return Resolved(
            value, MultiMatch(joins.subquery, Value(col(chain_alias, "value"), Cls.DYN))
        )

    def _body_changed(self, name: str) -> Resolved:
        """``:changed`` = sent and different from the stored value (wire-api §3.4)."""
        sent = ast.Comparison(
            ast.RequestRef("body", (name,), "isset"), ast.Op.EQ, ast.Boolean(True)
        )
        differs = ast.Comparison(ast.RequestRef("body", (name,)), ast.Op.NEQ, ast.Field((name,)))
        cond = self.compile(ast.And((sent, differs)))
        frag = (
            fmt("(CASE WHEN {} THEN 1 WHEN NOT {} THEN 0 END)", cond, cond)
            if self.ctx.d.pg
            else cond
        )
        return Resolved(Value(frag, Cls.NUM, numfmt=NumFmt.INT, nf=NF.DISABLED))

    def _body_relation(self, node: ast.RequestRef, field: dict[str, Any]) -> Resolved:
        target = self.ctx.collections.get(field.get("collectionId", ""))
        if target is None:
            raise ExpressionError(f"missing collection of {field['name']!r}")
        ids = [
            i
            for i in dict.fromkeys(
                str(v) for v in _to_list((self.ctx.request.body or {}).get(field["name"]))
            )
            if i
        ]
        if not ids:
            return Resolved(null_value())
        on = fmt("{} IN ({})", Frag("{alias}.id"), join([param(i) for i in ids], ", "))
        main, chain = self._entry(("body-rel", field["id"]), target, on)
        return self.walk(
            target,
            main,
            node.path[1:],
            node.modifier,
            chain=chain,
            nullify=True,
            with_mm=F.is_multiple(field),
        )

    def static_ref(self, path: tuple[str, ...], modifier: str | None) -> Resolved:
        """A value known before the query runs: bound as a parameter (wire-api §3.3)."""
        found, value = _extract(self.ctx.request.static(), path)
        if modifier == "isset":
            return Resolved(keyword_int(self.ctx.d, int(found), "TRUE" if found else "FALSE"))
        if modifier not in (None, "lower"):
            raise ExpressionError(f"invalid modifier {modifier!r} for a request value")
        if isinstance(value, str):
            field = self.collection.field(path[-1])
            if field is not None and field.get("type") == "number":
                number = _go_parse_float(value)
                value = value if number is None else number
        result = static_value(self.ctx.d, value)
        if modifier == "lower" and result.cls is not Cls.NULL:
            result = self._lowered(result)
        return Resolved(result)

    def _lowered(self, value: Value) -> Value:
        """``LOWER(<bound value>)``; LIKE may re-render it with a %-wrapped value."""
        d = self.ctx.d

        def build(params: tuple[Any, ...]) -> Frag:
            return ascii_lower(d, text_of(d, static_value(d, params[0])))

        return Value(build(value.pb_params), Cls.TEXT, pb_params=value.pb_params, rebuild=build)


def _bind_alias(on: Frag, alias: str) -> Frag:
    return Frag(on.sql.replace("{alias}", qn(alias)), on.params)


def _extract(root: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    current = root
    for key in path:
        if isinstance(current, dict):
            if key not in current:
                return False, None
            current = current[key]
        elif isinstance(current, list | tuple):
            if not key.isdigit() or int(key) >= len(current):
                return False, None
            current = current[int(key)]
        else:
            return False, None
    return True, current


def _to_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _go_cast_string(value: Any) -> str:
    """``cast.ToString``: scalars print, anything else (lists, maps) becomes ''."""
    if isinstance(value, list | tuple | dict):
        return ""
    return go_string(value)


def _go_parse_float(text: str) -> float | None:
    if re.fullmatch(
        r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", text, re.IGNORECASE
    ):
        return float(text)
    return None
