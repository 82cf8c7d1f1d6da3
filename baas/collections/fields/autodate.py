from __future__ import annotations

from typing import Any

from django.db import models

from baas.collections.fields.base import FieldType, ModelContext


class AutodateField(FieldType):
    """Set by the server on create and/or update; client input is ignored."""

    type = "autodate"
    defaults = {"onCreate": True, "onUpdate": False}
    has_required = False

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")
