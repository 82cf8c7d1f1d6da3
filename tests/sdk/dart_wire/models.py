"""The Dart SDK's response models, decoded with the casts its generated ``fromJson`` makes.

``json_serializable`` writes ``json['x'] as String? ?? ""``: a missing key or ``null`` is
fine, any other type throws a ``TypeError`` in the app. These decoders raise
``DartCastError`` in exactly those places, so an answer that decodes here decodes there.
Each returns plain Python values with the SDK's defaults filled in.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any


class DartCastError(AssertionError):
    pass


def _get(data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        raise DartCastError(f"expected a JSON object, got {data!r}")
    return data.get(key)


def string(data: Any, key: str, default: str | None = "") -> str | None:
    value = _get(data, key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise DartCastError(f"{key}: {value!r} is not a String")
    return value


def boolean(data: Any, key: str, default: bool | None = False) -> bool | None:
    value = _get(data, key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise DartCastError(f"{key}: {value!r} is not a bool")
    return value


def number(data: Any, key: str) -> float | int:
    value = _get(data, key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DartCastError(f"{key}: {value!r} is not a num")
    return value


def integer(data: Any, key: str) -> int:
    """``(json['x'] as num?)?.toInt() ?? 0``."""
    return int(number(data, key))


def mapping(data: Any, key: str, required: bool = False) -> dict[str, Any] | None:
    value = _get(data, key)
    if value is None:
        if required:
            raise DartCastError(f"{key}: missing")
        return None
    if not isinstance(value, dict):
        raise DartCastError(f"{key}: {value!r} is not a Map")
    return value


def listing(data: Any, key: str) -> list[Any] | None:
    value = _get(data, key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise DartCastError(f"{key}: {value!r} is not a List")
    return value


def strings(data: Any, key: str) -> list[str] | None:
    items = listing(data, key)
    if items is None:
        return None
    for item in items:
        if not isinstance(item, str):
            raise DartCastError(f"{key}: {item!r} is not a String")
    return items


# ---- records -----------------------------------------------------------------------------


def record_model(data: Any) -> dict[str, Any]:
    """``RecordModel.fromJson``: any object; ``expand`` values must be objects or lists of them."""
    if not isinstance(data, dict):
        raise DartCastError(f"record: {data!r} is not a Map")
    for value in (mapping(data, "expand") or {}).values():
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    record_model(item)
        elif isinstance(value, dict):
            record_model(value)
    return data


def result_list(data: Any, item: Any = record_model) -> dict[str, Any]:
    items = listing(data, "items")
    return {
        "page": integer(data, "page"),
        "perPage": integer(data, "perPage"),
        "totalItems": integer(data, "totalItems"),
        "totalPages": integer(data, "totalPages"),
        "items": [item(_object(i)) for i in items or []],
    }


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DartCastError(f"{value!r} is not a Map")
    return value


def record_auth(data: Any) -> dict[str, Any]:
    record = mapping(data, "record")
    return {
        "token": string(data, "token"),
        "meta": mapping(data, "meta") or {},
        "record": record_model(record) if record is not None else {},
    }


def record_subscription_event(data: Any) -> dict[str, Any]:
    record = mapping(data, "record")
    return {
        "action": string(data, "action"),
        "record": record_model(record) if record is not None else None,
    }


def token_payload(token: str) -> dict[str, Any]:
    """``base64.normalize`` + ``base64Decode`` of the JWT's middle part."""
    part = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def token_is_valid(token: str) -> bool:
    """``AuthStore.isValid``: three parts, ``exp`` (int or numeric string) in the future."""
    if token.count(".") != 2:
        return False
    exp = token_payload(token).get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        try:
            exp = int(str(exp))
        except ValueError:
            exp = 0
    return exp > time.time()


# ---- auth methods ------------------------------------------------------------------------


