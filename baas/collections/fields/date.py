from __future__ import annotations

from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields import dates
from baas.collections.fields.base import FieldError, FieldType, ModelContext

INVALID = object()


class DateField(FieldType):
    type = "date"
    defaults = {"min": "", "max": ""}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = {}
        for key in ("min", "max"):
            normalized = dates.normalize(field[key])
            if normalized is None:
                errors[key] = field_error("validation_invalid_date", "Must be a valid date.")
            else:
                field[key] = normalized
        return errors

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> Any:
        normalized = dates.normalize(value)
        return INVALID if normalized is None else normalized

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        # wire-api §9: the peer silently stores garbage as ""; we refuse it.
        if value is INVALID:
            return field_error("validation_invalid_date", "Must be a valid date.")
        if value == "":
            return super().validate(field, value)
        if field.get("min") and value < field["min"]:
            return field_error(
                "validation_min_date_constraint",
                f"Must be no earlier than {dates.rfc3339(field['min'])}.",
                {"min": dates.rfc3339(field["min"])},
            )
        if field.get("max") and value > field["max"]:
            return field_error(
                "validation_max_date_constraint",
                f"Must be no later than {dates.rfc3339(field['max'])}.",
                {"max": dates.rfc3339(field["max"])},
            )
        return None
