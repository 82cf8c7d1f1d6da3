from __future__ import annotations

import re
from typing import Any

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError
from baas.collections.fields.multi import MultiValueField

DEFAULT_MAX_SIZE = 5 << 20
THUMB_PATTERN = re.compile(r"^\d+x\d+(t|b|f)?$")


class FileField(MultiValueField):
    """Values are stored filenames; uploads are handled by the storage app."""

    type = "file"
    defaults = {"maxSelect": 0, "maxSize": 0, "mimeTypes": [], "thumbs": [], "protected": False}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        if not isinstance(field["maxSelect"], int) or field["maxSelect"] < 0:
            return {
                "maxSelect": field_error(
                    "validation_invalid_value", "Must be a non-negative integer."
                )
            }
        if not isinstance(field["maxSize"], int) or field["maxSize"] < 0:
            return {
                "maxSize": field_error(
                    "validation_invalid_value", "Must be a non-negative integer."
                )
            }
        for index, thumb in enumerate(field["thumbs"]):
            if not isinstance(thumb, str) or not THUMB_PATTERN.match(thumb):
                return {
                    "thumbs": {
                        str(index): field_error(
                            "validation_invalid_thumb_format", "Invalid thumb format."
                        )
                    }
                }
        return {}

    def max_size(self, field: dict[str, Any]) -> int:
        return field.get("maxSize") or DEFAULT_MAX_SIZE

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if self.is_multi(field) and len(value) > field["maxSelect"]:
            return field_error(
                "validation_too_many_files",
                f"The maximum number of allowed files is {field['maxSelect']}.",
                {"maxSelect": field["maxSelect"]},
            )
        return super().validate(field, value)
