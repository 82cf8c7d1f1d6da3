from __future__ import annotations

import re
from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext
from baas.collections.fields.text import coerce_text

MAX_LENGTH = 71  # bcrypt's input limit; kept so hashes from imported apps stay valid


class PasswordField(FieldType):
    """Write-only: the column holds a hash and the wire always shows ""."""

    type = "password"
    defaults = {"min": 0, "max": 0, "pattern": "", "cost": 0}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        if field["max"] and field["min"] > field["max"]:
            return {
                "max": field_error(
                    "validation_min_greater_equal_than_required",
                    f"Must be greater than or equal to {field['min']}.",
                    {"min": field["min"]},
                )
            }
        return {}

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> str:
        return coerce_text(value)

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if value == "":
            return super().validate(field, value)
        if field.get("min") and len(value) < field["min"]:
            return field_error(
                "validation_min_text_constraint",
                f"Must be at least {field['min']} character(s).",
                {"min": field["min"]},
            )
        limit = min(field.get("max") or MAX_LENGTH, MAX_LENGTH)
        if len(value) > limit:
            return field_error(
                "validation_max_text_constraint",
                f"Must be less than {limit} character(s).",
                {"max": limit},
            )
        if field.get("pattern") and not re.search(field["pattern"], value):
            return field_error("validation_invalid_format", "Invalid value format.")
        return None

    def from_db(self, field: dict[str, Any], raw: Any) -> str:
        return ""
