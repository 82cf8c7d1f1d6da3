"""The one expression language: filters, sorts and API rules (wire-api §3, STYLE §7).

lexer -> parser (AST, cached) -> resolver (names against the schema) -> compiler
(SQL with bound parameters, for SQLite and PostgreSQL).
"""

from __future__ import annotations

from .compiler import CompiledList, check_expression, compile_filter, compile_list, compile_sort
from .errors import ExpressionError, ForbiddenExpression
from .parser import MAX_FILTER_LENGTH, parse, parse_sort
from .request import RequestInfo

__all__ = [
    "MAX_FILTER_LENGTH",
    "CompiledList",
    "ExpressionError",
    "ForbiddenExpression",
    "RequestInfo",
    "check_expression",
    "compile_filter",
    "compile_list",
    "compile_sort",
    "parse",
    "parse_sort",
]
