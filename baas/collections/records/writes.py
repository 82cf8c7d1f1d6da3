"""Preparing a record write: coercion, modifiers, server-set fields and validation."""

from __future__ import annotations

import re
from typing import Any

from baas.api.errors import field_error
from baas.collections.fields import get_field_type
from baas.collections.fields.dates import now_wire
from baas.collections.fields.text import TextField
from baas.collections.models import Collection
from baas.collections.records.payload import Submission

SERVER_MANAGED = {"autodate"}


def prepare_row(
    collection: Collection, submission: Submission, existing: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The full row to write, the submitted body after modifiers (for ``@request.body``), errors."""
    creating = existing is None
    row: dict[str, Any] = dict(existing) if existing else {}
    body: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    now = now_wire()
    for field in collection.fields:
        name, field_type = field["name"], get_field_type(field["type"])
        assert field_type is not None
        if creating:
            row.setdefault(name, field_type.zero(field))
        if field["type"] == "autodate":
            if (creating and field.get("onCreate")) or (not creating and field.get("onUpdate")):
                row[name] = now
            continue
        if field["type"] == "file":
            continue  # files are applied by the storage step
        submitted = name in submission.values
        value = field_type.prepare(field, submission.values[name]) if submitted else row.get(name)
        modifiers = [(op, v) for n, op, v in submission.modifiers if n == name]
        for op, mod_value in modifiers:
            value = field_type.apply_modifier(field, value, op, mod_value)
        if not submitted and not modifiers:
            continue
        if name == "id" and not creating:
            if value != row.get("id"):
                errors["id"] = field_error(
                    "validation_values_mismatch", "The record id cannot be changed."
                )
            continue
        body[name] = value
        row[name] = value
    if creating:
        _autogenerate(collection, row)
    return row, body, errors


def _autogenerate(collection: Collection, row: dict[str, Any]) -> None:
    for field in collection.fields:
        field_type = get_field_type(field["type"])
        if (
            isinstance(field_type, TextField)
            and not row.get(field["name"])
            and field.get("autogeneratePattern")
        ):
            row[field["name"]] = field_type.autogenerate(field)


def validate_row(
    collection: Collection, row: dict[str, Any], touched: set[str], creating: bool
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for field in collection.fields:
        name = field["name"]
        if field["type"] in SERVER_MANAGED or field["type"] == "password":
            continue
        if not creating and name not in touched and not field.get("required"):
            continue
        field_type = get_field_type(field["type"])
        assert field_type is not None
        error = field_type.validate(field, row.get(name))
        if error:
            errors[name] = error
    if creating and "id" in row:
        id_field = collection.field("id")
        if (
            id_field
            and row["id"]
            and id_field.get("pattern")
            and not re.search(id_field["pattern"], str(row["id"]))
        ):
            errors["id"] = field_error("validation_invalid_format", "Invalid value format.")
    return errors
