"""Scaffolds and the system fields/options each collection type starts with (wire-api §1.1)."""

from __future__ import annotations

import copy
from typing import Any

from baas.collections.models import AUTH, BASE, VIEW

ID_FIELD: dict[str, Any] = {
    "autogeneratePattern": "[a-z0-9]{15}",
    "help": "",
    "hidden": False,
    "id": "text3208210256",
    "max": 15,
    "min": 15,
    "name": "id",
    "pattern": "^[a-z0-9]+$",
    "presentable": False,
    "primaryKey": True,
    "required": True,
    "system": True,
    "type": "text",
}

AUTH_FIELDS: list[dict[str, Any]] = [
    {
        "cost": 0,
        "help": "",
        "hidden": True,
        "id": "password901924565",
        "max": 0,
        "min": 8,
        "name": "password",
        "pattern": "",
        "presentable": False,
        "required": True,
        "system": True,
        "type": "password",
    },
    {
        "autogeneratePattern": "[a-zA-Z0-9]{50}",
        "help": "",
        "hidden": True,
        "id": "text2504183744",
        "max": 60,
        "min": 30,
        "name": "tokenKey",
        "pattern": "",
        "presentable": False,
        "primaryKey": False,
        "required": True,
        "system": True,
        "type": "text",
    },
    {
        "exceptDomains": [],
        "help": "",
        "hidden": False,
        "id": "email3885137012",
        "name": "email",
        "onlyDomains": [],
        "presentable": False,
        "required": True,
        "system": True,
        "type": "email",
    },
    {
        "help": "",
        "hidden": False,
        "id": "bool1547992806",
        "name": "emailVisibility",
        "presentable": False,
        "required": False,
        "system": True,
        "type": "bool",
    },
    {
        "help": "",
        "hidden": False,
        "id": "bool256245529",
        "name": "verified",
        "presentable": False,
        "required": False,
        "system": True,
        "type": "bool",
    },
]
AUTH_SYSTEM_NAMES = ("password", "tokenKey", "email", "emailVisibility", "verified")

CREATED_FIELD = {
    "hidden": False,
    "id": "autodate2990389176",
    "name": "created",
    "onCreate": True,
    "onUpdate": False,
    "presentable": False,
    "system": False,
    "type": "autodate",
}
UPDATED_FIELD = {
    "hidden": False,
    "id": "autodate3332085495",
    "name": "updated",
    "onCreate": True,
    "onUpdate": True,
    "presentable": False,
    "system": False,
    "type": "autodate",
}


def _template(subject: str, body: str) -> dict[str, str]:
    return {"subject": subject, "body": body}


_SIGN_OFF = "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"

AUTH_OPTIONS: dict[str, Any] = {
    "authRule": "",
    "manageRule": None,
    "authAlert": {
        "enabled": True,
        "emailTemplate": _template(
            "Login from a new location",
            "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new location:</p>\n"
            "<p><em>{ALERT_INFO}</em></p>\n<p><strong>If this wasn't you, you should immediately change "
            "your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n"
            "<p>If this was you, you may disregard this email.</p>\n" + _SIGN_OFF,
        ),
    },
    "oauth2": {
        "providers": [],
        "mappedFields": {"id": "", "name": "", "username": "", "avatarURL": ""},
        "enabled": False,
    },
    "passwordAuth": {"enabled": True, "identityFields": ["email"]},
    "mfa": {"enabled": False, "duration": 600, "rule": ""},
    "otp": {
        "enabled": False,
        "duration": 180,
        "length": 8,
        "emailTemplate": _template(
            "OTP for {APP_NAME}",
            "<p>Hello,</p>\n<p>Your one-time password is: <strong>{OTP}</strong></p>\n"
            "<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>\n"
            + _SIGN_OFF,
        ),
    },
    "authToken": {"duration": 432000},
    "passwordResetToken": {"duration": 1800},
    "emailChangeToken": {"duration": 1800},
    "verificationToken": {"duration": 86400},
    "fileToken": {"duration": 180},
    "verificationTemplate": _template(
        "Verify your {APP_NAME} email",
        "<p>Hello,</p>\n<p>Thank you for joining us at {APP_NAME}.</p>\n"
        "<p>Click on the button below to verify your email address.</p>\n<p>\n"
        '  <a class="btn" href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}" target="_blank" '
        'rel="noopener">Verify</a>\n</p>\n'
        "<p><i>If you didn't recently register, please ignore this email.</i></p>\n" + _SIGN_OFF,
    ),
    "resetPasswordTemplate": _template(
        "Reset your {APP_NAME} password",
        "<p>Hello,</p>\n<p>Click on the button below to reset your password.</p>\n<p>\n"
        '  <a class="btn" href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}" target="_blank" '
        'rel="noopener">Reset password</a>\n</p>\n'
        "<p><i>If you didn't ask to reset your password, please ignore this email.</i></p>\n"
        + _SIGN_OFF,
    ),
    "confirmEmailChangeTemplate": _template(
        "Confirm your {APP_NAME} new email address",
        "<p>Hello,</p>\n<p>Click on the button below to confirm your new email address.</p>\n<p>\n"
        '  <a class="btn" href="{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}" target="_blank" '
        'rel="noopener">Confirm new email</a>\n</p>\n'
        "<p><i>If you didn't ask to change your email address, please ignore this email.</i></p>\n"
        + _SIGN_OFF,
    ),
}
# Secrets kept in options but never shown on the wire.
AUTH_TOKEN_KEYS = (
    "authToken",
    "passwordResetToken",
    "emailChangeToken",
    "verificationToken",
    "fileToken",
)


def auth_indexes(collection_id: str, name: str) -> list[str]:
    return [
        f"CREATE UNIQUE INDEX `idx_tokenKey_{collection_id}` ON `{name}` (`tokenKey`)",
        f"CREATE UNIQUE INDEX `idx_email_{collection_id}` ON `{name}` (`email`) WHERE `email` != ''",
    ]


def scaffold(type_name: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "",
        "listRule": None,
        "viewRule": None,
        "createRule": None,
        "updateRule": None,
        "deleteRule": None,
        "name": "",
        "type": type_name,
        "fields": [copy.deepcopy(ID_FIELD)] if type_name != VIEW else [],
        "indexes": [],
        "created": "",
        "updated": "",
        "system": False,
    }
    if type_name == AUTH:
        data["fields"] += copy.deepcopy(AUTH_FIELDS)
        data["indexes"] = auth_indexes("", "")
        data.update(copy.deepcopy(AUTH_OPTIONS))
    if type_name == VIEW:
        data["viewQuery"] = ""
    return data


def scaffolds() -> dict[str, dict[str, Any]]:
    return {t: scaffold(t) for t in (AUTH, BASE, VIEW)}