def auth_methods_list(data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    mfa = mapping(data, "mfa")
    otp = mapping(data, "otp")
    password = mapping(data, "password")
    oauth2 = mapping(data, "oauth2")
    out["mfa"] = mfa and {"duration": number(mfa, "duration"), "enabled": boolean(mfa, "enabled")}
    out["otp"] = otp and {"duration": number(otp, "duration"), "enabled": boolean(otp, "enabled")}
    out["password"] = password and {
        "enabled": boolean(password, "enabled"),
        "identityFields": strings(password, "identityFields"),
    }
    out["oauth2"] = oauth2 and {
        "enabled": boolean(oauth2, "enabled"),
        "providers": [auth_method_provider(_object(p)) for p in listing(oauth2, "providers") or []],
    }
    return out


def auth_method_provider(data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: string(data, key)
        for key in (
            "name",
            "displayName",
            "state",
            "codeVerifier",
            "codeChallenge",
            "codeChallengeMethod",
            "authURL",
        )
    }
    out["pkce"] = boolean(data, "pkce", None)
    return out


def otp_response(data: Any) -> dict[str, Any]:
    return {"otpId": string(data, "otpId")}


# ---- collections -------------------------------------------------------------------------

TOKEN_CONFIGS = (
    "authToken",
    "passwordResetToken",
    "emailChangeToken",
    "verificationToken",
    "fileToken",
)
TEMPLATES = ("verificationTemplate", "resetPasswordTemplate", "confirmEmailChangeTemplate")


def collection_model(data: Any) -> dict[str, Any]:
    """``CollectionModel.fromJson`` then ``toJson``: what ``collections.import`` sends back."""
    out: dict[str, Any] = {
        "id": string(data, "id"),
        "type": string(data, "type", "base"),
        "created": string(data, "created"),
        "updated": string(data, "updated"),
        "name": string(data, "name"),
        "system": boolean(data, "system"),
    }
    for rule in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule"):
        out[rule] = string(data, rule, None)
    out["fields"] = [_object(f) for f in listing(data, "fields") or []]
    out["indexes"] = strings(data, "indexes") or []
    for key in ("viewQuery", "authRule", "manageRule"):
        out[key] = string(data, key, None)
    alert = mapping(data, "authAlert")
    out["authAlert"] = alert and {
        "enabled": boolean(alert, "enabled"),
        "emailTemplate": email_template(mapping(alert, "emailTemplate") or {}),
    }
    oauth2 = mapping(data, "oauth2")
    if oauth2 is not None:
        mapped = mapping(oauth2, "mappedFields")
        for value in (mapped or {}).values():
            if not isinstance(value, str):
                raise DartCastError(f"oauth2.mappedFields: {value!r} is not a String")
        out["oauth2"] = {
            "enabled": boolean(oauth2, "enabled"),
            "mappedFields": mapped,
            "providers": listing(oauth2, "providers"),
        }
    else:
        out["oauth2"] = None
    password = mapping(data, "passwordAuth")
    out["passwordAuth"] = password and {
        "enabled": boolean(password, "enabled"),
        "identityFields": strings(password, "identityFields"),
    }
    mfa = mapping(data, "mfa")
    out["mfa"] = mfa and {
        "duration": number(mfa, "duration"),
        "enabled": boolean(mfa, "enabled"),
        "rule": string(mfa, "rule"),
    }
    otp = mapping(data, "otp")
    out["otp"] = otp and {
        "duration": number(otp, "duration"),
        "length": number(otp, "length"),
        "enabled": boolean(otp, "enabled"),
        "emailTemplate": email_template(mapping(otp, "emailTemplate") or {}),
    }
    for key in TOKEN_CONFIGS:
        config = mapping(data, key)
        out[key] = config and {
            "duration": number(config, "duration"),
            "secret": string(config, "secret", None),
        }
    for key in TEMPLATES:
        template = mapping(data, key)
        out[key] = None if template is None else email_template(template)
    return out


def email_template(data: Any) -> dict[str, Any]:
    return {"subject": string(data, "subject"), "body": string(data, "body")}


def configurable_oauth2_provider(data: Any) -> dict[str, Any]:
    return {k: string(data, k) for k in ("name", "displayName", "logo")}


# ---- admin services ----------------------------------------------------------------------


def health_check(data: Any) -> dict[str, Any]:
    return {
        "code": integer(data, "code"),
        "message": string(data, "message"),
        "data": mapping(data, "data") or {},
    }


def log_model(data: Any) -> dict[str, Any]:
    return {
        "id": string(data, "id"),
        "created": string(data, "created"),
        "updated": string(data, "updated"),
        "level": integer(data, "level"),
        "message": string(data, "message"),
        "data": mapping(data, "data") or {},
    }


def log_stat(data: Any) -> dict[str, Any]:
    return {"total": integer(data, "total"), "date": string(data, "date")}


def backup_file_info(data: Any) -> dict[str, Any]:
    return {
        "key": string(data, "key"),
        "size": integer(data, "size"),
        "modified": string(data, "modified"),
    }


def cron_job(data: Any) -> dict[str, Any]:
    return {"id": string(data, "id"), "expression": string(data, "expression")}


def batch_result(data: Any) -> dict[str, Any]:
    return {"status": number(data, "status"), "body": _get(data, "body")}
