"""Beyond the peer, under ``/api/x/`` (paths the SDKs never call).

Force logout, API keys (superusers), TOTP authenticators with recovery codes, passkeys.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView, SuperuserView
from baas.api.errors import (
    FORM_MESSAGE,
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from baas.auth import apikeys, ratelimit, records, second_factor
from baas.auth.api.common import (
    REQUIRED,
    auth_collection,
    auth_response,
    body_of,
    mfa_id_of,
    require,
    text,
    wrong_collection,
)
from baas.auth.context import ACTIONS
from baas.auth.models import ApiKey
from baas.auth.service import mfa_owner, sign_in
from baas.collections.fields.dates import to_wire
from baas.collections.models import Collection
from baas.collections.records import rows
from baas.settings_api.service import current as app_settings

INVALID_CODE = field_error("validation_invalid_code", "Invalid or expired code.")
INVALID_PASSKEY = field_error("validation_invalid_passkey", "The passkey could not be verified.")


class ForceLogoutView(SuperuserView):
    """``POST /api/x/collections/{c}/records/{id}/logout``: rotate ``tokenKey`` (wire-api §4.5)."""

    def post(self, request: Request, collection: str, record_id: str) -> Response:
        target = auth_collection(collection)
        if rows.fetch_one(target, record_id) is None:
            raise NotFound()
        records.rotate_token_key(target, record_id)
        return Response(status=204)


class _KeyAdminView(SuperuserView):
    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if self.auth(request).api_key:
            raise Forbidden("API keys cannot manage API keys.")


class ApiKeysView(_KeyAdminView):
    """``GET|POST /api/x/api-keys``: list keys; create one (its text is shown only here)."""

    def get(self, request: Request) -> Response:
        return Response([key_to_wire(k) for k in ApiKey.objects.order_by("-created")])

    def post(self, request: Request) -> Response:
        data = body_of(request)
        name = text(data, "name").strip()
        collections = data.get("collections") or []
        actions = data.get("actions") or []
        errors: dict[str, object] = {}
        if not name:
            errors["name"] = REQUIRED
        if not _strings(collections):
            errors["collections"] = field_error("validation_invalid_value", "Invalid value.")
        if not _strings(actions) or not set(actions) <= set(ACTIONS):
            errors["actions"] = field_error(
                "validation_invalid_value", f"Must be a list of {', '.join(ACTIONS)}."
            )
        duration = data.get("duration", 0)
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
            errors["duration"] = field_error(
                "validation_min_greater_equal_than_required", "Must be no less than 0."
            )
        if errors:
            raise ValidationFailed(FORM_MESSAGE, errors)
        expires = timezone.now() + timedelta(seconds=duration) if duration else None
        row, plain = apikeys.create(name, collections, actions, expires, self.auth(request).id)
        return Response({**key_to_wire(row), "key": plain})


class ApiKeyDetailView(_KeyAdminView):
    def delete(self, request: Request, key_id: str) -> Response:
        if not ApiKey.objects.filter(id=key_id, revoked__isnull=True).update(
            revoked=timezone.now()
        ):
            raise NotFound()
        return Response(status=204)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def key_to_wire(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "collections": key.collections,
        "actions": key.actions,
        "created": to_wire(key.created),
        "expires": to_wire(key.expires) if key.expires else "",
        "revoked": to_wire(key.revoked) if key.revoked else "",
        "lastUsed": to_wire(key.last_used) if key.last_used else "",
    }


class _SignedInView(ApiView):
    """Endpoints for the signed-in record of the collection in the URL."""

    def signed_in(self, request: Request, collection: str) -> tuple[Collection, dict]:
        target = auth_collection(collection)
        auth = self.auth(request)
        if auth.is_guest or auth.record is None or auth.collection is None or auth.api_key:
            raise Unauthorized()
        if auth.collection.id != target.id:
            raise Forbidden(wrong_collection(auth.collection))
        return target, auth.record


class TotpView(_SignedInView):
    """``POST`` start enrolment (secret + otpauth URL); ``DELETE`` remove (needs a code)."""

    def post(self, request: Request, collection: str) -> Response:
        target, record = self.signed_in(request, collection)
        issuer = str(app_settings()["meta"].get("appName") or "baas")
        return Response(second_factor.start_totp(target, record, issuer))

    def delete(self, request: Request, collection: str) -> Response:
        target, record = self.signed_in(request, collection)
        code = text(body_of(request), "code")
        _check_code(request, target, record["id"], code)
        second_factor.remove_all(target, record["id"])
        return Response(status=204)


class TotpConfirmView(_SignedInView):
    """``POST {code}``: activate; answers the recovery codes, shown only this once."""

    def post(self, request: Request, collection: str) -> Response:
        target, record = self.signed_in(request, collection)
        data = body_of(request)
        require(data, "code")
        codes = second_factor.confirm_totp(target, record["id"], text(data, "code").strip())
        if codes is None:
            raise ValidationFailed(FORM_MESSAGE, {"code": INVALID_CODE})
        return Response({"recoveryCodes": codes})


class AuthWithTotpView(ApiView):
    """``POST {mfaId, code}``: the second step of MFA with a TOTP or recovery code."""

    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        data = body_of(request)
        require(data, "mfaId", "code")
        mfa_id = text(data, "mfaId")
        record = mfa_owner(target, mfa_id)
        if record is None:
            raise BadRequest("Invalid or expired MFA session.")
        _check_code(request, target, record["id"], text(data, "code"))
        token = sign_in(request, target, record, "totp", mfa_id=mfa_id)
        return Response(auth_response(request, target, record, token))


def _check_code(request: Request, collection: Collection, record_id: str, code: str) -> None:
    subject = f"totp:{collection.id}:{record_id}"
    ratelimit.guard_failures(request, subject)
    if not code or not second_factor.verify(collection, record_id, code):
        ratelimit.record_failure(request, subject)
        raise ValidationFailed(FORM_MESSAGE, {"code": INVALID_CODE})


class PasskeysView(_SignedInView):
    """``GET`` my passkeys; ``POST`` begin registering one."""

    def get(self, request: Request, collection: str) -> Response:
        # fido2 (3 MB a process) loads with the first passkey request
        from baas.auth import passkeys

        target, record = self.signed_in(request, collection)
        return Response(passkeys.list_passkeys(target, record["id"]))

    def post(self, request: Request, collection: str) -> Response:
        from baas.auth import passkeys

        target, record = self.signed_in(request, collection)
        return Response(passkeys.begin_registration(target, record))


class PasskeyRegisterView(_SignedInView):
    """``POST {ceremonyId, credential, name?}``: finish registering a passkey."""

    def post(self, request: Request, collection: str) -> Response:
        from baas.auth import passkeys

        target, record = self.signed_in(request, collection)
        data = body_of(request)
        require(data, "ceremonyId")
        try:
            row = passkeys.complete_registration(
                target,
                record["id"],
                text(data, "ceremonyId"),
                data.get("credential"),
                text(data, "name"),
            )
        except passkeys.CeremonyFailed:
            raise ValidationFailed(FORM_MESSAGE, {"credential": INVALID_PASSKEY}) from None
        return Response({"id": str(row.pk), "name": row.name})


class PasskeyDetailView(_SignedInView):
    def delete(self, request: Request, collection: str, passkey_id: str) -> Response:
        from baas.auth import passkeys

        target, record = self.signed_in(request, collection)
        if not passkeys.delete_passkey(target, record["id"], passkey_id):
            raise NotFound()
        return Response(status=204)


class PasskeyOptionsView(ApiView):
    """``POST {mfaId?}``: a sign-in challenge for discoverable passkeys.

    No email is taken: the allowed-credentials list would tell who has an account. In
    the MFA second step the ``mfaId`` (a proven first factor) narrows it to that user.
    """

    def post(self, request: Request, collection: str) -> Response:
        from baas.auth import passkeys

        target = auth_collection(collection)
        mfa_id = mfa_id_of(request, body_of(request))
        owner = mfa_owner(target, mfa_id) if mfa_id else None
        return Response(passkeys.begin_authentication(target, owner["id"] if owner else ""))


class AuthWithPasskeyView(ApiView):
    """``POST {ceremonyId, credential, mfaId?}``: sign in with a passkey (wire-api §4.1 answer)."""

    def post(self, request: Request, collection: str) -> Response:
        from baas.auth import passkeys

        target = auth_collection(collection)
        data = body_of(request)
        require(data, "ceremonyId")
        ratelimit.guard("fail-ip", ratelimit.client_ip(request))
        try:
            record_id = passkeys.complete_authentication(
                target, text(data, "ceremonyId"), data.get("credential")
            )
        except passkeys.CeremonyFailed:
            ratelimit.record_failure(request, "")
            raise BadRequest("Failed to authenticate.") from None
        record = rows.fetch_one(target, record_id)
        if record is None:
            raise BadRequest("Failed to authenticate.")
        token = sign_in(request, target, record, "passkey", mfa_id=mfa_id_of(request, data))
        return Response(auth_response(request, target, record, token))
