from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from baas.api.errors import field_error
from baas.collections.fields.domains import DomainField


class EmailField(DomainField):
    type = "email"
    format_error = field_error("validation_is_email", "Must be a valid email address.")

    def domain_of(self, value: str) -> str | None:
        try:
            validate_email(value)
        except ValidationError:
            return None
        return value.rsplit("@", 1)[1]
