"""``/api/settings`` and its test endpoints (wire-api §7.3), superusers only."""

from __future__ import annotations

import smtplib
import uuid
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, ValidationFailed, field_error
from baas.settings_api import mail, service

TEMPLATES = {
    "verification": ("verificationTemplate",),
    "password-reset": ("resetPasswordTemplate",),
    "email-change": ("confirmEmailChangeTemplate",),
    "otp": ("otp", "emailTemplate"),
    "login-alert": ("authAlert", "emailTemplate"),
}


def _body(request: Request) -> dict[str, Any]:
    return request.data if isinstance(request.data, dict) else {}


class SettingsView(SuperuserView):
    def get(self, request: Request) -> Response:
        return Response(service.public(service.current()))

    def patch(self, request: Request) -> Response:
        return Response(service.public(service.update(request.data)))


def _template_of(collection_name: str, template: str) -> dict[str, str]:
    from baas.collections.api.views import find_collection

    collection = find_collection(collection_name)
    node: Any = collection.options
    for key in TEMPLATES[template]:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return {"subject": str(node.get("subject", "")), "body": str(node.get("body", ""))}


class TestEmailView(SuperuserView):
    def post(self, request: Request) -> Response:
        data = _body(request)
        errors = {}
        if not data.get("email"):
            errors["email"] = field_error("validation_required", "Cannot be blank.")
        elif not isinstance(data["email"], str) or "@" not in data["email"]:
            errors["email"] = field_error("validation_is_email", "Must be a valid email address.")
        if not data.get("template"):
            errors["template"] = field_error("validation_required", "Cannot be blank.")
        elif data["template"] not in TEMPLATES:
            errors["template"] = field_error("validation_in_invalid", "Must be a valid value.")
        if errors:
            raise ValidationFailed("Failed to send the test email.", errors)
        template = _template_of(str(data.get("collection") or "_superusers"), data["template"])
        meta = service.current()["meta"]
        values = {
            "APP_NAME": meta["appName"],
            "APP_URL": meta["appURL"],
            "TOKEN": "TEST_TOKEN",
            "OTP": "123456",
            "ALERT_INFO": "a test device",
        }
        record = {"id": "test", "email": data["email"]}
        try:
            mail.send_mail(
                data["email"],
                mail.fill_placeholders(template["subject"], values, record),
                mail.fill_placeholders(template["body"], values, record),
            )
        except mail.MailDisabled:
            raise BadRequest("SMTP is disabled: enable it in the mail settings first.") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise BadRequest(f"Failed to send the test email: {exc}") from None
        return Response(status=204)


class TestS3View(SuperuserView):
    def post(self, request: Request) -> Response:
        filesystem = _body(request).get("filesystem")
        if filesystem not in ("storage", "backups"):
            raise ValidationFailed(
                "Failed to test the S3 filesystem.",
                {"filesystem": field_error("validation_required", "Cannot be blank.")},
            )
        settings = service.current()
        config = settings["s3"] if filesystem == "storage" else settings["backups"]["s3"]
        if not config["enabled"]:
            raise BadRequest("S3 storage filesystem is not enabled.")
        try:
            _probe_bucket(config)
        except Exception as exc:  # botocore raises many types; the admin needs the reason
            raise BadRequest(f"Failed to initialize the S3 storage. Raw error: {exc}") from None
        return Response(status=204)


def _probe_bucket(config: dict[str, Any]) -> None:
    """Write, read and delete one small object, as uploads would."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=config["endpoint"],
        aws_access_key_id=config["accessKey"],
        aws_secret_access_key=config["secret"],
        region_name=config["region"],
        config=Config(
            s3={"addressing_style": "path" if config["forcePathStyle"] else "auto"},
            connect_timeout=5,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )
    key = f"baas_test_{uuid.uuid4().hex}.txt"
    client.put_object(Bucket=config["bucket"], Key=key, Body=b"test")
    client.get_object(Bucket=config["bucket"], Key=key)["Body"].read()
    client.delete_object(Bucket=config["bucket"], Key=key)
