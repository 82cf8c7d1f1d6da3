"""Resolvers: every read and write goes through ``RecordService`` with the caller's ``Call``.

A resolved record is a ``Node``: the record as ``serialize`` shapes it for the caller
(what REST would return), in a ``Batch`` with the records resolved beside it, so that a
nested relation is fetched once for the whole batch (one query for the rows, one for
the target's view rule), not once per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from graphql import GraphQLResolveInfo

from baas.api.errors import NotFound
from baas.api.listing import parse_page
from baas.collections.models import Collection
from baas.collections.records import RecordService
from baas.collections.records.expand import MAX_BACK, _backward, _forward
from baas.collections.records.payload import from_request
from baas.collections.records.serialize import serialize
from baas.collections.records.service import Call


@dataclass
class Context:
    """``info.context``: who is asking (the same ``Call`` REST builds)."""

    call: Call

    @property
    def nested(self) -> Call:
        """Nested relations are checked like ``?expand=`` (``@request.context = "expand"``)."""
        return replace(self.call, context="expand")


@dataclass(eq=False)
class Batch:
    nodes: list[Node] = field(default_factory=list)
    resolved: dict[str, dict[str, list[Node]]] = field(default_factory=dict)


@dataclass(eq=False)
class Node:
    collection: Collection
    item: dict[str, Any]  # serialize()'s output for the caller
    batch: Batch


def nodes_of(collection: Collection, items: list[dict[str, Any]]) -> list[Node]:
    batch = Batch()
    batch.nodes = [Node(collection, item, batch) for item in items]
    return batch.nodes


def _context(info: GraphQLResolveInfo) -> Context:
    return info.context  # type: ignore[no-any-return]


# ---- root queries ----------------------------------------------------------------------


def list_records(collection: Collection) -> Any:
    def resolve(
        root: Any,
        info: GraphQLResolveInfo,
        filter: str | None = None,
        sort: str | None = None,
        search: str | None = None,
        page: int | None = None,
        perPage: int | None = None,
        skipTotal: bool | None = None,
    ) -> dict[str, Any]:
        call = _context(info).call
        query = {"page": page, "perPage": perPage, "skipTotal": "true" if skipTotal else None}
        paging = parse_page({k: str(v) for k, v in query.items() if v is not None})  # type: ignore[arg-type]
        rows, total = RecordService().list_records(
            collection,
            call,
            filter_text=filter,
            sort_text=sort,
            page=paging,
            search_text=search,
        )
        items = nodes_of(collection, [serialize(collection, row, call.viewer) for row in rows])
        pages = -1 if total is None else (total + paging.per_page - 1) // paging.per_page
        return {
            "page": paging.page,
            "perPage": paging.per_page,
            "totalItems": -1 if total is None else total,
            "totalPages": pages,
            "items": items,
        }

    return resolve


def view_record(collection: Collection) -> Any:
    def resolve(root: Any, info: GraphQLResolveInfo, id: str) -> Node | None:
        call = _context(info).call
        try:
            row = RecordService().get_record(collection, id, call)
        except NotFound:
            return None  # like REST's 404: missing and hidden look the same
        return nodes_of(collection, [serialize(collection, row, call.viewer)])[0]

    return resolve


# ---- fields of a record --------------------------------------------------------------------


def value_of(name: str) -> Any:
    def resolve(node: Node, info: GraphQLResolveInfo) -> Any:
        return node.item.get(name)

    return resolve


def related(relation: dict[str, Any], target: Collection, multi: bool) -> Any:
    """A relation field as nested record(s) the caller may view (others are left out)."""
    name = relation["name"]

    def resolve(node: Node, info: GraphQLResolveInfo) -> Any:
        if name not in node.batch.resolved:
            node.batch.resolved[name] = _forward_batch(node.batch, name, relation, target, info)
        found = node.batch.resolved[name].get(node.item["id"], [])
        return found if multi else (found[0] if found else None)

    return resolve


def _forward_batch(
    batch: Batch, name: str, relation: dict[str, Any], target: Collection, info: GraphQLResolveInfo
) -> dict[str, list[Node]]:
    # Only what serialize() left in: a hidden relation field is not followed.
    sources = [{"id": n.item["id"], name: n.item[name]} for n in batch.nodes if name in n.item]
    return _visible(target, _forward(target, relation, sources), info)


def back_related(other: Collection, relation: dict[str, Any]) -> Any:
    """``<other>_via_<field>``: records of ``other`` whose relation points here."""
    key = f"{other.id}:{relation['id']}"

    def resolve(node: Node, info: GraphQLResolveInfo) -> list[Node]:
        if relation.get("hidden") and not _context(info).call.viewer.is_superuser:
            return []
        if key not in node.batch.resolved:
            sources = [{"id": n.item["id"]} for n in node.batch.nodes]
            node.batch.resolved[key] = _visible(other, _backward(other, relation, sources), info)
        return node.batch.resolved[key].get(node.item["id"], [])[:MAX_BACK]

    return resolve


def _visible(
    target: Collection, found: dict[str, list[dict[str, Any]]], info: GraphQLResolveInfo
) -> dict[str, list[Node]]:
    """Keep the target rows the caller may view (view rule, API-key scope), as Nodes."""
    call = _context(info).nested
    rows = {r["id"]: r for group in found.values() for r in group}
    visible: set[str] = set()
    if call.viewer.allows(target, "view"):
        visible = RecordService().visible_ids(target, list(rows), call)
    kept = [rows[i] for i in rows if i in visible]
    nodes = {
        node.item["id"]: node
        for node in nodes_of(target, [serialize(target, r, call.viewer) for r in kept])
    }
    return {
        source: [nodes[r["id"]] for r in group if r["id"] in nodes]
        for source, group in found.items()
    }


# ---- mutations -----------------------------------------------------------------------------


def _result(collection: Collection, row: dict[str, Any], call: Call) -> Node:
    return nodes_of(collection, [serialize(collection, row, call.viewer)])[0]


def create_record(collection: Collection) -> Any:
    def resolve(root: Any, info: GraphQLResolveInfo, data: dict[str, Any]) -> Node:
        call = replace(_context(info).call, method="POST")
        row = RecordService().create_record(collection, from_request(dict(data)), call)
        return _result(collection, row, call)

    return resolve


def update_record(collection: Collection) -> Any:
    def resolve(root: Any, info: GraphQLResolveInfo, id: str, data: dict[str, Any]) -> Node:
        call = replace(_context(info).call, method="PATCH")
        row = RecordService().update_record(collection, id, from_request(dict(data)), call)
        return _result(collection, row, call)

    return resolve


def delete_record(collection: Collection) -> Any:
    def resolve(root: Any, info: GraphQLResolveInfo, id: str) -> bool:
        call = replace(_context(info).call, method="DELETE")
        RecordService().delete_record(collection, id, call)
        return True

    return resolve


# ---- subscriptions ---------------------------------------------------------------------------


def event(root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The root value of a subscription event is the event (``ws`` builds it)."""
    return root
