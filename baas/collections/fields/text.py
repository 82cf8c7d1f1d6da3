from __future__ import annotations

import re
from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections import search
from baas.collections.fields import patterns
from baas.collections.fields.base import FieldError, FieldType, ModelContext

DEFAULT_MAX = 5000


def coerce_text(value: Any) -> str:
    """wire-api §1.2: numbers and bools become their text; arrays and objects become ""."""
    if value is None or isinstance(value, list | dict):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class TextField(FieldType):
    type = "text"
    defaults = {"min": 0, "max": 0, "pattern": "", "autogeneratePattern": "", "primaryKey": False}

    def normalize(self, field: dict[str, Any]) -> dict[str, Any]:
        out = super().normalize(field)
        search.normalize_option(field, out)
        return out

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = search.option_errors(field)
        for key in ("min", "max"):
            if not isinstance(field[key], int) or isinstance(field[key], bool) or field[key] < 0:
                errors[key] = field_error(
                    "validation_invalid_value", "Must be a non-negative integer."
                )
        if not errors and field["max"] and field["min"] > field["max"]:
            errors["max"] = field_error(
                "validation_min_greater_equal_than_required",
                f"Must be greater than or equal to {field['min']}.",
                {"min": field["min"]},
            )
        if field["pattern"]:
            try:
                re.compile(field["pattern"])
            except re.error:
                errors["pattern"] = field_error(
                    "validation_invalid_regex", "Invalid regular expression."
                )
        if field["autogeneratePattern"]:
            try:
                patterns.compile_pattern(field["autogeneratePattern"])
            except patterns.PatternError:
                errors["autogeneratePattern"] = field_error(
                    "validation_invalid_regex",
                    "Only character classes, literals and {n} repeats are supported.",
                )
        return errors

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        if field.get("primaryKey"):
            return models.CharField(primary_key=True, max_length=255)
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> str:
        return coerce_text(value)

    def autogenerate(self, field: dict[str, Any]) -> str:
        pattern = field.get("autogeneratePattern")
        return patterns.generate(pattern) if pattern else ""

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if value == "":
            return super().validate(field, value)
        length = len(value)
        limit = field.get("max") or DEFAULT_MAX
        if field.get("min") and length < field["min"]:
            return field_error(
                "validation_min_text_constraint",
                f"Must be at least {field['min']} character(s).",
                {"min": field["min"]},
            )
        if length > limit:
            return field_error(
                "validation_max_text_constraint",
                f"Must be less than {limit} character(s).",
                {"max": limit},
            )
        if field.get("pattern") and not re.search(field["pattern"], value):
            return field_error("validation_invalid_format", "Invalid value format.")
        return None
