"""Model classes for runtime tables, built on the fly (DESIGN §4, STYLE §9).

Each build gets its own ``Apps`` registry, so generated models never enter
Django's global app registry (the leak Baserow hit in baserow#512) and are freed
with the cache entry. Models are cached per process, keyed by the collection's
``schema_version``: a schema change bumps the version and every process builds
the new shape on its next request, without a restart.
"""

from __future__ import annotations

import threading
from typing import Any

from django.apps.registry import Apps
from django.db import models

from baas.collections import naming
from baas.collections.fields import get_field_type
from baas.collections.fields.base import ModelContext
from baas.collections.models import Collection

APP_LABEL = "baas_runtime"
_cache: dict[str, tuple[tuple[Any, ...], type[models.Model]]] = {}
_lock = threading.Lock()


def db_constraints() -> bool:
    """Foreign-key constraints are declared on PostgreSQL only.

    SQLite cannot switch foreign-key enforcement off inside a transaction, and its
    ALTER procedure (copy, drop, rename) would trip declared constraints; keeping
    them off there lets every schema change run atomically. On both databases the
    record service checks relations itself (it must, to give the contract's
    ``validation_missing_rel_records``) and applies cascades.
    """
    from django.db import connection

    return connection.vendor != "sqlite"


def text_collation() -> str | None:
    """Text columns are ``COLLATE "C"`` on PostgreSQL: bytewise, as SQLite compares.

    The expression compiler sorts and ranges text with ``COLLATE "C"`` (SQLite's order);
    an index serves that ORDER BY, and ``=`` on its leading column, only when the
    column has the same collation (bench/PROFILE.md §2). Equality is the same under
    every deterministic collation, so this changes no result.
    """
    from django.db import connection

    return "C" if connection.vendor == "postgresql" else None


def _id_field() -> models.CharField:
    return models.CharField(primary_key=True, max_length=255, db_collation=text_collation())


class _Registry(ModelContext):
    """One isolated ``Apps`` per build, holding the model and stubs of its relation targets."""

    def __init__(self, collection_id: str):
        self.apps = Apps(installed_apps=())
        self.collection_id = collection_id
        self.stubs: dict[str, type[models.Model]] = {}
        self.db_constraints = db_constraints()

    def related_model(self, collection_id: str) -> Any:
        if collection_id == self.collection_id:
            return "self"
        if collection_id not in self.stubs:
            self.stubs[collection_id] = self.make_model(
                f"Stub_{collection_id}",
                naming.table_name(collection_id),
                {"id": _id_field()},
                managed=False,
            )
        return self.stubs[collection_id]

    def make_model(
        self, class_name: str, table: str, attrs: dict[str, Any], *, managed: bool = True
    ) -> type[models.Model]:
        meta = type(
            "Meta",
            (),
            {"db_table": table, "app_label": APP_LABEL, "apps": self.apps, "managed": managed},
        )
        body = {"__module__": "baas.collections.runtime", "Meta": meta, **attrs}
        return type(class_name, (models.Model,), body)


def _model_name(collection_id: str) -> str:
    return "C_" + "".join(ch if ch.isalnum() else "_" for ch in collection_id)


def model_fields(
    collection: Collection, registry: _Registry, fields: list[dict[str, Any]] | None = None
) -> dict[str, models.Field]:
    """Django fields keyed by attribute name (= the physical column name)."""
    attrs: dict[str, models.Field] = {}
    for field in collection.fields if fields is None else fields:
        field_type = get_field_type(field["type"])
        if field_type is None:
            continue
        model_field = field_type.model_field(field, registry)
        if model_field is None:
            continue
        column = naming.column_name(field)
        model_field.db_column = column
        if isinstance(model_field, models.CharField | models.TextField):
            model_field.db_collation = text_collation()
        attrs[column] = model_field
    attrs.setdefault("id", _id_field())
    return attrs


def build_model(
    collection: Collection, fields: list[dict[str, Any]] | None = None
) -> type[models.Model]:
    """A fresh model for ``collection`` (or for a partial field list, for schema changes)."""
    registry = _Registry(collection.id)
    attrs = model_fields(collection, registry, fields)
    return registry.make_model(
        _model_name(collection.id), naming.table_name(collection.id), dict(attrs)
    )


def build_join_model(collection: Collection, field: dict[str, Any]) -> type[models.Model]:
    """The ordered join table of a multi relation: (record_id, target_id, position)."""
    registry = _Registry("")  # no "self": both ends are stubs
    source = registry.make_model(
        "Source",
        naming.table_name(collection.id),
        {"id": _id_field()},
        managed=False,
    )
    target_id = field["collectionId"]
    target = source if target_id == collection.id else registry.related_model(target_id)
    constraint = db_constraints()
    attrs = {
        "record": models.ForeignKey(
            source,
            on_delete=models.CASCADE,
            related_name="+",
            db_column="record_id",
            db_constraint=constraint,
        ),
        "target": models.ForeignKey(
            target,
            on_delete=models.CASCADE,
            related_name="+",
            db_column="target_id",
            db_constraint=constraint,
        ),
        "position": models.IntegerField(default=0),
    }
    table = naming.join_table_name(collection.id, field["id"])
    return registry.make_model("J_" + _model_name(collection.id) + "_" + field["id"], table, attrs)


def _cache_key(collection: Collection) -> tuple[Any, ...]:
    # The creation time tells a re-created collection (same id, version 1) from the old one.
    return (collection.schema_version, collection.created)


def get_model(collection: Collection) -> type[models.Model]:
    """The cached model for the collection's current schema version."""
    key = _cache_key(collection)
    entry = _cache.get(collection.id)
    if entry and entry[0] == key:
        return entry[1]
    model = build_model(collection)
    with _lock:
        _cache[collection.id] = (key, model)
    return model


def forget(collection_id: str) -> None:
    with _lock:
        _cache.pop(collection_id, None)
