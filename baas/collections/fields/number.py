from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext

SAFE = 2**53


def coerce_number(value: Any) -> float | int:
    """wire-api §1.2: "42" → 42, true → 1, null → 0, "4x2" → 0 (no error)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return 0
    else:
        return 0
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return 0
    if isinstance(number, float) and number.is_integer() and abs(number) < SAFE:
        return int(number)
    return number


class NumberField(FieldType):
    type = "number"
    defaults = {"min": None, "max": None, "onlyInt": False}
    numeric = True

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = {}
        for key in ("min", "max"):
            value = field[key]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                errors[key] = field_error("validation_invalid_value", "Must be a number or null.")
        if (
            not errors
            and field["min"] is not None
            and field["max"] is not None
            and field["min"] > field["max"]
        ):
            errors["max"] = field_error(
                "validation_min_greater_equal_than_required",
                f"Must be greater than or equal to {field['min']}.",
                {"min": field["min"]},
            )
        return errors

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.FloatField(default=0)

    def zero(self, field: dict[str, Any]) -> int:
        return 0

    def prepare(self, field: dict[str, Any], value: Any) -> float | int:
        return coerce_number(value)

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if value == 0:
            return super().validate(field, value)
        if abs(value) > SAFE:
            return field_error("validation_invalid_number", "The number is outside the safe range.")
        if field.get("onlyInt") and not float(value).is_integer():
            return field_error("validation_only_int_constraint", "Only integers are allowed.")
        if field.get("min") is not None and value < field["min"]:
            return field_error(
                "validation_min_number_constraint",
                f"Must be larger than {field['min']}.",
                {"min": field["min"]},
            )
        if field.get("max") is not None and value > field["max"]:
            return field_error(
                "validation_max_number_constraint",
                f"Must be less than {field['max']}.",
                {"max": field["max"]},
            )
        return None

    def from_db(self, field: dict[str, Any], raw: Any) -> float | int:
        return _number_from_db(raw)

    def decoder(self, field: dict[str, Any]) -> Callable[[Any], Any] | None:
        return _number_from_db

    def apply_modifier(self, field: dict[str, Any], current: Any, op: str, value: Any) -> Any:
        delta = coerce_number(value)
        base = coerce_number(current)
        return coerce_number(base + delta if op == "+" else base - delta)


def _number_from_db(raw: Any) -> float | int:
    if raw is None:
        return 0
    return int(raw) if float(raw).is_integer() and abs(raw) < SAFE else float(raw)
