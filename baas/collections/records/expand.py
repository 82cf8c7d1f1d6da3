"""``?expand=`` (wire-api §2.3): relations and back-relations, each checked against the
target collection's view rule with ``@request.context = "expand"``; up to 6 levels."""

from __future__ import annotations

from typing import Any

from baas.collections import naming
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.models import Collection
from baas.collections.records import rows as row_io
from baas.collections.records.serialize import serialize

MAX_DEPTH = 6
MAX_BACK = 1000


def _tree(spec: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in spec.split(","):
        parts = [p.strip() for p in path.strip().split(".") if p.strip()][:MAX_DEPTH]
        node = tree
        for part in parts:
            node = node.setdefault(part, {})
    return tree


def expand_rows(
    collection: Collection,
    rows: list[dict[str, Any]],
    items: list[dict[str, Any]],
    spec: str,
    call: Any,
) -> None:
    from dataclasses import replace

    expand_call = replace(call, context="expand")
    _expand(collection, rows, items, _tree(spec), expand_call)


def _expand(
    collection: Collection,
    rows: list[dict[str, Any]],
    items: list[dict[str, Any]],
    tree: dict[str, Any],
    call: Any,
) -> None:
    resolved_paths = [
        (name, subtree, _resolve(collection, name, call.viewer)) for name, subtree in tree.items()
    ]
    resolved_paths = [(n, s, r) for n, s, r in resolved_paths if r is not None]
    if not resolved_paths:
        return  # wire-api §9: only unknown names leave ``expand`` out
    for item in items:
        item.setdefault("expand", {})
    for name, subtree, resolved in resolved_paths:
        assert resolved is not None
        target, fetcher = resolved
        related = fetcher(rows)  # {source id: [target rows]}
        all_targets = {r["id"]: r for group in related.values() for r in group}
        from baas.collections.records.service import RecordService

        visible: set[str] = set()
        if call.viewer.allows(target, "view"):  # an API key's scope
            visible = RecordService().visible_ids(target, list(all_targets), call)
        target_rows = [r for rid, r in all_targets.items() if rid in visible]
        target_items = {r["id"]: serialize(target, r, call.viewer) for r in target_rows}
        if subtree:
            _expand(
                target, target_rows, [target_items[r["id"]] for r in target_rows], subtree, call
            )
        multi = _is_multi(collection, name)
        for row, item in zip(rows, items, strict=True):
            found = [
                target_items[r["id"]] for r in related.get(row["id"], []) if r["id"] in target_items
            ]
            if multi:
                if found:
                    item["expand"][name] = found
            elif found:
                item["expand"][name] = found[0]


def _is_multi(collection: Collection, name: str) -> bool:
    field = collection.field(name)
    if field is not None:
        return is_join_field(field)
    return True  # back-relations are lists


def _resolve(collection: Collection, name: str, viewer: Any) -> tuple[Collection, Any] | None:
    """The target and fetcher of a relation or back-relation; None for an unknown name,
    and for a hidden relation field unless the caller is a superuser (hidden fields
    look unknown, as in filters)."""
    field = collection.field(name)
    if field is not None:
        if field["type"] != "relation" or (field.get("hidden") and not viewer.is_superuser):
            return None
        target = Collection.objects.filter(id=field["collectionId"]).first()
        if target is None:
            return None
        return target, lambda rows: _forward(target, field, rows)
    if "_via_" not in name:
        return None
    other_name, _, field_name = name.partition("_via_")
    other = Collection.objects.filter(name__iexact=other_name).first()
    if other is None:
        return None
    back = other.field(field_name)
    if back is None or back["type"] != "relation" or back.get("collectionId") != collection.id:
        return None
    if back.get("hidden") and not viewer.is_superuser:
        return None
    return other, lambda rows: _backward(other, back, rows)


def _forward(
    target: Collection, field: dict[str, Any], rows: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    wanted: dict[str, list[str]] = {}
    for row in rows:
        value = row.get(field["name"])
        wanted[row["id"]] = value if isinstance(value, list) else ([value] if value else [])
    ids = sorted({i for group in wanted.values() for i in group})
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    found = {
        r["id"]: r for r in row_io.fetch(target, f"{quote('t')}.{quote('id')} IN ({marks})", ids)
    }
    return {rid: [found[i] for i in group if i in found] for rid, group in wanted.items()}


def _backward(
    other: Collection, field: dict[str, Any], rows: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    ids = [row["id"] for row in rows]
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    if is_join_field(field):
        join = quote(naming.join_table_name(other.id, field["id"]))
        where = f"{quote('t')}.{quote('id')} IN (SELECT record_id FROM {join} WHERE target_id IN ({marks}))"
    else:
        where = f"{quote('t')}.{quote(naming.column_name(field))} IN ({marks})"
    found = row_io.fetch(other, where, ids, limit=MAX_BACK * len(ids))
    out: dict[str, list[dict[str, Any]]] = {}
    for record in found:
        value = record.get(field["name"])
        for target_id in value if isinstance(value, list) else [value]:
            if (
                isinstance(target_id, str)
                and target_id in ids
                and len(out.setdefault(target_id, [])) < MAX_BACK
            ):
                out[target_id].append(record)
    return out
