"""Auth endpoints of wire-api §4.2: password sign-in, refresh, auth-methods, impersonate."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import (
    FORM_MESSAGE,
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from baas.auth import ratelimit, records, tokens
from baas.auth.api.common import (
    NOT_ALLOWED,
    REQUIRED,
    auth_collection,
    auth_response,
    body_of,
    mfa_id_of,
    text,
    wrong_collection,
)
from baas.auth.middleware import token_from_header
from baas.auth.passwords import upgrade_hash, verify_password
from baas.auth.service import sign_in
from baas.collections.models import Collection
from baas.collections.records import rows


class AuthWithPasswordView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        options = target.options.get("passwordAuth", {})
        if not options.get("enabled"):
            raise Forbidden("The collection is not configured to allow password authentication.")
        data = body_of(request)
        identity, password = text(data, "identity"), text(data, "password")
        errors = {}
        if not identity:
            errors["identity"] = REQUIRED
        if not password:
            errors["password"] = REQUIRED
        fields = options.get("identityFields", ["email"])
        chosen = text(data, "identityField")
        if chosen and chosen not in fields:
            errors["identityField"] = field_error("validation_in_invalid", "Must be a valid value.")
        if errors:
            raise ValidationFailed(FORM_MESSAGE, errors)
        subject = f"{target.id}:{identity}"
        ratelimit.guard_failures(request, subject)
        record = self._find(target, [chosen] if chosen else fields, identity)
        if not verify_password(password, record.get("password", "") if record else ""):
            ratelimit.record_failure(request, subject)
            raise BadRequest("Failed to authenticate.")
        assert record is not None
        upgrade_hash(target, record, password)  # hashes made with older Argon2 parameters
        token = sign_in(request, target, record, "password", mfa_id=mfa_id_of(request, data))
        return Response(auth_response(request, target, record, token))

    def _find(
        self, collection: Collection, names: list[str], identity: str
    ) -> dict[str, Any] | None:
        for name in names:
            found = records.find_by_field(collection, name, identity)
            if found:
                return found
        return None


class AuthRefreshView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        auth = self.auth(request)
        if auth.is_guest or auth.collection is None or auth.record is None or auth.api_key:
            raise Unauthorized()
        if auth.collection.id != target.id:
            raise Forbidden(wrong_collection(auth.collection))
        current = token_from_header(request.headers.get("Authorization", ""))
        claims = tokens.unverified_claims(current) or {}
        token = tokens.issue(target, auth.record) if claims.get("refreshable") else current
        return Response(auth_response(request, target, auth.record, token))


class AuthMethodsView(ApiView):
    def get(self, request: Request, collection: str) -> Response:
        from baas.auth.oauth2.flow import provider_entries

        target = auth_collection(collection)
        options = target.options
        password = options.get("passwordAuth", {})
        password_on = bool(password.get("enabled"))
        identity_fields = list(password.get("identityFields", [])) if password_on else []
        oauth2 = options.get("oauth2", {})
        oauth2_on = bool(oauth2.get("enabled")) and not target.is_superusers
        providers = provider_entries(request, target) if oauth2_on else []
        mfa, otp = options.get("mfa", {}), options.get("otp", {})
        data = {
            "password": {"enabled": password_on, "identityFields": identity_fields},
            "oauth2": {"enabled": oauth2_on, "providers": providers},
            "mfa": {
                "enabled": bool(mfa.get("enabled")),
                "duration": int(mfa.get("duration") or 0) if mfa.get("enabled") else 0,
            },
            "otp": {
                "enabled": bool(otp.get("enabled")),
                "duration": int(otp.get("duration") or 0) if otp.get("enabled") else 0,
            },
            # legacy keys, kept for older SDKs (wire-api §4.2)
            "authProviders": providers,
            "usernamePassword": password_on and "username" in identity_fields,
            "emailPassword": password_on and "email" in identity_fields,
        }
        from baas.api.fields_picker import parse_fields, pick

        spec = request.query_params.get("fields")
        return Response(pick(data, parse_fields(spec)) if spec else data)


class ImpersonateView(ApiView):
    def post(self, request: Request, collection: str, record_id: str) -> Response:
        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if not auth.is_superuser or auth.api_key:
            raise Forbidden(NOT_ALLOWED)
        target = auth_collection(collection)
        duration = self._duration(body_of(request))
        record = rows.fetch_one(target, record_id)
        if record is None:
            raise NotFound()
        token = tokens.issue(target, record, duration=duration or None, refreshable=False)
        return Response(auth_response(request, target, record, token))

    def _duration(self, data: dict[str, Any]) -> int:
        raw = data.get("duration", 0)
        if raw in (None, ""):
            return 0
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if isinstance(raw, bool) or value < 0 or (isinstance(raw, float) and raw != value):
            raise ValidationFailed(
                FORM_MESSAGE,
                {
                    "duration": field_error(
                        "validation_min_greater_equal_than_required",
                        "Must be no less than 0.",
                        {"threshold": 0},
                    )
                },
            )
        return value
