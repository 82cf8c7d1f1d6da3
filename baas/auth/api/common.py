"""What every auth endpoint shares: the collection lookup, the body, the auth response."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rest_framework.request import Request

from baas.api.errors import FORM_MESSAGE, BadRequest, ValidationFailed, field_error
from baas.api.fields_picker import parse_fields, pick
from baas.auth.context import AuthContext
from baas.collections.api.views import find_collection
from baas.collections.models import Collection
from baas.collections.records.service import Call

REQUIRED = field_error("validation_required", "Cannot be blank.")
NOT_ALLOWED = "The authorized record is not allowed to perform this action."
BAD_EMAIL = field_error("validation_is_email", "Must be a valid email address.")


def wrong_collection(auth_collection: Collection) -> str:
    """403 message for a token of another auth collection: it names the token's own."""
    return f"The request requires auth record from {auth_collection.name} collection."


def auth_collection(name: str) -> Collection:
    collection = find_collection(name)
    if not collection.is_auth:
        raise BadRequest("The collection is not an auth collection.")
    return collection


def body_of(request: Request) -> dict[str, Any]:
    data = request.data
    if hasattr(data, "dict"):
        return dict(data.dict())
    return dict(data) if isinstance(data, dict) else {}


def text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def require(data: dict[str, Any], *names: str) -> None:
    """400 with ``validation_required`` for each missing field (wire-api §0.1 form message)."""
    errors = {name: REQUIRED for name in names if not text(data, name).strip()}
    if errors:
        raise ValidationFailed(FORM_MESSAGE, errors)


def is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def require_email(data: dict[str, Any], name: str = "email") -> str:
    require(data, name)
    value = text(data, name).strip()
    if not is_email(value):
        raise ValidationFailed(FORM_MESSAGE, {name: BAD_EMAIL})
    return value


def mfa_id_of(request: Request, data: dict[str, Any]) -> str:
    return text(data, "mfaId") or str(request.query_params.get("mfaId", ""))


def auth_response(
    request: Request,
    collection: Collection,
    record: dict[str, Any],
    token: str,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """wire-api §4.1: token + record (always with email) + meta for OAuth2; expand, fields."""
    from baas.collections.records.expand import expand_rows
    from baas.collections.records.serialize import serialize

    viewer = AuthContext(record=record, collection=collection)
    item = serialize(collection, record, viewer, show_email=True)
    expand = request.query_params.get("expand")
    if expand:
        query = {k: str(v) for k, v in request.query_params.items()}
        call = Call(viewer=viewer, method="GET", query=query)
        expand_rows(collection, [record], [item], expand, call)
    data: dict[str, Any] = {"token": token, "record": item}
    if meta is not None:
        data["meta"] = meta
    spec = request.query_params.get("fields")
    return pick(data, parse_fields(spec)) if spec else data
