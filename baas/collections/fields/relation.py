from __future__ import annotations

from typing import Any

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, ModelContext
from baas.collections.fields.multi import MultiValueField


class RelationField(MultiValueField):
    """Single: a foreign-key column. Multi: an ordered join table (see ``naming``)."""

    type = "relation"
    defaults = {"collectionId": "", "cascadeDelete": False, "minSelect": 0, "maxSelect": 0}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        from baas.collections.models import Collection

        target = (
            Collection.objects.filter(id=field["collectionId"]).first()
            if field["collectionId"]
            else None
        )
        if target is None:
            return {
                "collectionId": field_error(
                    "validation_missing_collection", "The collection doesn't exist."
                )
            }
        if target.is_view:
            return {
                "collectionId": field_error(
                    "validation_view_relation", "Relations to view collections are not allowed."
                )
            }
        for key in ("minSelect", "maxSelect"):
            if not isinstance(field[key], int) or field[key] < 0:
                return {
                    key: field_error("validation_invalid_value", "Must be a non-negative integer.")
                }
        if field["maxSelect"] and field["minSelect"] > field["maxSelect"]:
            return {
                "maxSelect": field_error(
                    "validation_min_greater_equal_than_required",
                    f"Must be greater than or equal to {field['minSelect']}.",
                    {"min": field["minSelect"]},
                )
            }
        return {}

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field | None:
        if self.is_multi(field):
            return None  # values live in the join table
        return models.ForeignKey(
            ctx.related_model(field["collectionId"]),
            null=True,
            blank=True,
            on_delete=models.DO_NOTHING,  # the record service applies cascade rules
            related_name="+",
            db_index=True,
            db_constraint=ctx.db_constraints,
        )

    def to_db(self, field: dict[str, Any], value: Any) -> Any:
        if self.is_multi(field):
            return value
        return value or None

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        count = len(value) if isinstance(value, list) else (1 if value else 0)
        if count and field.get("minSelect") and count < field["minSelect"]:
            return field_error(
                "validation_not_enough_values",
                f"Select at least {field['minSelect']}",
                {"minSelect": field["minSelect"]},
            )
        return self.validate_count(field, value) or super().validate(field, value)
