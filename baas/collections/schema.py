"""SchemaService: the only code that changes runtime tables (DESIGN §4, STYLE §4).

Every change validates first, then runs its DDL and metadata writes in one
transaction (PostgreSQL and, through ``ddl.schema_editor``, SQLite), serialised per
collection by a row lock, and bumps ``schema_version`` so every process rebuilds
its model on the next request.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from baas.api.errors import BadRequest, ValidationFailed, field_error
from baas.collections import columns, conversion, dynamic, indexes, naming, search, views
from baas.collections.ddl import quote, schema_editor
from baas.collections.models import AUTH, AUTH_RULE_NAMES, RULE_NAMES, VIEW, Collection
from baas.collections.validation import Errors, Schema, normalize_collection

log = logging.getLogger("baas.schema")


def _check_rules(schema: Schema, errors: Errors) -> None:
    try:
        from baas.collections.expr import ExpressionError, check_expression
    except ImportError:  # the expression package lands separately; rules are checked once it does
        return

    target = schema.as_collection()
    for name in RULE_NAMES + AUTH_RULE_NAMES:
        rule = schema.rules.get(name)
        if not rule:
            continue
        try:
            check_expression(target, rule)
        except ExpressionError as exc:
            errors.add([name], field_error("validation_invalid_rule", f"Invalid rule. {exc}"))


def _check_references(schema: Schema, errors: Errors) -> None:
    if schema.type != AUTH:
        return
    specs, _ = indexes.validate_indexes(schema.indexes, schema.fields, connection.vendor, schema.id)
    unique = indexes.unique_fields(specs)
    identity = schema.options.get("passwordAuth", {}).get("identityFields", [])
    for position, name in enumerate(identity):
        if name not in unique:
            errors.add(
                ["passwordAuth", "identityFields", str(position)],
                field_error(
                    "validation_missing_unique_constraint",
                    f"The field {name} must have a UNIQUE index.",
                    {"fieldName": name},
                ),
            )


def _validate(schema: Schema, action: str) -> list[indexes.IndexSpec]:
    errors = Errors()
    if schema.type == VIEW:
        try:
            schema.fields = views.infer_fields(schema)
        except views.ViewQueryError as exc:
            errors.add(
                ["viewQuery"],
                field_error("validation_invalid_view_query", f"Invalid query - {exc}"),
            )
    specs, index_errors = indexes.validate_indexes(
        schema.indexes, schema.fields, connection.vendor, schema.id
    )
    if index_errors:
        errors["indexes"] = index_errors
    _check_references(schema, errors)
    if not errors:
        _check_rules(schema, errors)
    if errors:
        raise ValidationFailed(f"Failed to {action} collection.", errors)
    return specs


def _create_indexes(
    collection_id: str, specs: list[indexes.IndexSpec], fields: list[dict[str, Any]]
) -> None:
    by_name = {f["name"]: f for f in fields}
    for position, spec in enumerate(specs):
        sql = indexes.physical_sql(spec, collection_id, by_name, connection.vendor)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
        except IntegrityError as exc:
            raise ValidationFailed(
                "Failed to save collection.",
                {
                    "indexes": {
                        str(position): field_error(
                            "validation_invalid_index_expression",
                            f"Failed to create index {spec.name} - existing values are not unique.",
                        )
                    }
                },
            ) from exc


class SchemaService:
    def create_collection(self, data: dict[str, Any], *, system: bool = False) -> Collection:
        schema = normalize_collection(data, system=system)
        specs = _validate(schema, "create")
        with transaction.atomic():
            collection = schema.as_collection()
            collection.save(force_insert=True)
            self._create_storage(collection)
            _create_indexes(collection.id, specs, collection.fields)
            search.sync_storage(collection)
        log.info("collection created: %s (%s)", collection.name, collection.id)
        return collection

    def _create_storage(self, collection: Collection) -> None:
        if collection.is_view:
            views.create_view(collection)
            return
        with schema_editor() as editor:
            editor.create_model(dynamic.build_model(collection))
            for field in collection.fields:
                if columns.is_join_field(field):
                    editor.create_model(dynamic.build_join_model(collection, field))

    def update_collection(self, collection: Collection, data: dict[str, Any]) -> Collection:
        data = dict(data)
        with transaction.atomic():
            # Validate against the locked row, not the caller's copy: a partial PATCH
            # computed from a stale schema would drop a field added concurrently.
            current = self._lock(collection.id)
            old_names = {f["id"]: f["name"] for f in current.fields}
            schema = normalize_collection(data, existing=current)
            schema.indexes = self._renamed_indexes(current, schema, old_names)
            specs = _validate(schema, "update")
            old_name = current.name
            dependents = [] if current.is_view else self._dependent_views(current)
            for view in dependents:
                views.drop_view(view)  # PostgreSQL would refuse to alter columns a view reads
            search.prepare_change(current, schema.as_collection())
            self._apply_changes(current, schema, specs)
            for attr in ("name", "fields", "indexes", "rules", "options"):
                setattr(current, attr, getattr(schema, attr))
            current.schema_version = F("schema_version") + 1
            current.save()
            current.refresh_from_db()
            search.sync_storage(current)
            for view in dependents:
                self._rebuild_view(view, old_name, current.name)
        dynamic.forget(current.id)
        return current

    def _dependent_views(self, collection: Collection) -> list[Collection]:
        return [
            v
            for v in Collection.objects.filter(type="view")
            if views.references(v, collection.name)
        ]

    def _rebuild_view(self, view: Collection, old_name: str, new_name: str) -> None:
        """Recreate a view over a changed collection, or refuse the change naming the view."""
        if old_name != new_name:
            view.options = dict(
                view.options,
                viewQuery=views.rename_table(view.options["viewQuery"], old_name, new_name),
            )
        try:
            view.fields = views.infer_fields(view)
        except views.ViewQueryError as exc:
            raise ValidationFailed(
                "Failed to update collection.",
                {
                    "fields": field_error(
                        "validation_view_dependency",
                        f"The view collection {view.name} depends on this change: {exc}.",
                    )
                },
            ) from exc
        view.schema_version = F("schema_version") + 1
        view.save()
        view.refresh_from_db()
        views.create_view(view)
        dynamic.forget(view.id)

    def _lock(self, collection_id: str) -> Collection:
        query = Collection.objects.filter(id=collection_id)
        if connection.vendor == "postgresql":
            query = query.select_for_update()
        return query.get()

    def _renamed_indexes(
        self, collection: Collection, schema: Schema, old_names: dict[str, str]
    ) -> list[str]:
        renames = {
            old_names[f["id"]]: f["name"]
            for f in schema.fields
            if f["id"] in old_names and old_names[f["id"]] != f["name"]
        }
        if not renames and schema.name == collection.name:
            return schema.indexes
        out = []
        for sql in schema.indexes:
            try:
                out.append(indexes.rename_references(sql, renames, schema.name))
            except indexes.IndexError_:
                out.append(sql)
        return out

    def _apply_changes(
        self, current: Collection, schema: Schema, specs: list[indexes.IndexSpec]
    ) -> None:
        if current.is_view:
            views.drop_view(current)
            views.create_view(schema.as_collection())
            return
        old = {f["id"]: f for f in current.fields}
        new = {f["id"]: f for f in schema.fields}
        changed = [
            fid
            for fid in old.keys() & new.keys()
            if conversion.needs_conversion(old[fid], new[fid])
        ]
        converted = self._convert(current, schema, old, new, changed)
        self._drop_indexes(current)
        # Each step builds its model from the table as the steps before left it: on
        # SQLite an ADD COLUMN may rebuild the whole table from that model, and a model
        # of the original shape would drop the columns added earlier in this change.
        state = copy.copy(current)
        state.fields = list(current.fields)

        def remove(field: dict[str, Any]) -> None:
            self._remove_field(editor, state, field)
            state.fields = [f for f in state.fields if f["id"] != field["id"]]

        def add(field: dict[str, Any]) -> None:
            self._add_field(editor, state, field)
            state.fields = [*state.fields, field]

        with schema_editor() as editor:
            for fid in old.keys() - new.keys():
                remove(old[fid])
            for fid in changed:
                if not conversion.same_storage(old[fid], new[fid]):
                    remove(old[fid])
                    add(new[fid])
            for fid in new.keys() - old.keys():
                add(new[fid])
        target = schema.as_collection()
        for fid, values in converted.items():
            columns.write_values(target, new[fid], values)
        _create_indexes(current.id, specs, schema.fields)

    def _convert(
        self, current: Collection, schema: Schema, old: dict, new: dict, changed: list[str]
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        errors = Errors()
        positions = {f["id"]: i for i, f in enumerate(schema.fields)}
        for fid in changed:
            values = columns.read_values(current, old[fid])
            result = {
                rid: conversion.convert_value(old[fid], new[fid], v) for rid, v in values.items()
            }
            failed = sum(1 for v in result.values() if v is conversion.FAILED)
            if new[fid]["type"] == "relation" and not failed:
                failed = self._missing_targets(new[fid], result)
            if failed:
                errors.add(
                    ["fields", str(positions[fid]), "type"],
                    field_error(
                        "validation_field_type_conversion",
                        f"{failed} value(s) of field {new[fid]['name']} cannot be converted to {new[fid]['type']}; "
                        "change or clear them first.",
                        {"count": failed},
                    ),
                )
            out[fid] = result
        if errors:
            raise ValidationFailed("Failed to update collection.", errors)
        return out

    def _missing_targets(self, field: dict[str, Any], values: dict[str, Any]) -> int:
        ids = {i for v in values.values() for i in ([v] if isinstance(v, str) else v) if i}
        if not ids:
            return 0
        table = quote(naming.table_name(field["collectionId"]))
        found: set[str] = set()
        listed = sorted(ids)
        with connection.cursor() as cursor:
            for start in range(0, len(listed), 500):
                chunk = listed[start : start + 500]
                cursor.execute(
                    f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
                )
                found |= {row[0] for row in cursor.fetchall()}
        return sum(
            1
            for v in values.values()
            if any(i not in found for i in ([v] if isinstance(v, str) and v else v or []))
        )

    def _add_field(self, editor: Any, collection: Collection, field: dict[str, Any]) -> None:
        if columns.is_join_field(field):
            editor.create_model(dynamic.build_join_model(collection, field))
            return
        model = dynamic.build_model(collection)
        django_field = dynamic.build_model(collection, [field])._meta.get_field(
            naming.column_name(field)
        )
        django_field.model = model
        editor.add_field(model, django_field)

    def _remove_field(self, editor: Any, collection: Collection, field: dict[str, Any]) -> None:
        if columns.is_join_field(field):
            editor.delete_model(dynamic.build_join_model(collection, field))
            return
        model = dynamic.build_model(collection)
        editor.remove_field(model, model._meta.get_field(naming.column_name(field)))

    def _drop_indexes(self, collection: Collection) -> None:
        with connection.cursor() as cursor:
            for sql in collection.indexes:
                try:
                    spec = indexes.parse_index(sql)
                except indexes.IndexError_:
                    continue
                cursor.execute(indexes.drop_sql(collection.id, spec.name))

    def delete_collection(self, collection: Collection) -> None:
        if collection.system:
            raise BadRequest("System collections cannot be deleted.")
        referrer = self._referrer(collection)
        if referrer:
            raise BadRequest(
                f"Failed to delete collection probably due to existing reference in {referrer}."
            )
        with transaction.atomic():
            current = self._lock(collection.id)
            if current.is_view:
                views.drop_view(current)
            else:
                search.drop_storage(current)
                with schema_editor() as editor:
                    for field in current.fields:
                        if columns.is_join_field(field):
                            editor.delete_model(dynamic.build_join_model(current, field))
                    editor.delete_model(dynamic.build_model(current))
            current.delete()
            transaction.on_commit(lambda: _after_delete(collection))
        dynamic.forget(collection.id)

    def _referrer(self, collection: Collection) -> str | None:
        for other in Collection.objects.exclude(id=collection.id):
            for field in other.fields:
                if field["type"] == "relation" and field.get("collectionId") == collection.id:
                    return other.name
            if other.is_view and views.references(other, collection.name):
                return other.name
        return None

    def import_collections(self, items: list[dict[str, Any]], delete_missing: bool = False) -> None:
        """Upsert by id or name in one transaction (wire-api §1: ``PUT /api/collections/import``)."""
        with transaction.atomic():
            seen: set[str] = set()
            pending = [copy.deepcopy(item) for item in items]
            for item in pending:
                existing = self._find(item)
                saved = (
                    self.update_collection(existing, item)
                    if existing
                    else self.create_collection(item)
                )
                seen.add(saved.id)
            if delete_missing:
                for collection in Collection.objects.exclude(id__in=seen).filter(system=False):
                    self.delete_collection(collection)

    def _find(self, item: dict[str, Any]) -> Collection | None:
        if item.get("id"):
            found = Collection.objects.filter(id=item["id"]).first()
            if found:
                return found
        if item.get("name"):
            return Collection.objects.filter(name__iexact=str(item["name"])).first()
        return None

    def truncate(self, collection: Collection) -> None:
        from baas.collections.records import RecordService

        RecordService().delete_all(collection)


def _after_delete(collection: Collection) -> None:
    from baas.collections.signals import collection_deleted

    collection_deleted.send(sender=Collection, collection=collection)


__all__ = ["SchemaService", "DatabaseError"]
