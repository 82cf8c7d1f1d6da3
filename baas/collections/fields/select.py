from __future__ import annotations

from typing import Any

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError
from baas.collections.fields.multi import MultiValueField


class SelectField(MultiValueField):
    type = "select"
    defaults = {"maxSelect": 0, "values": []}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        values = field["values"]
        if not values or not all(isinstance(v, str) and v for v in values):
            return {"values": field_error("validation_required", "Cannot be blank.")}
        field["values"] = list(dict.fromkeys(values))
        if not isinstance(field["maxSelect"], int) or field["maxSelect"] < 0:
            return {
                "maxSelect": field_error(
                    "validation_invalid_value", "Must be a non-negative integer."
                )
            }
        if field["maxSelect"] > len(field["values"]):
            return {
                "maxSelect": field_error(
                    "validation_max_less_equal_than_required",
                    f"Must be less than or equal to {len(field['values'])}.",
                    {"max": len(field["values"])},
                )
            }
        return {}

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        for item in value if isinstance(value, list) else ([value] if value else []):
            if item not in field["values"]:
                return field_error(
                    "validation_invalid_value", f"Invalid value {item}.", {"value": item}
                )
        return self.validate_count(field, value) or super().validate(field, value)
