"""One comparison ``left OP right`` -> SQL, following the binary's rules (wire-api §3.2).

The shape of each comparison is PocketBase's (tools/search/filter.go): ``=``/``!=``
use ``IS``/``IS NOT`` or an empty-string fallback depending on what each side is,
``~`` wraps a plain pattern in ``%`` and escapes it, and a multi-value operand with
a plain (non ``?``) operator adds a ``NOT EXISTS`` check that *every* value matches.
The comparisons themselves are emitted with SQLite's semantics (see ``values.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .ast import Op
from .render import (
    apply_affinity,
    ascii_lower,
    coalesce_empty,
    pg_dyn_num,
    pg_dyn_rank,
    pg_dyn_text,
    pg_let,
    pg_to_dyn,
    text_of,
)
from .sql import FALSE, TRUE, Frag, col, fmt, param, qn, raw
from .values import NF, Aff, Cls, Dialect, Value, empty_text, go_string

_ORDERING = {Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}
_LONE_ESCAPE_RE = r"(^|[^\\])(\\\\)*\\$"


@dataclass(frozen=True)
class MultiMatch:
    """Every value of a multi-value operand: ``SELECT <value> AS v FROM <joins>``."""

    select: Callable[[Frag], Frag]  # builds the subquery that selects the given value
    value: Value

    @property
    def subquery(self) -> Frag:
        return self.select(self.value.frag)

    def with_value(self, value: Value) -> MultiMatch:
        return MultiMatch(self.select, value)


@dataclass(frozen=True)
class Resolved:
    """A resolved operand: its value in the shared joins, plus the ALL-check source."""

    value: Value
    multi: MultiMatch | None = None
    after_build: Callable[[Frag], Frag] | None = None


def build_comparison(
    d: Dialect, left: Resolved, op: Op, right: Resolved, fresh: Callable[[str], str]
) -> Frag:
    expr = build_op(d, left.value, op.base, right.value)
    if not op.is_any:
        if left.multi and right.multi:
            expr = fmt("({} AND {})", expr, _many_vs_many(d, left, op.base, right, fresh))
        elif left.multi:
            expr = fmt(
                "({} AND {})", expr, _many_vs_one(d, left, op.base, right.value, False, fresh)
            )
        elif right.multi:
            expr = fmt(
                "({} AND {})", expr, _many_vs_one(d, right, op.base, left.value, True, fresh)
            )
    for side in (left, right):
        if side.after_build is not None:
            expr = side.after_build(expr)
    return expr


def build_op(d: Dialect, left: Value, op: Op, right: Value) -> Frag:
    if op is Op.EQ or op is Op.NEQ:
        return _equal(d, op is Op.EQ, left, right)
    if op is Op.LIKE or op is Op.NLIKE:
        return _like(d, left, right, negate=op is Op.NLIKE)
    return compare(d, left, _ORDERING[op], right)


# --- multi-value ALL checks -------------------------------------------------------------


def _column_of(value: Value, alias: str, nf: NF) -> Value:
    """The ``v`` column of a multi-match subquery, typed like the value it selects."""
    return Value(col(alias, "v"), value.cls, value.aff, value.numfmt, nf=nf)


def _many_vs_one(
    d: Dialect, many: Resolved, op: Op, other: Value, inverse: bool, fresh: Callable[[str], str]
) -> Frag:
    assert many.multi is not None
    alias = fresh("sm")
    item = _column_of(many.multi.value, alias, many.value.nf)
    other = replace(other, nf=NF.AUTO)  # the binary keeps only its identifier and params
    cond = build_op(d, other, op, item) if inverse else build_op(d, item, op, other)
    return fmt(
        "NOT EXISTS (SELECT 1 FROM ({}) AS {} WHERE NOT {})", many.multi.subquery, qn(alias), cond
    )


def _many_vs_many(
    d: Dialect, left: Resolved, op: Op, right: Resolved, fresh: Callable[[str], str]
) -> Frag:
    assert left.multi is not None and right.multi is not None
    la, ra = fresh("ml"), fresh("mr")
    cond = build_op(
        d,
        _column_of(left.multi.value, la, left.value.nf),
        op,
        _column_of(right.multi.value, ra, right.value.nf),
    )
    return fmt(
        "NOT EXISTS (SELECT 1 FROM ({}) AS {} LEFT JOIN ({}) AS {} ON 1=1 WHERE NOT {})",
        left.multi.subquery, qn(la), right.multi.subquery, qn(ra), cond,
    )  # fmt: skip


# --- = and != ---------------------------------------------------------------------------


def _is_empty_ident(v: Value) -> bool:
    return v.pb_ident is not None and v.pb_ident.lower() in ("", "null", "''", '""', "``")


def _has_empty_param(v: Value) -> bool:
    return any(p is None or p == "" for p in v.pb_params)


def _is_empty(v: Value) -> bool:
    return _is_empty_ident(v) or (v.nf is NF.AUTO and len(v.pb_params) == 1 and _has_empty_param(v))


def _known_non_empty(v: Value) -> bool:
    if v.nf is NF.ENFORCED:
        return False
    if v.pb_ident is not None and v.pb_ident.lower() in ("1", "0", "false", "true"):
        return True
    return bool(v.pb_params) and not _has_empty_param(v) and not _is_empty_ident(v)


def _equal(d: Dialect, equal: bool, left: Value, right: Value) -> Frag:
    op = "=" if equal else "IS NOT"
    if left.nf is NF.DISABLED or right.nf is NF.DISABLED:
        return compare(d, left, "IS" if equal else "IS NOT", right)
    left_empty, right_empty = _is_empty(left), _is_empty(right)
    if left_empty and right_empty:
        return TRUE if equal else FALSE
    if _known_non_empty(left) or _known_non_empty(right):
        if equal:
            indexed = _bare_equal(d, left, right) or _bare_equal(d, right, left)
            if indexed is not None:
                return indexed
        return compare(
            d, empty_text() if left_empty else left, op, empty_text() if right_empty else right
        )
    if left_empty or right_empty:
        other = right if left_empty else left
        pair = (empty_text(), other) if left_empty else (other, empty_text())
        null_test = "IS NULL" if equal else "IS NOT NULL"
        return fmt(
            f"({{}} {'OR' if equal else 'AND'} {{}} {null_test})",
            compare(d, pair[0], op, pair[1]),
            other.frag,
        )
    return compare(d, coalesce_empty(d, left), op, coalesce_empty(d, right))


def _bare_equal(d: Dialect, column: Value, other: Value) -> Frag | None:
    """``COALESCE(c, '') = 'x'`` as ``(c = 'x' AND c IS NOT NULL)`` when 'x' is a non-empty
    text literal: the same truth value (never NULL, so ``!`` keeps its meaning), but an
    index on ``c`` serves it (the owner rule ``author = @request.auth.id``)."""
    if column.bare is None or column.bare[0] != column.frag:
        return None
    if other.cls is not Cls.TEXT or not isinstance(other.literal, str) or other.literal == "":
        return None
    plain = Value(column.bare[1], Cls.TEXT, Aff.TEXT)
    return fmt("({} AND {} IS NOT NULL)", compare(d, plain, "=", other), column.bare[1])


# --- ~ and !~ ---------------------------------------------------------------------------


def wrap_like(pattern: str) -> str:
    """A pattern with no unescaped ``%`` becomes ``%pattern%`` with ``\\ % _`` escaped."""
    if _contains_unescaped(pattern, "%"):
        return pattern
    return "%" + _escape_unescaped(pattern, "\\%_") + "%"


def _contains_unescaped(text: str, ch: str) -> bool:
    prev = ""
    for c in text:
        if c == ch and prev != "\\":
            return True
        prev = "" if (c == "\\" and prev == "\\") else c
    return False


def _escape_unescaped(text: str, chars: str) -> str:
    """Mirror of the binary's escapeUnescapedChars (scans from the end)."""
    out: list[str] = []
    match = False
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if match:
            if c != "\\":
                out.append("\\")
            match = False
        else:
            match = c in chars
        out.append(c)
        if i == 0 and match:
            out.append("\\")
    return "".join(reversed(out))


