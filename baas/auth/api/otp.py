"""One-time passwords by email (wire-api §4.2): request-otp, auth-with-otp.

``request-otp`` answers an ``otpId`` for unknown addresses too (a random id that
matches nothing), so the answer never tells whether an account exists.
"""

from __future__ import annotations

import secrets
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import BadRequest, Forbidden
from baas.auth import ratelimit, records
from baas.auth.api.common import (
    auth_collection,
    auth_response,
    body_of,
    mfa_id_of,
    require,
    require_email,
    text,
)
from baas.auth.passwords import verify_password
from baas.auth.service import expired, sign_in
from baas.auth.tasks import queue_auth_email
from baas.collections.fields.patterns import generate
from baas.collections.models import Collection
from baas.collections.records import rows

OTP_COLLECTION = "_otps"
INVALID = "Invalid or expired OTP."
MAX_TRIES = 5  # failed codes per OTP before it is thrown away


def _options(collection: Collection) -> dict[str, Any]:
    options = collection.options.get("otp", {})
    if not options.get("enabled"):
        raise Forbidden("The collection is not configured to allow OTP authentication.")
    return options


class RequestOtpView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        options = _options(target)
        email = require_email(body_of(request))
        ratelimit.consume("mail-ip", ratelimit.client_ip(request))
        record = records.find_by_email(target, email)
        subject = f"otp:{target.id}:{email}"
        code = "".join(secrets.choice("0123456789") for _ in range(int(options.get("length") or 8)))
        if record is None or ratelimit.exceeded("mail-identity", subject):
            from baas.auth.passwords import hash_password

            hash_password(code)  # the same work as a real OTP, so timing tells nothing
            return Response({"otpId": generate("[a-z0-9]{15}")})
        ratelimit.hit("mail-identity", subject)
        otp = records.create(
            records.system_collection(OTP_COLLECTION),
            {
                "collectionRef": target.id,
                "recordRef": record["id"],
                "password": code,
                "sentTo": email,
            },
        )
        queue_auth_email("otp", target.id, record["id"], {"otp": code})
        return Response({"otpId": otp["id"]})


class AuthWithOtpView(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        options = _options(target)
        data = body_of(request)
        require(data, "otpId", "password")
        otp_id = text(data, "otpId")
        ratelimit.guard_failures(request, f"otp:{otp_id}")
        otps = records.system_collection(OTP_COLLECTION)
        otp = rows.fetch_one(otps, otp_id)
        valid = (
            otp is not None
            and otp.get("collectionRef") == target.id
            and not expired(otp.get("created", ""), int(options.get("duration") or 180))
        )
        if not verify_password(
            text(data, "password"), otp.get("password", "") if valid and otp else ""
        ):
            self._failed(request, otps, otp_id, otp)
            raise BadRequest(INVALID)
        assert otp is not None
        record = rows.fetch_one(target, otp.get("recordRef", ""))
        if record is None:
            raise BadRequest(INVALID)
        records.delete(otps, otp_id)  # single use (wire-api §4.2)
        if not record.get("verified") and otp.get("sentTo") == record.get("email"):
            record = records.update(target, record["id"], {"verified": True})
        token = sign_in(request, target, record, "otp", mfa_id=mfa_id_of(request, data))
        return Response(auth_response(request, target, record, token))

    def _failed(
        self, request: Request, otps: Collection, otp_id: str, otp: dict[str, Any] | None
    ) -> None:
        subject = f"otp:{otp_id}"
        ratelimit.record_failure(request, subject)
        if otp is not None and ratelimit.count("fail-identity", subject) >= MAX_TRIES:
            records.delete(otps, otp_id)
