"""Depth and complexity limits, as graphql-core validation rules (docs/graphql.md).

- Depth: the longest chain of nested field selections (fragments followed);
  introspection fields (``__schema``, ``__type``, ``__typename``) do not count.
- Complexity: every field costs 1; a field's selections cost again for every item it
  may return: ``items`` of a list query by its ``perPage`` (a literal or a variable;
  default 30, at most 1000, as REST pages), a to-many relation or back-relation by
  ``RELATION_FACTOR``.

Limits come from the Django settings ``BAAS_GRAPHQL_MAX_DEPTH`` and
``BAAS_GRAPHQL_MAX_COMPLEXITY``; a document over either is refused before anything runs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from baas.api.listing import DEFAULT_PER_PAGE, MAX_PER_PAGE

DEFAULT_MAX_DEPTH = 10
DEFAULT_MAX_COMPLEXITY = 50_000
RELATION_FACTOR = 10


def max_depth() -> int:
    return int(getattr(settings, "BAAS_GRAPHQL_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def max_complexity() -> int:
    return int(getattr(settings, "BAAS_GRAPHQL_MAX_COMPLEXITY", DEFAULT_MAX_COMPLEXITY))


class DepthLimit(ValidationRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.memo: dict[str, int] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = self._depth(node.selection_set, set())
        if depth > max_depth():
            self.report_error(
                GraphQLError(f"The query is too deep: {depth} levels, at most {max_depth()}.", node)
            )

    def _depth(self, selection_set: SelectionSetNode | None, path: set[str]) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                deepest = max(deepest, 1 + self._depth(selection.selection_set, path))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self._depth(selection.selection_set, path))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment_depth(selection.name.value, path))
        return deepest

    def _fragment_depth(self, name: str, path: set[str]) -> int:
        if name in path:
            return 0  # a cycle: NoFragmentCyclesRule reports it
        if name not in self.memo:
            fragment = self.context.get_fragment(name)
            self.memo[name] = self._depth(fragment.selection_set, path | {name}) if fragment else 0
        return self.memo[name]


def complexity_rule(variables: dict[str, Any] | None) -> type[ValidationRule]:
    """The complexity rule for one request (``perPage`` may be a variable)."""
    values = variables or {}

    class ComplexityLimit(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.memo: dict[tuple[str, int], int] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            cost = self._cost(node.selection_set, root, DEFAULT_PER_PAGE, set())
            if cost > max_complexity():
                self.report_error(
                    GraphQLError(
                        f"The query is too complex: a cost of {cost}, at most {max_complexity()}.",
                        node,
                    )
                )

        def _cost(
            self, selection_set: SelectionSetNode | None, parent: Any, per_page: int, path: set[str]
        ) -> int:
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self._field_cost(selection, parent, per_page, path)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    kind = self.context.schema.get_type(condition.name.value) if condition else None
                    total += self._cost(selection.selection_set, kind or parent, per_page, path)
                elif isinstance(selection, FragmentSpreadNode):
                    total += self._fragment_cost(selection.name.value, per_page, path)
            return total

        def _field_cost(self, node: FieldNode, parent: Any, per_page: int, path: set[str]) -> int:
            name = node.name.value
            if name.startswith("__"):
                return 0
            definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
            if definition is None:
                return 1  # an unknown field: FieldsOnCorrectTypeRule reports it
            inner = _per_page(node, values) if "perPage" in definition.args else per_page
            factor = 1
            if is_list_type(get_nullable_type(definition.type)) and node.selection_set:
                factor = per_page if name == "items" else RELATION_FACTOR
            named = get_named_type(definition.type)
            return 1 + factor * self._cost(node.selection_set, named, inner, path)

        def _fragment_cost(self, name: str, per_page: int, path: set[str]) -> int:
            if name in path:
                return 0
            key = (name, per_page)
            if key not in self.memo:
                fragment = self.context.get_fragment(name)
                kind = (
                    self.context.schema.get_type(fragment.type_condition.name.value)
                    if fragment
                    else None
                )
                self.memo[key] = (
                    self._cost(fragment.selection_set, kind, per_page, path | {name})
                    if fragment
                    else 0
                )
            return self.memo[key]

    return ComplexityLimit


def _per_page(node: FieldNode, variables: dict[str, Any]) -> int:
    value: Any = None
    for argument in node.arguments or ():
        if argument.name.value != "perPage":
            continue
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)