def _like(d: Dialect, left: Value, right: Value, *, negate: bool) -> Frag:
    if right.pb_params:  # the binary wraps every bound value of the pattern side
        wrapped = tuple(wrap_like(go_string(p)) for p in right.pb_params)
        if right.is_literal:
            return _emit_like_text(d, left, wrapped[0], negate)
        if right.rebuild is not None:
            rebuilt = Value(right.rebuild(wrapped), right.cls, numfmt=right.numfmt)
            return _emit_like(d, left, text_of(d, rebuilt), negate)
    # a column (or keyword) on the right: contains-match against its text
    pattern = fmt("({} || {} || {})", param("%"), text_of(d, right), param("%"))
    return _emit_like(d, left, pattern, negate)


def _no_match(d: Dialect, left: Frag, negate: bool) -> Frag:
    """SQLite: a pattern ending in a lone escape matches nothing (PostgreSQL raises)."""
    return fmt(f"(CASE WHEN {{}} IS NULL THEN NULL ELSE {'TRUE' if negate else 'FALSE'} END)", left)


def _emit_like_text(d: Dialect, left: Value, pattern: str, negate: bool) -> Frag:
    text = text_of(d, left)
    keyword = "NOT LIKE" if negate else "LIKE"
    if not d.pg:
        return fmt(f"({{}} {keyword} {{}} ESCAPE '\\')", text, param(pattern))
    if _ends_with_lone_escape(pattern):
        return _no_match(d, text, negate)
    lowered = "".join(c.lower() if "A" <= c <= "Z" else c for c in pattern)
    return fmt(f"({{}} {keyword} {{}} ESCAPE '\\')", ascii_lower(d, text), param(lowered))


