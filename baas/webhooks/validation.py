"""Checking a webhook as the API and the console submit it (field errors, never a 500)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.db.models import Q

from baas.api.errors import ValidationFailed, field_error
from baas.collections.models import Collection
from baas.webhooks.models import ANY_COLLECTION, AUTH_EVENTS, EVENTS, Webhook

FIELDS = ("name", "collection", "events", "url", "secret", "enabled", "filter")


def apply(hook: Webhook, data: dict[str, Any], *, creating: bool) -> Webhook:
    """Set the submitted fields on ``hook`` after checking them; raises ``ValidationFailed``."""
    errors: dict[str, Any] = {}
    values = {name: data[name] for name in FIELDS if name in data}
    if creating:
        for required in ("collection", "events", "url"):
            if required not in values:
                errors[required] = field_error("validation_required", "Cannot be blank.")
    checks = {
        "name": _name,
        "collection": _collection,
        "events": _events,
        "url": _url,
        "secret": _secret,
        "enabled": _enabled,
        "filter": _filter_text,
    }
    for name, value in values.items():
        try:
            values[name] = checks[name](value)
        except ValueError as exc:
            errors[name] = field_error("validation_invalid_value", str(exc))
    if errors:
        raise ValidationFailed(data=errors)
    for name, value in values.items():
        setattr(hook, name, value)
    _check_together(hook)
    return hook


def _name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError("Must be a text of at most 200 characters.")
    return value.strip()


def _collection(value: Any) -> str:
    if value == ANY_COLLECTION:
        return ANY_COLLECTION
    if not isinstance(value, str) or not value:
        raise ValueError('Must be a collection name or id, or "*".')
    found = Collection.objects.filter(Q(id=value) | Q(name__iexact=value)).first()
    if found is None:
        raise ValueError("Missing or invalid collection.")
    return found.id


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"Must be a non-empty list of: {', '.join(EVENTS)}.")
    unknown = [v for v in value if v not in EVENTS]
    if unknown:
        raise ValueError(f"Unknown events {', '.join(unknown)}; expected {', '.join(EVENTS)}.")
    return list(dict.fromkeys(value))


def _url(value: Any) -> str:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("Must be an http:// or https:// URL.")
    if len(value) > 2000:
        raise ValueError("Must be at most 2000 characters.")
    return str(value)


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not 16 <= len(value) <= 200:
        raise ValueError("Must be a text of 16 to 200 characters.")
    return value


def _enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


def _filter_text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 3500:
        raise ValueError("Must be a filter expression of at most 3500 characters.")
    return value.strip()


def _check_together(hook: Webhook) -> None:
    """The filter compiles against the collection; auth events need an auth collection."""
    if hook.collection == ANY_COLLECTION:
        if hook.filter:
            raise ValidationFailed(
                data={
                    "filter": field_error(
                        "validation_invalid_value", 'A filter needs one collection, not "*".'
                    )
                }
            )
        return
    collection = Collection.objects.filter(id=hook.collection).first()
    if collection is None:
        raise ValidationFailed(
            data={
                "collection": field_error(
                    "validation_invalid_value", "Missing or invalid collection."
                )
            }
        )
    if not collection.is_auth and any(e in AUTH_EVENTS for e in hook.events):
        raise ValidationFailed(
            data={
                "events": field_error(
                    "validation_invalid_value", "Auth events need an auth collection."
                )
            }
        )
    if hook.filter:
        from baas.collections.expr import check_expression
        from baas.collections.expr.errors import ExpressionError

        try:
            check_expression(collection, hook.filter)
        except ExpressionError as exc:
            raise ValidationFailed(
                data={"filter": field_error("validation_invalid_value", f"Invalid filter: {exc}")}
            ) from None
