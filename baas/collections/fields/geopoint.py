from __future__ import annotations

from typing import Any

import orjson
from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext

ZERO = {"lon": 0, "lat": 0}


def _coordinate(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0  # wire-api §1.2: a string coordinate becomes 0
    return value


class GeoPointField(FieldType):
    type = "geoPoint"

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.JSONField(default=dict)

    def zero(self, field: dict[str, Any]) -> dict[str, Any]:
        return dict(ZERO)

    def prepare(self, field: dict[str, Any], value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return dict(ZERO)
        if not isinstance(value, dict):
            return dict(ZERO)
        return {"lon": _coordinate(value.get("lon")), "lat": _coordinate(value.get("lat"))}

    def is_empty(self, field: dict[str, Any], value: Any) -> bool:
        return value == ZERO

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if not -180 <= value["lon"] <= 180:
            return field_error(
                "validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."
            )
        if not -90 <= value["lat"] <= 90:
            return field_error(
                "validation_invalid_latitude", "Latitude must be between -90 and 90 degrees."
            )
        return super().validate(field, value)

    def from_db(self, field: dict[str, Any], raw: Any) -> dict[str, Any]:
        if isinstance(raw, str):
            raw = orjson.loads(raw) if raw else None
        return self.prepare(field, raw) if raw else dict(ZERO)
