"""The syntax tree of the filter/rule language (wire-api §3.1), as frozen dataclasses.

Operands are literals, identifiers (``Field``, ``RequestRef``, ``CollectionRef``),
macros and function calls; a ``Comparison`` joins two operands with an ``Op``;
``And``/``Or`` hold two or more children (``&&`` binds tighter than ``||``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MODIFIERS = frozenset({"isset", "changed", "length", "each", "lower"})

MACROS = frozenset(
    {
        "@now",
        "@second",
        "@minute",
        "@hour",
        "@weekday",
        "@day",
        "@month",
        "@year",
        "@yesterday",
        "@tomorrow",
        "@todayStart",
        "@todayEnd",
        "@monthStart",
        "@monthEnd",
        "@yearStart",
        "@yearEnd",
    }
)


class Op(Enum):
    """A comparison operator; the ``?`` variants are the any-of forms (§3.2)."""

    EQ = "="
    NEQ = "!="
    LIKE = "~"
    NLIKE = "!~"
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    ANY_EQ = "?="
    ANY_NEQ = "?!="
    ANY_LIKE = "?~"
    ANY_NLIKE = "?!~"
    ANY_LT = "?<"
    ANY_LTE = "?<="
    ANY_GT = "?>"
    ANY_GTE = "?>="

    @property
    def is_any(self) -> bool:
        return self.value.startswith("?")

    @property
    def base(self) -> Op:
        """The operator without its any-of prefix."""
        return Op(self.value[1:]) if self.is_any else self


# --- operands -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Number:
    raw: str
    value: float


@dataclass(frozen=True)
class Boolean:
    value: bool


@dataclass(frozen=True)
class Null:
    pass


@dataclass(frozen=True)
class Macro:
    name: str


@dataclass(frozen=True)
class Field:
    """A path through the collection's fields: ``title``, ``author.name:lower``."""

    path: tuple[str, ...]
    modifier: str | None = None


@dataclass(frozen=True)
class RequestRef:
    """``@request.<kind>.<path>``; kind is auth/body/query/headers (path non-empty)
    or method/context (empty path)."""

    kind: str
    path: tuple[str, ...] = ()
    modifier: str | None = None


@dataclass(frozen=True)
class CollectionRef:
    """``@collection.<name>[:alias].<path>``: a cross join shared by alias (§3.3)."""

    collection: str
    alias: str | None
    path: tuple[str, ...]
    modifier: str | None = None


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Operand, ...]


Identifier = Field | RequestRef | CollectionRef
Operand = Text | Number | Boolean | Null | Macro | Field | RequestRef | CollectionRef | Function


# --- expressions ----------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    left: Operand
    op: Op
    right: Operand


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Comparison | And | Or


@dataclass(frozen=True)
class SortItem:
    """One ``?sort=`` key: a field path (or ``@random``/``@rowid``) and its direction."""

    name: str
    descending: bool = False
