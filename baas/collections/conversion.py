"""Changing a field's type or shape keeps its values (issue: no silent data loss).

Every stored value is converted in Python through the new field type; if any value
cannot be converted the change is refused with a count, before any DDL runs.
"""

from __future__ import annotations

from typing import Any

from baas.collections.fields import get_field_type
from baas.collections.fields.multi import as_list
from baas.collections.fields.number import SAFE

FAILED = object()


def _strict_number(value: Any) -> Any:
    if value in ("", None, [], False):
        return 0
    if value is True:
        return 1
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return FAILED
        return int(number) if number.is_integer() and abs(number) < SAFE else number
    return FAILED


def _strict_bool(value: Any) -> Any:
    if value in ("", None, [], 0, "0", "false", False):
        return False
    if value in (1, "1", "true", True):
        return True
    return FAILED


def convert_value(old: dict[str, Any], new: dict[str, Any], value: Any) -> Any:
    """The wire value ``value`` of field ``old`` as a value of field ``new``, or FAILED."""
    new_type = get_field_type(new["type"])
    assert new_type is not None
    if new["type"] == "number":
        result = _strict_number(value[0] if isinstance(value, list) and len(value) == 1 else value)
    elif new["type"] == "bool":
        result = _strict_bool(value)
    elif new["type"] in ("select", "relation", "file"):
        items = as_list(value)
        if not new_type.is_multi(new) and len(items) > 1:
            return FAILED
        result = new_type.prepare(new, items)
    elif new["type"] == "json":
        result = value
    elif new["type"] == "autodate":
        result = value if isinstance(value, str) else ""
    else:
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else ("" if not value else FAILED)
            if value is FAILED:
                return FAILED
        if isinstance(value, dict):
            return FAILED
        result = new_type.prepare(new, value)
    if result is FAILED:
        return FAILED
    relaxed = dict(new, required=False)
    if new["type"] not in ("relation", "file", "autodate") and new_type.validate(relaxed, result):
        return FAILED
    return result


def needs_conversion(old: dict[str, Any], new: dict[str, Any]) -> bool:
    old_type, new_type = get_field_type(old["type"]), get_field_type(new["type"])
    assert old_type is not None and new_type is not None
    return (
        old["type"] != new["type"]
        or old_type.is_multi(old) != new_type.is_multi(new)
        or (old["type"] == "relation" and old.get("collectionId") != new.get("collectionId"))
    )


def same_storage(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when the column definition is unchanged (only values need rewriting)."""
    from baas.collections.dynamic import _Registry

    old_type, new_type = get_field_type(old["type"]), get_field_type(new["type"])
    assert old_type is not None and new_type is not None
    if old["type"] == "relation" or new["type"] == "relation":
        return False
    registry = _Registry("")
    a, b = old_type.model_field(old, registry), new_type.model_field(new, registry)
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a.null == b.null
