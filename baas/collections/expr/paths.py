"""Resolve a field path (``author.org.name``, ``tags:each``, ``comments_via_post.msg``).

Each step is applied to two tracks, like the binary's resolver runner: the *main*
track joins into the shared joins of the expression (``any`` semantics), the *chain*
track builds a private join chain listing every value (used for the ALL check of
plain operators on multi-value paths, and for sort keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..models import Collection
from . import columns
from . import fields as F
from .compare import MultiMatch, Resolved
from .errors import ExpressionError
from .joins import ChainJoins, JoinSpec, Track
from .sql import Frag, col, fmt, qn
from .values import Value, null_value

if TYPE_CHECKING:
    from .resolver import Scope

MAX_NESTED_RELATIONS = 6  # the binary's maxNestedRels
_VIA = re.compile(r"^(\w+)_via_(\w+)$", re.ASCII)


@dataclass
class Walk:
    """Walk state for one identifier."""

    scope: Scope
    collection: Collection
    main: Track
    chain: Track
    chain_joins: ChainJoins
    nullify: bool  # @request.* paths: unknown names resolve to NULL instead of an error
    with_mm: bool = False
    chain_value: Value | None = None  # the last value on the chain track (sort keys)
    masked: bool = False  # chain_value is masked for sorting (an email the caller may not see)

    @property
    def d(self) -> Any:
        return self.scope.ctx.d

    def run(self, props: tuple[str, ...], modifier: str | None) -> Resolved:
        self.scope.last_walk = self
        for i, prop in enumerate(props):
            if i == len(props) - 1:
                return self._finalize(prop, modifier)
            field = self.collection.field(prop)
            if field is not None and field.get("hidden") and not self.scope.allow_hidden:
                raise ExpressionError(f"non-filterable field {prop!r}")
            if field is not None and field.get("type") in F.JSON_TYPES:
                return self._json_path(field, props[i + 1 :], modifier)
            if i >= MAX_NESTED_RELATIONS:
                raise ExpressionError(f"max nested relations reached for {prop!r}")
            if field is None:
                if not self._back_relation(prop):
                    return Resolved(null_value())
                continue
            if field.get("type") != "relation":
                raise ExpressionError(f"field {prop!r} is not a relation")
            target = self.scope.ctx.collections.get(field.get("collectionId", ""))
            if target is None:
                raise ExpressionError(f"missing collection of {prop!r}")
            if (
                not F.is_multiple(field)
                and i == len(props) - 2
                and props[i + 1] == "id"
                and modifier is None
            ):
                return self._finalize(
                    prop, None
                )  # owner.id = owner, no join (the binary's shortcut)
            self._relation(field, target)
        raise ExpressionError("empty field path")

    # --- steps ----------------------------------------------------------------------

    def _both(self, make: Any) -> None:
        """Apply one join step to both tracks."""
        self.main = self.main.moved(make(self.main))
        self.chain = self.chain.moved(make(self.chain))

    def _relation(self, field: dict[str, Any], target: Collection) -> None:
        source = self.collection
        column = F.column(field)
        target_table = qn(F.table(target))

        def single(track: Track) -> str:
            parent = track.alias
            return track.add(
                JoinSpec(
                    ("rel", parent, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {target_table} AS {qn(a)} ON {{}} = {{}}",
                        col(a, "id"),
                        col(parent, column),
                    ),
                    collection=target,
                )
            )

        def multi(track: Track) -> str:
            parent, jt = track.alias, qn(F.join_table(source, field))
            link = track.add(
                JoinSpec(
                    ("rel-link", parent, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {jt} AS {qn(a)} ON {{}} = {{}}",
                        col(a, "record_id"),
                        col(parent, "id"),
                    ),
                    order=lambda a: col(a, "position"),
                )
            )
            return track.add(
                JoinSpec(
                    ("rel", parent, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {target_table} AS {qn(a)} ON {{}} = {{}}",
                        col(a, "id"),
                        col(link, "target_id"),
                    ),
                    collection=target,
                )
            )

        if F.is_multiple(field):
            self._both(multi)
            self.with_mm = True
        else:
            self._both(single)
        self.collection = target

    def _back_relation(self, prop: str) -> bool:
        """``<collection>_via_<field>``: records of another collection pointing here."""
        match = _VIA.match(prop)
        back = self.scope.ctx.collections.get(match.group(1)) if match else None
        field = back.field(match.group(2)) if back is not None and match else None
        if (
            back is None
            or field is None
            or field.get("type") != "relation"
            or field.get("collectionId") != self.collection.id
        ):
            if self.nullify:
                return False
            raise ExpressionError(f"invalid back relation {prop!r}")
        if field.get("hidden") and not self.scope.allow_hidden:
            raise ExpressionError(f"non-filterable back relation field {prop!r}")
        back_table, d = qn(F.table(back)), self.d

        def single(track: Track) -> str:
            parent = track.alias
            return track.add(
                JoinSpec(
                    ("back", parent, back.id, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {back_table} AS {qn(a)} ON {{}} = {{}}",
                        col(a, F.column(field)),
                        col(parent, "id"),
                    ),
                    collection=back,
                    order=lambda a: columns.rowid_order(d, back, a) or Frag("1"),
                )
            )

        def multi(track: Track) -> str:
            parent, jt = track.alias, qn(F.join_table(back, field))
            link = track.add(
                JoinSpec(
                    ("back-link", parent, back.id, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {jt} AS {qn(a)} ON {{}} = {{}}",
                        col(a, "target_id"),
                        col(parent, "id"),
                    ),
                )
            )
            return track.add(
                JoinSpec(
                    ("back", parent, back.id, field["id"]),
                    lambda a: fmt(
                        f"LEFT JOIN {back_table} AS {qn(a)} ON {{}} = {{}}",
                        col(a, "id"),
                        col(link, "record_id"),
                    ),
                    collection=back,
                    order=lambda a: columns.rowid_order(d, back, a) or Frag("1"),
                )
            )

        multiple = F.is_multiple(field)
        self._both(multi if multiple else single)
        if multiple:
            self.with_mm = True
        elif not self.with_mm:
            self.with_mm = not F.has_single_unique_index(back, field["name"])
        self.collection = back
        return True

    # --- the last name ------------------------------------------------------------------

    def _json_path(
        self, field: dict[str, Any], rest: tuple[str, ...], modifier: str | None
    ) -> Resolved:
        keys = list(rest)
        if modifier is not None:  # the binary strips ':' from path keys: j.x:lower -> key "xlower"
            keys[-1] += modifier
        value = columns.json_path_value(self.d, field, self.main.alias, keys)
        chain = columns.json_path_value(self.d, field, self.chain.alias, keys)
        return self._result(value, chain)

    def _finalize(self, name: str, modifier: str | None) -> Resolved:
        field = self.collection.field(name)
        if field is None:
            if self.nullify:
                return Resolved(null_value())
            raise ExpressionError(f"unknown field {name!r}")
        if field.get("hidden") and not self.scope.allow_hidden:
            raise ExpressionError(f"non-filterable field {name!r}")
        d, coll = self.d, self.collection
        if modifier == "length" and F.is_multi_valuer(field):
            value = columns.length_value(d, coll, field, self.main.alias)
            return self._result(value, columns.length_value(d, coll, field, self.chain.alias))
        if modifier == "each" and F.is_multi_valuer(field):
            value = columns.each_value(d, coll, field, self.main)
            self.with_mm = self.with_mm or F.is_multiple(field)
            return self._result(value, columns.each_value(d, coll, field, self.chain))
        value = columns.column_value(d, coll, field, self.main.alias, self.main.at_base)
        chain = columns.column_value(d, coll, field, self.chain.alias, self.chain.at_base)
        if modifier == "lower":
            value, chain = columns.lower_value(d, value), columns.lower_value(d, chain)
        result = self._result(value, chain)
        if name == "email" and coll.is_auth and not self.scope.allow_hidden:
            visibility = coll.field("emailVisibility")
            if visibility is not None:  # only records whose email is public (wire-api §2.2)
                flag = col(self.main.alias, F.column(visibility))
                # a sort by it must not order by emails it may not see (NULL for those)
                shown = col(self.chain.alias, F.column(visibility))
                chain_value = self.chain_value
                assert chain_value is not None
                self.chain_value = replace(
                    chain_value,
                    frag=fmt("(CASE WHEN {} = TRUE THEN {} END)", shown, chain_value.frag),
                    bare=None,
                    rebuild=None,
                )
                self.masked = True
                return Resolved(
                    result.value, result.multi, lambda e: fmt("({} AND {} = TRUE)", e, flag)
                )
        return result

    def _result(self, value: Value, chain: Value) -> Resolved:
        self.chain_value = chain
        if not self.with_mm:
            return Resolved(value)
        return Resolved(value, MultiMatch(self.chain_joins.subquery, chain))
