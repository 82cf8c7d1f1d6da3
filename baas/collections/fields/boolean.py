from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from baas.collections.fields.base import FieldType, ModelContext


def coerce_bool(value: Any) -> bool:
    """wire-api §1.2: "true" and 1 → true; "yes" → false (no error)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "t"}
    return False


class BoolField(FieldType):
    type = "bool"

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.BooleanField(default=False)

    def zero(self, field: dict[str, Any]) -> bool:
        return False

    def prepare(self, field: dict[str, Any], value: Any) -> bool:
        return coerce_bool(value)

    def from_db(self, field: dict[str, Any], raw: Any) -> bool:
        return bool(raw)

    def decoder(self, field: dict[str, Any]) -> Callable[[Any], Any] | None:
        return bool
