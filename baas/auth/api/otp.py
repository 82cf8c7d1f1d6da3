"""One-time passwords by email (wire-api §4.2): request-otp, auth-with-otp.

``request-otp`` answers an ``otpId`` for unknown addresses too (a random id that
matches nothing), so the answer never tells whether an account exists.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
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
from baas.auth.service import MFA_COLLECTION, expired, sign_in
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


def _after_password(collection: Collection, record: dict[str, Any], mfa_id: str) -> bool:
    """Whether this OTP is the second factor after the record's own password."""
    if not mfa_id:
        return False
    found = rows.fetch_one(records.system_collection(MFA_COLLECTION), mfa_id)
    return (
        found is not None
        and found.get("collectionRef") == collection.id
        and found.get("recordRef") == record["id"]
        and found.get("method") == "password"
    )


def _verify(
    collection: Collection, record: dict[str, Any], *, password_proven: bool
) -> dict[str, Any]:
    """The code reached the record's address: it is verified from now on.

    Unless the password was just proven too (MFA), the password is replaced with a
    random one and every older token revoked (a new ``tokenKey``), as the peer does: an
    unverified account may have been registered by someone else with this address
    (account pre-hijacking), and whoever chose that password must not keep access once
    the owner signs in. The owner sets a password with a reset when they want one.
    """
    changes: dict[str, Any] = {"verified": True}
    with transaction.atomic():
        if not password_proven and collection.field("password") is not None:
            records.set_random_password(collection, record["id"])
            changes["tokenKey"] = generate("[a-zA-Z0-9]{50}")
        return records.update(collection, record["id"], changes)


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
        mfa_id = mfa_id_of(request, data)
        if not record.get("verified") and otp.get("sentTo") == record.get("email"):
            record = _verify(
                target, record, password_proven=_after_password(target, record, mfa_id)
            )
        token = sign_in(request, target, record, "otp", mfa_id=mfa_id)
        return Response(auth_response(request, target, record, token))

    def _failed(
        self, request: Request, otps: Collection, otp_id: str, otp: dict[str, Any] | None
    ) -> None:
        subject = f"otp:{otp_id}"
        ratelimit.record_failure(request, subject)
        if otp is not None and ratelimit.count("fail-identity", subject) >= MAX_TRIES:
            records.delete(otps, otp_id)
