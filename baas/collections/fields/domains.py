"""Text fields limited by domain (email, url): the shared ``onlyDomains`` /
``exceptDomains`` options and the checks around a type-specific format check."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from django.db import models

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError, FieldType, ModelContext
from baas.collections.fields.text import coerce_text


def check_domain(field: dict[str, Any], domain: str) -> FieldError | None:
    domain = domain.lower()
    only = [d.lower() for d in field.get("onlyDomains") or []]
    excluded = [d.lower() for d in field.get("exceptDomains") or []]
    if (only and domain not in only) or domain in excluded:
        return field_error("validation_email_domain_not_allowed", "Domain not allowed.")
    return None


class DomainField(FieldType):
    """Subclasses give ``domain_of(value)``: the domain, or None when the format is wrong."""

    defaults: ClassVar[dict[str, Any]] = {"exceptDomains": [], "onlyDomains": []}
    format_error: ClassVar[FieldError] = {}

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        if field["exceptDomains"] and field["onlyDomains"]:
            return {
                "onlyDomains": field_error(
                    "validation_either_except_or_only",
                    "Use either exceptDomains or onlyDomains, not both.",
                )
            }
        return {}

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return models.TextField(default="")

    def prepare(self, field: dict[str, Any], value: Any) -> str:
        return coerce_text(value).strip()

    @abstractmethod
    def domain_of(self, value: str) -> str | None:
        """The value's domain, or None when the value is not in this type's format."""

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        if value == "":
            return super().validate(field, value)
        domain = self.domain_of(value)
        if domain is None:
            return dict(self.format_error)
        return check_domain(field, domain)
