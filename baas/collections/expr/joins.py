"""Join bookkeeping for one compile call.

``SharedJoins`` is the binary's list of LEFT JOINs on the main query: every reference
to the same relation path, ``@collection`` alias or ``@request.auth`` shares one join,
so all comparisons of an expression see the same joined row (wire-api §3.3). We put
those joins inside one ``EXISTS (SELECT 1 FROM ... WHERE <expression>)``, which is
what the binary's ``SELECT DISTINCT ... LEFT JOIN ... WHERE`` amounts to.

``ChainJoins`` are private joins for one identifier: the multi-match subquery that
lists *all* values of a multi-value operand (for the ALL check of plain operators),
or the scalar subquery that picks the value a sort key uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from ..models import Collection
from .errors import ExpressionError
from .sql import Frag, fmt, join, qn

MAX_JOINS = 48  # SQLite allows 64 tables in one join; leave room for subqueries

JoinHook = Callable[[Collection, str], None]


class Names:
    """Fresh SQL aliases, unique within one compile call."""

    def __init__(self) -> None:
        self._counter = count(1)

    def fresh(self, prefix: str) -> str:
        return f"__e{prefix}{next(self._counter)}"


@dataclass
class JoinSpec:
    """One LEFT JOIN: ``build(alias)`` gives its SQL; ``order(alias)`` its row order."""

    key: tuple[Any, ...]
    build: Callable[[str], Frag]
    collection: Collection | None = None  # a collection table (for list-rule checks)
    order: Callable[[str], Frag] | None = None


class SharedJoins:
    def __init__(self, names: Names) -> None:
        self.names = names
        self.aliases: dict[tuple[Any, ...], str] = {}
        self.frags: list[Frag] = []
        self.owners: dict[tuple[Any, ...], Collection | None] = {}

    def add(self, spec: JoinSpec, hook: JoinHook | None = None) -> str:
        alias = self.aliases.get(spec.key)
        if alias is None:
            if len(self.frags) >= MAX_JOINS:
                raise ExpressionError("too many joins")
            alias = self.names.fresh("j")
            self.aliases[spec.key] = alias
            self.frags.append(spec.build(alias))
        if spec.collection is not None and hook is not None:
            hook(spec.collection, alias)
        return alias

    def where(self, condition: Frag) -> Frag:
        """The condition evaluated over the shared joins (any joined row may satisfy it)."""
        if not self.frags:
            return condition
        return fmt(
            "EXISTS (SELECT 1 FROM (SELECT 1 AS {}) AS {} {} WHERE {})",
            qn("x"), qn(self.names.fresh("b")), join(self.frags, " "), condition,
        )  # fmt: skip


@dataclass
class ChainJoins:
    names: Names
    frags: list[Frag] = field(default_factory=list)
    order: list[Frag] = field(default_factory=list)

    def add(self, spec: JoinSpec, hook: JoinHook | None = None) -> str:
        if len(self.frags) >= MAX_JOINS:
            raise ExpressionError("too many joins")
        alias = self.names.fresh("m")
        self.frags.append(spec.build(alias))
        if spec.order is not None:
            self.order.append(spec.order(alias))
        return alias

    def subquery(self, value: Frag) -> Frag:
        """``SELECT <value> AS v FROM <chain>`` (correlated with the outer query)."""
        return fmt(
            "SELECT {} AS {} FROM (SELECT 1 AS {}) AS {} {}",
            value, qn("v"), qn("x"), qn(self.names.fresh("b")), join(self.frags, " "),
        )  # fmt: skip

    def first(self, value: Frag) -> Frag:
        """The value from the first joined row (relation order), as a scalar subquery."""
        if not self.frags:
            return value
        order = fmt(" ORDER BY {}", join(self.order, ", ")) if self.order else Frag("")
        return fmt(
            "(SELECT {} FROM (SELECT 1 AS {}) AS {} {}{} LIMIT 1)",
            value, qn("x"), qn(self.names.fresh("b")), join(self.frags, " "), order,
        )  # fmt: skip


@dataclass
class Track:
    """Where a path walk stands: the current table alias and where joins go."""

    alias: str
    sink: SharedJoins | ChainJoins
    at_base: bool  # the alias is the row being filtered (it always exists)
    hook: JoinHook | None = None

    def add(self, spec: JoinSpec) -> str:
        return self.sink.add(spec, self.hook)

    def moved(self, alias: str) -> Track:
        return Track(alias, self.sink, False, self.hook)
