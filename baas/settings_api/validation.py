"""Checking a settings document: types on load, values after the merge (wire-api §7.3)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlparse

from baas.api.errors import BadRequest, ValidationFailed, field_error

SAVE_MESSAGE = "An error occurred while saving the new settings."
LOAD_MESSAGE = "An error occurred while loading the submitted data."
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
AUDIENCES = ("", "@guest", "@auth")


def load_patch(patch: Any, shape: Any) -> Any:
    """Keep known keys, and refuse a value whose JSON type differs from the default's."""
    if not isinstance(patch, dict):
        raise BadRequest(LOAD_MESSAGE)
    return _load(patch, shape)


def _load(value: Any, shape: Any) -> Any:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise BadRequest(LOAD_MESSAGE)
        return {k: _load(v, shape[k]) for k, v in value.items() if k in shape}
    if isinstance(shape, bool):
        ok = isinstance(value, bool)
    elif isinstance(shape, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(shape, str):
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, list)
    if not ok:
        raise BadRequest(LOAD_MESSAGE)
    return value


class _Errors(dict):
    def add(self, path: str, code: str, message: str, params: dict | None = None) -> None:
        node = self
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(keys[-1], field_error(code, message, params))

    def required(self, path: str, value: Any) -> bool:
        if value in ("", None):
            self.add(path, "validation_required", "Cannot be blank.")
            return False
        return True

    def at_least(self, path: str, value: int, minimum: int) -> None:
        if value < minimum:
            self.add(
                path,
                "validation_min_greater_equal_than_required",
                f"Must be no less than {minimum}.",
                {"threshold": minimum},
            )


def is_url(value: str) -> bool:
    parts = urlparse(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _cron_ok(expression: str) -> bool:
    if expression in CRON_MACROS:
        return True
    parts = expression.split()
    return len(parts) == 5 and all(CRON_FIELD.match(p) for p in parts)


def _ip_ok(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value), strict=False)
        return True
    except ValueError:
        return False


def check_settings(s: dict[str, Any]) -> None:
    errors = _Errors()
    _check_meta(s["meta"], errors)
    _check_smtp(s["smtp"], errors)
    _check_s3("s3", s["s3"], errors)
    _check_s3("backups.s3", s["backups"]["s3"], errors)
    if s["backups"]["cron"] and not _cron_ok(s["backups"]["cron"]):
        errors.add("backups.cron", "validation_invalid_cron", "Invalid cron expression.")
    errors.at_least("backups.cronMaxKeep", s["backups"]["cronMaxKeep"], 1)
    if s["batch"]["enabled"]:
        errors.at_least("batch.maxRequests", s["batch"]["maxRequests"], 1)
        errors.at_least("batch.timeout", s["batch"]["timeout"], 1)
    errors.at_least("batch.maxBodySize", s["batch"]["maxBodySize"], 0)
    _check_rate_limits(s["rateLimits"], errors)
    for name in ("maxDays", "maxDataSize"):
        errors.at_least(f"logs.{name}", s["logs"][name], 0)
    errors.at_least("webhooks.maxDays", s["webhooks"]["maxDays"], 0)
    _check_push(s["push"], errors)
    _check_lists(s, errors)
    if errors:
        raise ValidationFailed(SAVE_MESSAGE, dict(errors))


def _check_meta(meta: dict[str, Any], errors: _Errors) -> None:
    errors.required("meta.appName", meta["appName"].strip())
    if errors.required("meta.appURL", meta["appURL"]) and not is_url(meta["appURL"]):
        errors.add("meta.appURL", "validation_is_url", "Must be a valid URL.")
    errors.required("meta.senderName", meta["senderName"].strip())
    if errors.required("meta.senderAddress", meta["senderAddress"]) and not EMAIL.match(
        meta["senderAddress"]
    ):
        errors.add("meta.senderAddress", "validation_is_email", "Must be a valid email address.")


def _check_smtp(smtp: dict[str, Any], errors: _Errors) -> None:
    if not smtp["enabled"]:
        return
    errors.required("smtp.host", smtp["host"].strip())
    if not 0 < smtp["port"] < 65536:
        errors.add("smtp.port", "validation_invalid_port", "Must be between 1 and 65535.")
    if smtp["authMethod"] not in ("", "PLAIN", "LOGIN"):
        errors.add("smtp.authMethod", "validation_in_invalid", "Must be a valid value.")


def _check_s3(prefix: str, s3: dict[str, Any], errors: _Errors) -> None:
    if not s3["enabled"]:
        return
    for key in ("bucket", "region", "endpoint", "accessKey", "secret"):
        errors.required(f"{prefix}.{key}", s3[key])
    if s3["endpoint"] and not is_url(s3["endpoint"]):
        errors.add(f"{prefix}.endpoint", "validation_is_url", "Must be a valid URL.")


def _check_push(push: dict[str, Any], errors: _Errors) -> None:
    from baas.push.senders import apns_key_problem, fcm_credentials_problem

    errors.at_least("push.maxDays", push["maxDays"], 0)
    fcm, apns = push["fcm"], push["apns"]
    if fcm["enabled"]:
        errors.required("push.fcm.projectId", fcm["projectId"].strip())
        if errors.required("push.fcm.credentials", fcm["credentials"].strip()):
            problem = fcm_credentials_problem(fcm["credentials"])
            if problem:
                errors.add("push.fcm.credentials", "validation_invalid_credentials", problem)
    if apns["enabled"]:
        for key in ("keyId", "teamId", "topic"):
            errors.required(f"push.apns.{key}", apns[key].strip())
        if errors.required("push.apns.key", apns["key"].strip()):
            problem = apns_key_problem(apns["key"])
            if problem:
                errors.add("push.apns.key", "validation_invalid_key", problem)


def _check_rate_limits(limits: dict[str, Any], errors: _Errors) -> None:
    for index, rule in enumerate(limits["rules"]):
        path = f"rateLimits.rules.{index}"
        if not isinstance(rule, dict):
            errors.add(path, "validation_invalid_value", "Must be an object.")
            continue
        if not isinstance(rule.get("label"), str) or not rule["label"].strip():
            errors.add(f"{path}.label", "validation_required", "Cannot be blank.")
        if rule.get("audience", "") not in AUDIENCES:
            errors.add(f"{path}.audience", "validation_in_invalid", "Must be a valid value.")
        for key in ("duration", "maxRequests"):
            value = rule.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.add(
                    f"{path}.{key}",
                    "validation_min_greater_equal_than_required",
                    "Must be no less than 1.",
                    {"threshold": 1},
                )


def _check_lists(s: dict[str, Any], errors: _Errors) -> None:
    for path, items in (
        ("rateLimits.excludedIPs", s["rateLimits"]["excludedIPs"]),
        ("superuserIPs", s["superuserIPs"]),
    ):
        for index, item in enumerate(items):
            if not _ip_ok(item):
                errors.add(f"{path}.{index}", "validation_is_ip", "Must be a valid IP address.")
    for index, header in enumerate(s["trustedProxy"]["headers"]):
        if not isinstance(header, str) or not header.strip():
            errors.add(f"trustedProxy.headers.{index}", "validation_required", "Cannot be blank.")
    for index, origin in enumerate(s["cors"]["allowedOrigins"]):
        if origin != "*" and not (isinstance(origin, str) and is_url(origin)):
            errors.add(
                f"cors.allowedOrigins.{index}", "validation_is_url", "Must be * or an origin URL."
            )
