"""Loading collections for both imports, through ``SchemaService`` only.

Upserted by id in three passes, so that relations, rules and indexes may point anywhere
(cycles included): every missing collection as a skeleton (no relation fields, no
rules), then every base and auth collection in full, then the views. What this instance
refuses is left out and reported: a rule becomes superusers-only, an index or a field is
dropped, an auth option keeps our default; a collection refused as a whole is skipped.
The source's ``created``/``updated`` are kept.
"""

from __future__ import annotations

import copy
from typing import Any

from baas.api.errors import ValidationFailed
from baas.collections.fields import get_field_type
from baas.collections.fields.dates import parse as parse_date
from baas.collections.models import AUTH_RULE_NAMES, RULE_NAMES, VIEW, Collection
from baas.collections.schema import SchemaService
from baas.transfer.report import Report

SKELETON_KEYS = ("id", "name", "type")
# Refusals of these cannot be worked around by leaving something out.
KEPT_KEYS = ("id", "name", "type", "fields", "indexes", "viewQuery")


def load_collections(
    items: list[dict[str, Any]], report: Report
) -> list[tuple[dict[str, Any], Collection]]:
    service = SchemaService()
    usable = [clean for item in items if (clean := _usable(item, report)) is not None]
    plain = [
        item
        for item in usable
        if item.get("type") != VIEW and _skeleton_exists(service, item, report)
    ]
    views = [item for item in usable if item.get("type") == VIEW]
    loaded: list[tuple[dict[str, Any], Collection]] = []
    for item in plain:
        current = _add_fields_singly(service, Collection.objects.get(id=item["id"]), item)
        saved = _save(service, current, item, report)
        if saved is not None:
            loaded.append((item, saved))
    for item in views:
        view = Collection.objects.filter(id=item["id"]).first()
        saved = _save(service, view, item, report)
        if saved is not None:
            loaded.append((item, saved))
    for item, collection in loaded:
        _keep_dates(collection, item)
        report.progress(f"collection {collection.name} ({collection.type})")
    return [(item, Collection.objects.get(id=c.id)) for item, c in loaded]


def _usable(item: dict[str, Any], report: Report) -> dict[str, Any] | None:
    """A copy of ``item`` without what cannot be mapped; None to skip it altogether."""
    name, cid = item.get("name"), item.get("id")
    if not isinstance(name, str) or not isinstance(cid, str) or not name or not cid:
        report.problem(f"a collection without a name or id was skipped: {str(item)[:80]}")
        return None
    clash = Collection.objects.filter(name__iexact=name).exclude(id=cid).first()
    if clash is not None:
        report.problem(
            f"collection {name} ({cid}) skipped: this instance has a collection of that name "
            f"with another id ({clash.id})"
        )
        return None
    item = copy.deepcopy(item)
    fields = []
    for field in item.get("fields") or []:
        if get_field_type(str(field.get("type", ""))) is None:
            report.problem(f"{name}.{field.get('name')}: unknown field type {field.get('type')!r}")
        else:
            fields.append(field)
    item["fields"] = fields
    return item


def _skeleton(item: dict[str, Any]) -> dict[str, Any]:
    data = {key: item[key] for key in SKELETON_KEYS if key in item}
    if item.get("type") != VIEW:
        data["fields"] = [f for f in item["fields"] if f.get("type") != "relation"]
    return data


def _skeleton_exists(service: SchemaService, item: dict[str, Any], report: Report) -> bool:
    if Collection.objects.filter(id=item["id"]).exists():
        return True
    try:
        service.create_collection(_skeleton(item), system=bool(item.get("system")))
    except ValidationFailed as exc:
        report.problem(
            f"collection {item['name']} not imported: {exc.message} {exc.data}; "
            "its records are skipped"
        )
        return False
    return True


