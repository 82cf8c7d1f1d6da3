"""Defaults of a fresh instance, as the peer returns them (wire-api §7.3, checked on 0.40.6)."""

from __future__ import annotations

import copy
from typing import Any

_S3: dict[str, Any] = {
    "enabled": False,
    "bucket": "",
    "region": "",
    "endpoint": "",
    "accessKey": "",
    "secret": "",
    "forcePathStyle": False,
}

DEFAULTS: dict[str, Any] = {
    "meta": {
        "appName": "Acme",
        "appURL": "http://localhost:8090",
        "senderName": "Support",
        "senderAddress": "support@example.com",
        "hideControls": False,
        "accentColor": "#1055c9",
    },
    "smtp": {
        "enabled": False,
        "host": "smtp.example.com",
        "port": 587,
        "username": "",
        "password": "",
        "authMethod": "",
        "tls": False,
        "localName": "",
    },
    "s3": _S3,
    "backups": {"cron": "", "cronMaxKeep": 3, "s3": _S3},
    "batch": {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
    "rateLimits": {
        "enabled": False,
        "rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300},
        ],
        "excludedIPs": [],
    },
    "trustedProxy": {"headers": [], "useLeftmostIP": False},
    "logs": {"maxDays": 5, "minLevel": 0, "logIP": True, "logAuthId": False, "maxDataSize": 0},
    "superuserIPs": [],
    # Ours, beyond the peer (an extra key the SDKs ignore): allowed CORS origins.
    "cors": {"allowedOrigins": ["*"]},
    "openapi": {"public": False},  # ours: guests may read /api/openapi.json (baas.openapi)
    # Ours: settled webhook deliveries and push notifications older than maxDays are
    # pruned (baas.jobs.pruning; 0 = kept). Push credentials, when a platform is
    # enabled here, take precedence over BAAS_FCM_* / BAAS_APNS_* (baas.push.senders).
    "webhooks": {"maxDays": 30},
    "push": {
        "maxDays": 30,
        "fcm": {"enabled": False, "projectId": "", "credentials": ""},
        "apns": {
            "enabled": False,
            "keyId": "",
            "teamId": "",
            "key": "",
            "topic": "",
            "sandbox": False,
        },
    },
}

# Write-only values: stored, never returned (wire-api §7.3 marks them with *).
SECRETS: tuple[tuple[str, ...], ...] = (
    ("smtp", "password"),
    ("s3", "secret"),
    ("backups", "s3", "secret"),
    ("push", "fcm", "credentials"),
    ("push", "apns", "key"),
)


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)
