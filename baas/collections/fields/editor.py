from __future__ import annotations

from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections import search
from baas.collections.fields.base import FieldError, FieldType, ModelContext
from baas.collections.fields.text import coerce_text

DEFAULT_MAX_SIZE = 5 << 20


class EditorField(FieldType):
    """Rich text, stored and returned as sent (wire-api §1.2: no server-side sanitising)."""

    type = "editor"
    defaults = {"maxSize": 0, "convertURLs": False}

    def normalize(self, field: dict[str, Any]) -> dict[str, Any]:
        out = super().normalize(field)
        search.normalize_option(field, out)
        return out

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        return search.option_errors(field)

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> str:
        return coerce_text(value)

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        limit = field.get("maxSize") or DEFAULT_MAX_SIZE
        if len(value.encode()) > limit:
            return field_error(
                "validation_content_size_limit",
                f"The maximum allowed content size is {limit} bytes.",
                {"maxSize": limit},
            )
        return super().validate(field, value)
