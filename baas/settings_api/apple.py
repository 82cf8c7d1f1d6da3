"""``POST /api/settings/apple/generate-client-secret``: Sign in with Apple's client secret.

Apple takes, in place of a fixed OAuth2 client secret, an ES256 JWT signed with the
team's private key (kid = key id, iss = team id, sub = the Services ID, aud = Apple).
The SDKs expose this as ``settings.generateAppleClientSecret``; the answer is
``{"secret": "<jwt>"}``.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, ValidationFailed, field_error

MAX_DURATION = 15777000  # about six months, the longest Apple accepts
AUDIENCE = "https://appleid.apple.com"


def _errors(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for name in ("clientId", "teamId", "keyId", "privateKey"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = field_error("validation_required", "Cannot be blank.")
    for name in ("teamId", "keyId"):
        value = data.get(name)
        if name not in errors and len(str(value)) != 10:
            errors[name] = field_error(
                "validation_length_invalid", "The length must be exactly 10."
            )
    duration = data.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration:
        errors["duration"] = field_error("validation_required", "Cannot be blank.")
    elif duration < 1:
        errors["duration"] = field_error(
            "validation_min_greater_equal_than_required", "Must be no less than 1."
        )
    elif duration > MAX_DURATION:
        errors["duration"] = field_error(
            "validation_max_less_equal_than_required", f"Must be no greater than {MAX_DURATION}."
        )
    return errors


class AppleClientSecretView(SuperuserView):
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        errors = _errors(data)
        if errors:
            raise ValidationFailed("An error occurred while validating the submitted data.", errors)
        now = int(time.time())
        claims = {
            "iss": data["teamId"],
            "iat": now,
            "exp": now + int(data["duration"]),
            "aud": AUDIENCE,
            "sub": data["clientId"],
        }
        try:
            secret = jwt.encode(
                claims, data["privateKey"], algorithm="ES256", headers={"kid": data["keyId"]}
            )
        except (ValueError, TypeError, jwt.PyJWTError):
            raise BadRequest("Failed to generate client secret. Raw error: invalid key.") from None
        return Response({"secret": secret})
