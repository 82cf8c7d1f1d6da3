"""The one expression language: filters, sorts and API rules (wire-api §3, STYLE §7).

lexer -> parser (AST, cached) -> resolver (names against the schema) -> compiler
(SQL with bound parameters, for SQLite and PostgreSQL).

Entry points (all raise ``ExpressionError``; ``ForbiddenExpression`` for the 403):

- ``compile_filter(collection, text, request, alias="t", allow_request_refs=True)``
  -> ``(sql, params)`` for ``SELECT ... FROM "c_<id>" AS "t" WHERE <sql>``. Rules use the
  default; client filters of non-superusers pass ``allow_request_refs=False``.
- ``compile_sort(collection, text, request, alias="t")`` -> ``(order_by_pieces, params)``.
- ``compile_list(collection, request, rule=, filter=, sort=)`` -> ``CompiledList``: the list
  query in one go, with the joins shared between rule, filter and sort as the binary
  shares them (prefer it for ``GET .../records``; see its docstring).
- ``check_expression(collection, text)``: validation of a rule at collection save time.

How relations and ``@collection`` compile: every reference to the same relation path or
``@collection`` alias shares one LEFT JOIN, and the whole condition is wrapped in
``EXISTS (SELECT 1 FROM <joins> WHERE <condition>)`` - any joined row may satisfy it,
which is what the binary's ``SELECT DISTINCT ... LEFT JOIN ... WHERE`` means. So
``@collection.items:o.name ?= "Apple" && @collection.items:o.id ?= id`` needs one items
row that satisfies both. Plain (non ``?``) operators on multi-value operands add the
binary's ``NOT EXISTS`` check that every value matches.
"""

from __future__ import annotations

from .compiler import (
    CompiledList,
    Tracked,
    check_expression,
    compile_filter,
    compile_list,
    compile_sort,
)
from .errors import ExpressionError, ForbiddenExpression
from .parser import MAX_FILTER_LENGTH, parse, parse_sort
from .request import RequestInfo

__all__ = [
    "MAX_FILTER_LENGTH",
    "CompiledList",
    "ExpressionError",
    "ForbiddenExpression",
    "RequestInfo",
    "Tracked",
    "check_expression",
    "compile_filter",
    "compile_list",
    "compile_sort",
    "parse",
    "parse_sort",
]
