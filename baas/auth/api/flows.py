"""Email flows of wire-api §4.2: verification, password reset, email change.

Request endpoints answer 204 whether or not the address is known (no enumeration);
the mail goes out through a Celery task after commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
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
from baas.auth import ratelimit, records, tokens
from baas.auth.api.common import (
    BAD_EMAIL,
    auth_collection,
    body_of,
    is_email,
    require,
    require_email,
    text,
    wrong_collection,
)
from baas.auth.passwords import verify_password
from baas.auth.tasks import queue_auth_email, send_auth_email
from baas.collections.models import Collection

PASSWORD_MIN, PASSWORD_MAX = 8, 255


def _bad_token(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(FORM_MESSAGE, {"token": field_error(code, message)})


def _token_record(
    collection: Collection, token: str, token_type: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    resolved = tokens.resolve(token, token_type)
    if resolved is None or resolved[0].id != collection.id:
        return None
    _, record, claims = resolved
    return record, claims


def _request_mail(request: Request, collection: Collection, kind: str, skip: str) -> Response:
    """The shared body of request-verification / request-password-reset."""
    email = require_email(body_of(request))
    ratelimit.consume("mail-ip", ratelimit.client_ip(request))
    record = records.find_by_email(collection, email)
    if record is not None and not record.get(skip):
        subject = f"{kind}:{collection.id}:{record['id']}"
        if not ratelimit.exceeded("mail-identity", subject):
            ratelimit.hit("mail-identity", subject)
            queue_auth_email(kind, collection.id, record["id"])
    return Response(status=204)


class RequestVerificationView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        return _request_mail(request, auth_collection(collection), "verification", "verified")


class ConfirmVerificationView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        data = body_of(request)
        require(data, "token")
        found = _token_record(target, text(data, "token"), "verification")
        if found is None or found[1].get("email") != found[0].get("email"):
            raise _bad_token("validation_invalid_token_claims", "Invalid or expired token.")
        record = found[0]
        if not record.get("verified"):
            records.update(target, record["id"], {"verified": True})
        return Response(status=204)


class RequestPasswordResetView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        return _request_mail(request, auth_collection(collection), "passwordReset", "")


class ConfirmPasswordResetView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        data = body_of(request)
        require(data, "token", "password", "passwordConfirm")
        password = text(data, "password")
        errors: dict[str, Any] = {}
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            errors["password"] = field_error(
                "validation_length_out_of_range",
                f"The length must be between {PASSWORD_MIN} and {PASSWORD_MAX}.",
                {"min": PASSWORD_MIN, "max": PASSWORD_MAX},
            )
        if text(data, "passwordConfirm") != password:
            errors["passwordConfirm"] = field_error(
                "validation_values_mismatch", "Values don't match."
            )
        found = _token_record(target, text(data, "token"), "passwordReset")
        if found is None or found[1].get("email") != found[0].get("email"):
            errors["token"] = field_error("validation_invalid_token", "Invalid or expired token.")
        if errors:
            raise ValidationFailed(FORM_MESSAGE, errors)
        assert found is not None
        record = found[0]
        values: dict[str, Any] = {"password": password, "passwordConfirm": password}
        if not record.get("verified"):
            values["verified"] = True  # the reset link proved the address
        records.update(target, record["id"], values)  # rotates tokenKey (wire-api §4.5)
        return Response(status=204)


class RequestEmailChangeView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        auth = self.auth(request)
        if auth.is_guest or auth.record is None or auth.collection is None or auth.api_key:
            raise Unauthorized()
        if auth.collection.id != target.id:
            raise Forbidden(wrong_collection(auth.collection))
        data = body_of(request)
        require(data, "newEmail")
        new_email = text(data, "newEmail").strip()
        if not is_email(new_email):
            raise ValidationFailed(FORM_MESSAGE, {"newEmail": BAD_EMAIL})
        if new_email == auth.record.get("email"):
            raise ValidationFailed(
                FORM_MESSAGE,
                {"newEmail": field_error("validation_not_in_invalid", "Must not be in list.")},
            )
        if records.find_by_email(target, new_email):
            raise ValidationFailed(
                FORM_MESSAGE,
                {
                    "newEmail": field_error(
                        "validation_invalid_new_email", "Invalid new email address."
                    )
                },
            )
        ratelimit.consume("mail-ip", ratelimit.client_ip(request))
        # wire-api §4.2: sent synchronously, and a failure is the caller's 400
        sent = send_auth_email.apply(
            args=("emailChange", target.id, auth.record["id"], {"newEmail": new_email})
        ).get()
        if not sent:
            raise BadRequest("Failed to request email change.")
        return Response(status=204)


class ConfirmEmailChangeView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        data = body_of(request)
        require(data, "token", "password")
        found = _token_record(target, text(data, "token"), "emailChange")
        new_email = str(found[1].get("newEmail", "")) if found else ""
        errors: dict[str, Any] = {}
        if (
            found is None
            or found[1].get("email") != found[0].get("email")
            or not is_email(new_email)
        ):
            errors["token"] = field_error(
                "validation_invalid_token_payload", "Invalid or expired token."
            )
        record = found[0] if found else None
        subject = f"{target.id}:{record['id'] if record else 'unknown'}"
        ratelimit.guard_failures(request, subject)
        if not verify_password(
            text(data, "password"), record.get("password", "") if record else ""
        ):
            ratelimit.record_failure(request, subject)
            errors["password"] = field_error(
                "validation_invalid_password", "Missing or invalid auth record password."
            )
        if errors:
            raise ValidationFailed(FORM_MESSAGE, errors)
        assert record is not None
        with transaction.atomic():
            if records.find_by_email(target, new_email):
                raise _bad_token(
                    "validation_invalid_token_payload", "The new email address is already in use."
                )
            records.update(target, record["id"], {"email": new_email, "verified": True})
            records.rotate_token_key(target, record["id"])
        return Response(status=204)
