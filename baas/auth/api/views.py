"""Auth endpoints of wire-api §4 (password sign-in and refresh; more flows build on these)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import (
    FORM_MESSAGE,
    BadRequest,
    Forbidden,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from baas.api.fields_picker import parse_fields, pick
from baas.auth import tokens
from baas.auth.context import AuthContext
from baas.auth.passwords import verify_password
from baas.collections import naming
from baas.collections.api.views import find_collection
from baas.collections.ddl import quote
from baas.collections.models import Collection
from baas.collections.records import rows
from baas.collections.records.serialize import serialize


def auth_collection(name: str) -> Collection:
    collection = find_collection(name)
    if not collection.is_auth:
        raise BadRequest("The collection is not an auth collection.")
    return collection


def auth_response(
    request: Request,
    collection: Collection,
    record: dict[str, Any],
    token: str,
    meta: dict[str, Any] | None = None,
) -> Response:
    viewer = AuthContext(record=record, collection=collection)
    data: dict[str, Any] = {
        "token": token,
        "record": serialize(collection, record, viewer, show_email=True),
    }
    if meta is not None:
        data["meta"] = meta
    spec = request.query_params.get("fields")
    return Response(pick(data, parse_fields(spec)) if spec else data)


class AuthWithPasswordView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        options = target.options.get("passwordAuth", {})
        if not options.get("enabled"):
            raise Forbidden("The collection is not configured to allow password authentication.")
        data = request.data if isinstance(request.data, dict) else {}
        identity, password = data.get("identity"), data.get("password")
        errors = {}
        if not identity:
            errors["identity"] = field_error("validation_required", "Cannot be blank.")
        if not password:
            errors["password"] = field_error("validation_required", "Cannot be blank.")
        fields = options.get("identityFields", ["email"])
        chosen = data.get("identityField")
        if chosen and chosen not in fields:
            errors["identityField"] = field_error("validation_in_invalid", "Must be a valid value.")
        if errors:
            raise ValidationFailed(FORM_MESSAGE, errors)
        record = self._find(target, [chosen] if chosen else fields, str(identity))
        if not verify_password(str(password), record.get("password", "") if record else ""):
            raise BadRequest("Failed to authenticate.")
        assert record is not None
        return auth_response(request, target, record, tokens.issue(target, record))

    def _find(
        self, collection: Collection, names: list[str], identity: str
    ) -> dict[str, Any] | None:
        for name in names:
            field = collection.field(name)
            if field is None:
                continue
            found = rows.fetch(
                collection,
                f"{quote('t')}.{quote(naming.column_name(field))} = %s",
                [identity],
                limit=1,
            )
            if found:
                return found[0]
        return None


class AuthRefreshView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        auth = self.auth(request)
        if auth.is_guest or auth.collection is None or auth.record is None:
            raise Unauthorized()
        if auth.collection.id != target.id:
            raise Forbidden(f"The request requires auth record from {target.name} collection.")
        header = request.headers.get("Authorization", "")
        from baas.auth.middleware import token_from_header

        current = token_from_header(header)
        claims = tokens.unverified_claims(current) or {}
        token = tokens.issue(target, auth.record) if claims.get("refreshable") else current
        return auth_response(request, target, auth.record, token)