def _add_fields_singly(
    service: SchemaService, current: Collection, item: dict[str, Any]
) -> Collection:
    """New fields one update at a time: on SQLite, one update adding a relation and
    another field at once loses a column (each add remakes the table from the old
    model), so the full update that follows only has to change what is left."""
    for field in item["fields"]:
        ids = {f["id"] for f in current.fields}
        taken = {f["name"].lower() for f in current.fields}
        if field.get("id") in ids or str(field.get("name", "")).lower() in taken:
            continue
        try:
            current = service.update_collection(current, {"fields": [*current.fields, field]})
        except ValidationFailed:
            continue  # the full update that follows reports it
    return current


def _definition(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("created", "updated", "system")}


def _save(
    service: SchemaService, current: Collection | None, item: dict[str, Any], report: Report
) -> Collection | None:
    """Create or update. Rules, indexes and fields this instance refuses are dropped and
    reported; a collection refused as a whole (its name, a view's query) is reported and
    None returned, its records then skipped."""
    data = _definition(item)
    for _attempt in range(100):  # each retry drops something; bounded all the same
        try:
            if current is None:
                return service.create_collection(data, system=bool(item.get("system")))
            return service.update_collection(current, data)
        except ValidationFailed as exc:
            if not _drop_refused(data, exc.data, report):
                report.problem(
                    f"collection {item['name']} not imported: {exc.message} {exc.data}"
                    + ("; its records are skipped" if item.get("type") != VIEW else "")
                )
                return None
    return None


def _drop_refused(data: dict[str, Any], errors: dict[str, Any], report: Report) -> bool:
    name = data.get("name")
    dropped = False
    for rule in RULE_NAMES + AUTH_RULE_NAMES:
        if rule in errors:
            report.problem(
                f"{name}.{rule} {data.get(rule)!r} set to superusers only: {_message(errors[rule])}"
            )
            data[rule] = None
            dropped = True
    index_errors = errors.get("indexes")
    if isinstance(index_errors, dict):
        refused = {int(k) for k in index_errors if str(k).isdigit()}
        for position in sorted(refused):
            report.problem(
                f"{name}: index {data['indexes'][position]!r} dropped: "
                f"{_message(index_errors[str(position)])}"
            )
        data["indexes"] = [sql for i, sql in enumerate(data["indexes"]) if i not in refused]
        dropped = dropped or bool(refused)
    dropped = _drop_refused_options(data, errors, report) or dropped
    return _drop_refused_fields(data, errors.get("fields"), report) or dropped


def _drop_refused_options(data: dict[str, Any], errors: dict[str, Any], report: Report) -> bool:
    """An auth option refused here (say an OAuth2 provider we lack) keeps our default."""
    refused = [k for k in errors if k in data and k not in KEPT_KEYS + RULE_NAMES + AUTH_RULE_NAMES]
    for key in refused:
        report.problem(f"{data.get('name')}.{key} left at its default: {_message(errors[key])}")
        data.pop(key)
    return bool(refused)


def _drop_refused_fields(data: dict[str, Any], errors: Any, report: Report) -> bool:
    """Non-system fields refused by position (e.g. a relation to a collection left out)."""
    fields = data.get("fields") or []
    if not isinstance(errors, dict) or not fields or fields[0].get("name") != "id":
        return False  # positions would not match the submitted list
    refused = {
        int(k)
        for k in errors
        if str(k).isdigit() and int(k) < len(fields) and not fields[int(k)].get("system")
    }
    for position in sorted(refused):
        report.problem(
            f"{data.get('name')}.{fields[position].get('name')} dropped: {errors[str(position)]}"
        )
    data["fields"] = [f for i, f in enumerate(fields) if i not in refused]
    return bool(refused)


def _message(error: Any) -> str:
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


def _keep_dates(collection: Collection, item: dict[str, Any]) -> None:
    """Metadata only (no DDL): ``update()`` skips ``auto_now``, so the source's dates stay."""
    dates = {key: parse_date(item.get(key)) for key in ("created", "updated")}
    kept = {key: value for key, value in dates.items() if value is not None}
    if kept:
        Collection.objects.filter(id=collection.id).update(**kept)