def _emit_like(d: Dialect, left: Value, pattern: Frag, negate: bool) -> Frag:
    text = text_of(d, left)
    keyword = "NOT LIKE" if negate else "LIKE"
    if not d.pg:
        return fmt(f"({{}} {keyword} {{}} ESCAPE '\\')", text, pattern)
    return pg_let(
        [text, pattern],
        lambda text, pattern: fmt(
            f"(CASE WHEN {{}} ~ {{}} THEN {{}} ELSE ({{}} {keyword} {{}} ESCAPE '\\') END)",
            pattern, param(_LONE_ESCAPE_RE), _no_match(d, text, negate),
            ascii_lower(d, text), ascii_lower(d, pattern),
        ),
    )  # fmt: skip


def _ends_with_lone_escape(pattern: str) -> bool:
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


# --- one elementary comparison ------------------------------------------------------------


def compare(d: Dialect, left: Value, op: str, right: Value) -> Frag:
    """``left op right`` with op in = IS, IS NOT, <, <=, >, >= under SQLite's rules."""
    left, right = apply_affinity(d, left, right)
    if not d.pg:
        return fmt(f"({{}} {op} {{}})", left.frag, right.frag)
    return _pg_compare(left, op, right)


def _pg_compare(a: Value, op: str, b: Value) -> Frag:
    if a.cls is Cls.NULL or b.cls is Cls.NULL:
        return _pg_null_compare(a, op, b)
    if a.cls is b.cls and a.cls in (Cls.NUM, Cls.TEXT):
        sql_op = {"IS": "IS NOT DISTINCT FROM", "IS NOT": "IS DISTINCT FROM"}.get(op, op)
        collate = ' COLLATE "C"' if a.cls is Cls.TEXT and op in ("<", "<=", ">", ">=") else ""
        return fmt(f"({{}} {sql_op} {{}}{collate})", a.frag, b.frag)
    if {a.cls, b.cls} == {Cls.NUM, Cls.TEXT}:
        return _pg_class_compare(a, op, b)
    return _pg_dyn_compare(pg_to_dyn(a), op, pg_to_dyn(b))


def _pg_null_compare(a: Value, op: str, b: Value) -> Frag:
    other = b if a.cls is Cls.NULL else a
    if op not in ("IS", "IS NOT"):
        return raw("NULL")
    if other.cls is Cls.NULL:
        return TRUE if op == "IS" else FALSE
    return fmt(f"({{}} {op} NULL)", other.frag)


_RANK_RESULT = {"=": False, "<": True, "<=": True, ">": False, ">=": False}


def _pg_class_compare(a: Value, op: str, b: Value) -> Frag:
    """A number and a text never compare equal; the number is the smaller (SQLite)."""
    if op in ("IS", "IS NOT"):
        both_null = fmt("({} IS NULL AND {} IS NULL)", a.frag, b.frag)
        return both_null if op == "IS" else fmt("(NOT {})", both_null)
    result = _RANK_RESULT[op] if a.cls is Cls.NUM else _RANK_RESULT[_flip(op)]
    value = "TRUE" if result else "FALSE"
    return fmt(
        f"(CASE WHEN {{}} IS NULL OR {{}} IS NULL THEN NULL ELSE {value} END)", a.frag, b.frag
    )


def _flip(op: str) -> str:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)


def _pg_dyn_compare(x: Frag, op: str, y: Frag) -> Frag:
    return pg_let([x, y], lambda x, y: _pg_dyn_compare_bound(x, op, y))


def _pg_dyn_compare_bound(x: Frag, op: str, y: Frag) -> Frag:
    rx, ry = pg_dyn_rank(x), pg_dyn_rank(y)
    is_op = op in ("IS", "IS NOT")
    value_op = "=" if is_op else op
    collate = ' COLLATE "C"' if op in ("<", "<=", ">", ">=") else ""
    body = fmt(
        f"WHEN {{}} <> {{}} THEN ({{}} {value_op} {{}}) WHEN {{}} = 1 THEN ({{}} {value_op} {{}})"
        f" ELSE ({{}} {value_op} {{}}{collate}) END)",
        rx, ry, rx, ry, rx, pg_dyn_num(x), pg_dyn_num(y), pg_dyn_text(x), pg_dyn_text(y),
    )  # fmt: skip
    if not is_op:
        return fmt("(CASE WHEN {} IS NULL OR {} IS NULL THEN NULL {}", rx, ry, body)
    same = fmt(
        "(CASE WHEN {} IS NULL OR {} IS NULL THEN ({} IS NULL AND {} IS NULL) {}",
        rx,
        ry,
        rx,
        ry,
        body,
    )
    return same if op == "IS" else fmt("(NOT {})", same)
