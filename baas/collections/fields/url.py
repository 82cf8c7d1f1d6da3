from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext
from baas.collections.fields.domains import DOMAIN_DEFAULTS, check_domain, validate_domain_options
from baas.collections.fields.text import coerce_text

_validate_url = URLValidator()


class UrlField(FieldType):
    type = "url"
    defaults = DOMAIN_DEFAULTS

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        return validate_domain_options(field)

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> str:
        return coerce_text(value).strip()

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if value == "":
            return super().validate(field, value)
        try:
            _validate_url(value)
        except ValidationError:
            return field_error("validation_invalid_url", "Must be a valid url.")
        return check_domain(field, urlparse(value).hostname or "")
