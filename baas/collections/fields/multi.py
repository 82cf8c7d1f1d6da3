"""Shared behaviour of fields whose value may be one item or a list (select, file, relation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext


def as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if item is None or item == "" or isinstance(item, list | dict):
            continue
        text = str(item)
        if text not in out:
            out.append(text)
    return out


class MultiValueField(FieldType):
    """maxSelect <= 1 stores one string; > 1 stores an ordered, de-duplicated list."""

    def is_multi(self, field: dict[str, Any]) -> bool:
        return (field.get("maxSelect") or 0) > 1

    def zero(self, field: dict[str, Any]) -> Any:
        return [] if self.is_multi(field) else ""

    def prepare(self, field: dict[str, Any], value: Any) -> Any:
        items = as_list(value)
        if self.is_multi(field):
            return items
        return items[-1] if items else ""  # wire-api §1.2: a single field keeps the last item

    def is_empty(self, field: dict[str, Any], value: Any) -> bool:
        return not value

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field | None:
        if self.is_multi(field):
            return models.JSONField(default=list)
        return models.TextField(default="")

    def from_db(self, field: dict[str, Any], raw: Any) -> Any:
        if self.is_multi(field):
            return decode_list(raw)
        return _single_from_db(raw)

    def decoder(self, field: dict[str, Any]) -> Callable[[Any], Any] | None:
        if type(self).from_db is not MultiValueField.from_db:
            return None
        return decode_list if self.is_multi(field) else _single_from_db

    def validate_count(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if self.is_multi(field) and len(value) > field["maxSelect"]:
            return field_error(
                "validation_too_many_values",
                f"Select no more than {field['maxSelect']}",
                {"maxSelect": field["maxSelect"]},
            )
        return None

    def apply_modifier(self, field: dict[str, Any], current: Any, op: str, value: Any) -> Any:
        existing = as_list(current)
        items = as_list(value)
        if op == "-":
            merged = [item for item in existing if item not in items]
        elif op == "^":
            merged = items + [item for item in existing if item not in items]
        else:
            merged = existing + [item for item in items if item not in existing]
        return self.prepare(field, merged)


def _single_from_db(raw: Any) -> Any:
    if isinstance(raw, list):  # a column not yet converted
        return raw[-1] if raw else ""
    return raw or ""


def decode_list(raw: Any) -> list[str]:
    import orjson

    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        return [str(item) for item in raw]
    if isinstance(raw, str):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return [raw]
        if isinstance(data, list):
            return [str(item) for item in data]
        return [str(data)] if data not in (None, "") else []
    return []
