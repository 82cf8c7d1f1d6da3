"""Recursive-descent parser: text -> ``ast.Expr`` (wire-api §3.1) and sort text -> items (§2.1).

The binary joins the groups of one level in order and lets SQL precedence apply,
so ``a && b || c`` means ``(a && b) || c``; we build that tree directly. A group
written right after another item without ``&&``/``||`` is joined with the last
join operator seen (AND at first), as the binary does (``(n=1)(b=true)``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import ast
from .errors import ExpressionError
from .lexer import IDENT_BODY, IDENT_START, Kind, Token, tokenize

MAX_FILTER_LENGTH = 3500  # the binary's limit for ?filter= (wire-api §2.1)
MAX_RULE_LENGTH = 20_000  # rules are written by superusers; still bounded
MAX_DEPTH = 20  # nested parentheses
MAX_COMPARISONS = 200  # the binary's DefaultFilterExprLimit
MAX_FUNCTION_DEPTH = 3  # fexpr's maxFuncDepth
MAX_SORT_ITEMS = 8  # the binary's DefaultSortExprLimit
MAX_SORT_NAME_LENGTH = 255

_WORD = re.compile(r"^\w+$", re.ASCII)


def parse(text: str, *, max_length: int = MAX_FILTER_LENGTH) -> ast.Expr:
    """Parse a filter or rule; raise ``ExpressionError`` for anything invalid."""
    if not isinstance(text, str):
        raise ExpressionError("expression must be a string")
    if len(text) > max_length:
        raise ExpressionError(f"expression longer than {max_length} characters")
    return _parse_cached(text)


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> ast.Expr:
    try:
        return _Parser(text).parse()
    except RecursionError:  # belt and braces; MAX_DEPTH keeps us far from it
        raise ExpressionError("expression nested too deeply") from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(tokenize(text))
        self.pos = 0
        self.comparisons = 0

    def parse(self) -> ast.Expr:
        expr = self._sequence(depth=0)
        if self._peek().kind is not Kind.EOF:
            raise ExpressionError(f"unexpected {self._peek().value!r}")
        return expr

    # --- token helpers ----------------------------------------------------------

    def _peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def _next(self) -> Token:
        token = self._peek()
        self.pos += 1
        return token

    # --- expressions ------------------------------------------------------------

    def _sequence(self, depth: int) -> ast.Expr:
        """One level: items joined by && / ||, up to EOF or the closing parenthesis."""
        if depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply")
        items: list[tuple[str, ast.Expr]] = []
        join, expect_item = "&&", True
        while True:
            token = self._peek()
            if token.kind in (Kind.EOF, Kind.RPAREN):
                break
            if token.kind is Kind.LPAREN:
                items.append((join, self._group(depth)))
                expect_item = False
            elif expect_item:
                items.append((join, self._comparison()))
                expect_item = False
            elif token.kind is Kind.JOIN:
                self._next()
                join, expect_item = token.value, True
            else:
                raise ExpressionError(f"expected && or ||, got {token.value!r}")
        if expect_item:
            raise ExpressionError("empty or incomplete expression")
        return _precedence(items)

    def _group(self, depth: int) -> ast.Expr:
        self._next()  # (
        expr = self._sequence(depth + 1)
        if self._next().kind is not Kind.RPAREN:
            raise ExpressionError("missing closing parenthesis")
        return expr

    def _comparison(self) -> ast.Comparison:
        left = self._operand(MAX_FUNCTION_DEPTH)
        sign = self._next()
        if sign.kind is not Kind.SIGN:
            raise ExpressionError(f"expected an operator, got {sign.value!r}")
        right = self._operand(MAX_FUNCTION_DEPTH)
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise ExpressionError(f"more than {MAX_COMPARISONS} comparisons")
        return ast.Comparison(left, ast.Op(sign.value), right)

    # --- operands ---------------------------------------------------------------

    def _operand(self, function_depth: int) -> ast.Operand:
        token = self._next()
        if token.kind is Kind.TEXT:
            return ast.Text(token.value)
        if token.kind is Kind.NUMBER:
            return ast.Number(token.value, float(token.value))
        if token.kind is not Kind.IDENT:
            raise ExpressionError(f"expected an operand, got {token.value!r}")
        following = self._peek()
        if following.kind is Kind.LPAREN and following.start == token.end:
            return self._function(token.value, function_depth)
        return identifier_operand(token.value)

    def _function(self, name: str, depth: int) -> ast.Function:
        if depth <= 0:
            raise ExpressionError("functions nested too deeply")
        self._next()  # (
        args: list[ast.Operand] = []
        expect_comma = False
        while True:
            token = self._peek()
            if token.kind is Kind.RPAREN:
                self._next()
                return ast.Function(name, tuple(args))
            if token.kind is Kind.COMMA:
                if not expect_comma:
                    raise ExpressionError(f"unexpected comma in {name}()")
                self._next()
                expect_comma = False
                continue
            if expect_comma or token.kind not in (Kind.IDENT, Kind.NUMBER, Kind.TEXT):
                raise ExpressionError(f"invalid argument list of {name}()")
            args.append(self._operand(depth - 1))
            expect_comma = True


def _precedence(items: list[tuple[str, ast.Expr]]) -> ast.Expr:
    """Group a flat ``a && b || c`` list so that && binds tighter than ||."""
    chains: list[list[ast.Expr]] = [[]]
    for join, expr in items:
        if join == "||" and chains[-1]:
            chains.append([])
        chains[-1].append(expr)
    ands = [chain[0] if len(chain) == 1 else ast.And(tuple(chain)) for chain in chains]
    return ands[0] if len(ands) == 1 else ast.Or(tuple(ands))


# --- identifiers --------------------------------------------------------------------


def identifier_operand(literal: str) -> ast.Operand:
    """Turn an identifier token into a literal keyword, macro or field reference."""
    if literal in ast.MACROS:
        return ast.Macro(literal)
    lowered = literal.lower()
    if lowered in ("true", "false"):
        return ast.Boolean(lowered == "true")
    if lowered == "null":
        return ast.Null()
    return parse_identifier(literal)


def parse_identifier(literal: str) -> ast.Field | ast.RequestRef | ast.CollectionRef:
    """Validate a field path (PocketBase's allowed-field patterns) and split its parts."""
    if (
        not literal
        or literal[0] not in IDENT_START
        or any(ch not in IDENT_BODY for ch in literal[1:])
    ):
        raise ExpressionError(f"invalid identifier {literal!r}")
    parts = literal.split(".")
    *head, last = parts
    name, modifier = _split_modifier(last)
    if literal.startswith("@request."):
        return _request_ref(head, name, modifier, literal)
    if literal.startswith("@collection."):
        return _collection_ref(head, name, modifier, literal)
    path = (*head, name)
    if not all(_WORD.match(part) for part in path):
        raise ExpressionError(f"invalid identifier {literal!r}")
    return ast.Field(tuple(path), modifier)


def _split_modifier(part: str) -> tuple[str, str | None]:
    if ":" not in part:
        return part, None
    name, _, modifier = part.partition(":")
    if modifier not in ast.MODIFIERS:  # also rejects chained modifiers (a:each:lower)
        raise ExpressionError(f"unknown modifier in {part!r}")
    return name, modifier


def _request_ref(head: list[str], name: str, modifier: str | None, literal: str) -> ast.RequestRef:
    path = [*head[1:], name]  # drop "@request"
    kind, rest = path[0], tuple(path[1:])
    if kind in ("method", "context") and not rest and modifier is None:
        return ast.RequestRef(kind)
    if kind in ("auth", "body", "query", "headers") and rest and all(_WORD.match(p) for p in rest):
        return ast.RequestRef(kind, rest, modifier)
    raise ExpressionError(f"invalid @request identifier {literal!r}")


def _collection_ref(
    head: list[str], name: str, modifier: str | None, literal: str
) -> ast.CollectionRef:
    path = [*head[1:], name]  # drop "@collection"
    if len(path) < 2:
        raise ExpressionError(f"invalid @collection identifier {literal!r}")
    collection, _, alias = path[0].partition(":")
    rest = tuple(path[1:])
    if not _WORD.match(collection) or (":" in path[0] and not _WORD.match(alias)):
        raise ExpressionError(f"invalid @collection identifier {literal!r}")
    if not all(_WORD.match(p) for p in rest):
        raise ExpressionError(f"invalid @collection identifier {literal!r}")
    return ast.CollectionRef(collection, alias or None, rest, modifier)


# --- sort -------------------------------------------------------------------------


def parse_sort(text: str) -> list[ast.SortItem]:
    """Parse ``?sort=``: comma list, ``-`` = DESC, ``+``/none = ASC, items trimmed (§2.1)."""
    items: list[ast.SortItem] = []
    for raw in text.split(","):
        item = raw.strip()
        descending = item.startswith("-")
        name = item[1:] if descending or item.startswith("+") else item
        if not name:
            raise ExpressionError("empty sort item")
        if len(name) > MAX_SORT_NAME_LENGTH:
            raise ExpressionError("sort item too long")
        if name not in ("@random", "@rowid"):
            parse_identifier(name)  # validate early; resolution happens in the compiler
        items.append(ast.SortItem(name, descending))
    if len(items) > MAX_SORT_ITEMS:
        raise ExpressionError(f"more than {MAX_SORT_ITEMS} sort items")
    return items
