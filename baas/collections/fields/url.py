from __future__ import annotations

from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from baas.api.errors import field_error
from baas.collections.fields.domains import DomainField

_validate_url = URLValidator()


class UrlField(DomainField):
    type = "url"
    format_error = field_error("validation_invalid_url", "Must be a valid url.")

    def domain_of(self, value: str) -> str | None:
        try:
            _validate_url(value)
        except ValidationError:
            return None
        return urlparse(value).hostname or ""
