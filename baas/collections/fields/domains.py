"""Shared ``onlyDomains`` / ``exceptDomains`` options of email and url fields."""

from __future__ import annotations

from typing import Any

from baas.api.errors import field_error
from baas.collections.fields.base import FieldError

DOMAIN_DEFAULTS: dict[str, Any] = {"exceptDomains": [], "onlyDomains": []}


def validate_domain_options(field: dict[str, Any]) -> dict[str, FieldError]:
    if field["exceptDomains"] and field["onlyDomains"]:
        return {
            "onlyDomains": field_error(
                "validation_either_except_or_only",
                "Use either exceptDomains or onlyDomains, not both.",
            )
        }
    return {}


def check_domain(field: dict[str, Any], domain: str) -> FieldError | None:
    domain = domain.lower()
    only = [d.lower() for d in field.get("onlyDomains") or []]
    excluded = [d.lower() for d in field.get("exceptDomains") or []]
    if only and domain not in only:
        return field_error("validation_email_domain_not_allowed", "Domain not allowed.")
    if domain in excluded:
        return field_error("validation_email_domain_not_allowed", "Domain not allowed.")
    return None
