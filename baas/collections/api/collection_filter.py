"""``?filter=`` on the collections list (wire-api §1): the same grammar, evaluated over the
handful of collection keys it allows (id, created, updated, name, type, system).

Collections are few and live in one system table, so the parsed expression is
evaluated in Python over their wire dicts rather than compiled to SQL.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from baas.api.errors import BadRequest
from baas.collections.expr import ast
from baas.collections.expr.errors import ExpressionError
from baas.collections.expr.parser import parse

FILTERABLE = {"id", "created", "updated", "name", "type", "system"}


def _value(operand: ast.Operand, item: dict[str, Any]) -> Any:
    if isinstance(operand, ast.Text):
        return operand.value
    if isinstance(operand, ast.Number):
        return operand.value
    if isinstance(operand, ast.Boolean):
        return operand.value
    if isinstance(operand, ast.Null):
        return None
    if isinstance(operand, ast.Field) and len(operand.path) == 1 and operand.path[0] in FILTERABLE:
        value = item[operand.path[0]]
        return value.lower() if operand.modifier == "lower" and isinstance(value, str) else value
    raise BadRequest()


def _like(value: Any, pattern: Any) -> bool:
    text, pattern = str(value if value is not None else "").lower(), str(pattern or "").lower()
    if "%" not in pattern:
        return pattern in text
    return fnmatch.fnmatchcase(text, pattern.replace("%", "*").replace("_", "?"))


def _compare(op: ast.Op, left: Any, right: Any) -> bool:
    base = op.base
    if base in (ast.Op.EQ, ast.Op.NEQ):
        equal = (
            (left or None) == (right or None)
            if left in ("", None) or right in ("", None)
            else left == right
        )
        return equal if base is ast.Op.EQ else not equal
    if base in (ast.Op.LIKE, ast.Op.NLIKE):
        return _like(left, right) == (base is ast.Op.LIKE)
    try:
        return {
            ast.Op.LT: left < right,
            ast.Op.LTE: left <= right,
            ast.Op.GT: left > right,
            ast.Op.GTE: left >= right,
        }[base]
    except TypeError:
        return False


def _evaluate(expr: ast.Expr, item: dict[str, Any]) -> bool:
    if isinstance(expr, ast.And):
        return all(_evaluate(child, item) for child in expr.items)
    if isinstance(expr, ast.Or):
        return any(_evaluate(child, item) for child in expr.items)
    return _compare(expr.op, _value(expr.left, item), _value(expr.right, item))


def matches(text: str, item: dict[str, Any]) -> bool:
    if not text.strip():
        raise BadRequest()
    try:
        expr = parse(text)
    except ExpressionError:
        raise BadRequest() from None
    return _evaluate(expr, item)
