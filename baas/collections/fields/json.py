from __future__ import annotations

from typing import Any

import orjson
from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext

DEFAULT_MAX_SIZE = 1 << 20


class JsonField(FieldType):
    type = "json"
    defaults = {"maxSize": 0}

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.JSONField(null=True, default=None)

    def zero(self, field: dict[str, Any]) -> None:
        return None

    def prepare(self, field: dict[str, Any], value: Any) -> Any:
        # wire-api §1.2: a string that itself parses as JSON is stored parsed.
        if isinstance(value, str):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        return value

    def is_empty(self, field: dict[str, Any], value: Any) -> bool:
        return value is None or value == "" or value == [] or value == {}

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        limit = field.get("maxSize") or DEFAULT_MAX_SIZE
        if len(orjson.dumps(value)) > limit:
            return field_error(
                "validation_json_size_limit",
                f"The maximum allowed JSON size is {limit} bytes.",
                {"maxSize": limit},
            )
        return super().validate(field, value)

    def from_db(self, field: dict[str, Any], raw: Any) -> Any:
        if isinstance(raw, str | bytes):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        return raw
