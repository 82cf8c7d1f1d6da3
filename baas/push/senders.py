"""FCM HTTP v1 and APNs (HTTP/2): one message to one device token.

Credentials: a platform enabled in the settings API (``push.fcm`` / ``push.apns``,
superusers only, write-only secrets) uses those; otherwise ``BAAS_FCM_*`` /
``BAAS_APNS_*`` from the environment. The endpoints and the CA file are the
environment's only (``push.apns.sandbox`` picks Apple's sandbox host unless
``BAAS_APNS_ENDPOINT`` names another).

Each sender answers with a ``Result``: sent, retry later (network errors, 429, 5xx,
an expired auth token), the token is dead (FCM ``UNREGISTERED``/404, APNs 410
``Unregistered`` or ``BadDeviceToken``) or failed for good (any other 4xx).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from django.conf import settings

from baas.config import PushConfig

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
APNS_SANDBOX = "https://api.sandbox.push.apple.com"
APNS_TOKEN_LIFETIME = 40 * 60  # Apple refuses tokens older than an hour, and refreshes < 20 min
TIMEOUT = 15.0
SENT, RETRY, DEAD, FAILED = "sent", "retry", "dead", "failed"


@dataclass(frozen=True)
class Result:
    outcome: str
    detail: str = ""


class PushNotConfigured(Exception):
    """The platform has no credentials (settings API ``push``, or BAAS_FCM_* / BAAS_APNS_*)."""


def config() -> PushConfig:
    """The environment's push configuration with the settings API's credentials over it."""
    from baas.settings_api.service import current

    found = getattr(settings, "BAAS_PUSH", None)
    return with_settings(
        found if isinstance(found, PushConfig) else PushConfig(), current()["push"]
    )


def with_settings(env: PushConfig, saved: dict[str, Any]) -> PushConfig:
    """A platform enabled in the settings takes its credentials from there."""
    fcm, apns = saved["fcm"], saved["apns"]
    changes: dict[str, Any] = {}
    if fcm["enabled"]:
        changes.update(fcm_project_id=fcm["projectId"], fcm_credentials=fcm["credentials"])
    if apns["enabled"]:
        changes.update(
            apns_key_id=apns["keyId"],
            apns_team_id=apns["teamId"],
            apns_key=apns["key"].strip(),
            apns_topic=apns["topic"],
        )
        if apns["sandbox"] and env.apns_endpoint == PushConfig.apns_endpoint:
            changes["apns_endpoint"] = APNS_SANDBOX
    return dataclasses.replace(env, **changes)


def fcm_credentials_problem(text: str) -> str:
    """Why ``text`` is not a service account key ("" when it is one)."""
    try:
        info = json.loads(text)
    except ValueError:
        return "Must be the service account key JSON."
    if not isinstance(info, dict) or not all(
        isinstance(info.get(k), str) and info[k] for k in ("client_email", "private_key")
    ):
        return "Must be a service account key (JSON with client_email and private_key)."
    return ""


def apns_key_problem(text: str) -> str:
    """Why ``text`` is not an APNs signing key ("" when it is one: an EC key in PEM)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(text.strip().encode(), password=None)
    except (ValueError, TypeError):
        return "Must be the .p8 key (PEM text, -----BEGIN PRIVATE KEY-----)."
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return "Must be an elliptic-curve (ES256) key, as Apple issues them."
    return ""


def _classify(status: int, detail: str, dead: bool) -> Result:
    if 200 <= status < 300:
        return Result(SENT)
    if dead:
        return Result(DEAD, detail)
    if status == 429 or status >= 500:
        return Result(RETRY, detail)
    return Result(FAILED, detail)


# --- FCM HTTP v1 --------------------------------------------------------------------------

_fcm_lock = threading.Lock()
_fcm_credentials: tuple[str, Any] | None = None  # (the key JSON, google-auth's credentials)


def _fcm_access_token(conf: PushConfig, *, renew: bool = False) -> str:
    """The service account's OAuth2 token (google-auth signs the JWT and refreshes it);
    a different key (the settings changed) starts afresh."""
    global _fcm_credentials
    import google.auth.transport.urllib3
    import urllib3
    from google.oauth2 import service_account

    with _fcm_lock:
        if _fcm_credentials is None or _fcm_credentials[0] != conf.fcm_credentials:
            info = json.loads(conf.fcm_credentials)
            made = service_account.Credentials.from_service_account_info(info, scopes=[FCM_SCOPE])
            _fcm_credentials = (conf.fcm_credentials, made)
        credentials = _fcm_credentials[1]
        if renew or not credentials.valid:
            request = google.auth.transport.urllib3.Request(urllib3.PoolManager())
            credentials.refresh(request)
        return str(credentials.token)


def fcm_message(token: str, title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"token": token, "notification": {"title": title, "body": body}}
    if data:  # FCM data values are strings
        message["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return {"message": message}


def send_fcm(token: str, title: str, body: str, data: dict[str, Any]) -> Result:
    conf = config()
    if not conf.fcm_project_id:
        raise PushNotConfigured(
            "FCM is not configured (settings push.fcm, or BAAS_FCM_PROJECT_ID and "
            "BAAS_FCM_CREDENTIALS)."
        )
    url = f"{conf.fcm_endpoint.rstrip('/')}/v1/projects/{conf.fcm_project_id}/messages:send"
    payload = fcm_message(token, title, body, data)
    try:
        access = _fcm_access_token(conf)
        answer = httpx.post(url, json=payload, headers=_bearer(access), timeout=TIMEOUT)
        if answer.status_code == 401:  # revoked or expired early: one fresh token
            access = _fcm_access_token(conf, renew=True)
            answer = httpx.post(url, json=payload, headers=_bearer(access), timeout=TIMEOUT)
    except Exception as exc:  # network, or the token endpoint (google.auth errors)
        return Result(RETRY, f"{type(exc).__name__}: {exc}"[:500])
    detail = answer.text[:500]
    return _classify(answer.status_code, detail, _fcm_dead(answer))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _fcm_dead(answer: httpx.Response) -> bool:
    if answer.status_code == 404:
        return True
    try:
        details = answer.json().get("error", {}).get("details", [])
    except ValueError:
        return False
    return any(d.get("errorCode") == "UNREGISTERED" for d in details if isinstance(d, dict))


# --- APNs ---------------------------------------------------------------------------------

_apns_lock = threading.Lock()
# (key id, team id, key), when it was signed, the token
_apns_token: tuple[tuple[str, str, str], float, str] | None = None


def _apns_provider_token(conf: PushConfig, *, renew: bool = False) -> str:
    """The ES256 provider token (kid = key id, iss = team id), reused for 40 minutes
    while the key stays the same."""
    global _apns_token
    with _apns_lock:
        now = time.time()
        signer = (conf.apns_key_id, conf.apns_team_id, conf.apns_key)
        if (
            renew
            or _apns_token is None
            or _apns_token[0] != signer
            or now - _apns_token[1] > APNS_TOKEN_LIFETIME
        ):
            signed = jwt.encode(
                {"iss": conf.apns_team_id, "iat": int(now)},
                conf.apns_key,
                algorithm="ES256",
                headers={"kid": conf.apns_key_id},
            )
            _apns_token = (signer, now, signed)
        return _apns_token[2]


def apns_payload(title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in data.items() if k != "aps"}
    return {"aps": {"alert": {"title": title, "body": body}}, **extra}


def send_apns(token: str, title: str, body: str, data: dict[str, Any]) -> Result:
    conf = config()
    if not conf.apns_key_id:
        raise PushNotConfigured(
            "APNs is not configured (settings push.apns, or BAAS_APNS_KEY_ID, _TEAM_ID, "
            "_KEY, _TOPIC)."
        )
    url = f"{conf.apns_endpoint.rstrip('/')}/3/device/{token}"
    content = json.dumps(apns_payload(title, body, data)).encode()
    try:
        with httpx.Client(http2=True, verify=conf.apns_ca_file or True, timeout=TIMEOUT) as client:
            answer = _apns_post(client, url, content, conf, renew=False)
            if _reason(answer) == "ExpiredProviderToken":
                answer = _apns_post(client, url, content, conf, renew=True)
    except httpx.HTTPError as exc:
        return Result(RETRY, f"{type(exc).__name__}: {exc}"[:500])
    reason = _reason(answer)
    dead = answer.status_code == 410 or reason in ("BadDeviceToken", "Unregistered")
    return _classify(answer.status_code, reason or answer.text[:500], dead)


def _apns_post(
    client: httpx.Client, url: str, content: bytes, conf: PushConfig, *, renew: bool
) -> httpx.Response:
    headers = {
        "authorization": f"bearer {_apns_provider_token(conf, renew=renew)}",
        "apns-topic": conf.apns_topic,
        "apns-push-type": "alert",
        "apns-priority": "10",
        "content-type": "application/json",
    }
    return client.post(url, content=content, headers=headers)


def _reason(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("reason", ""))
    except ValueError:
        return ""


SENDERS = {"fcm": send_fcm, "apns": send_apns}


def reset() -> None:
    """Forget cached auth tokens (credentials changed; tests)."""
    global _fcm_credentials, _apns_token
    with _fcm_lock, _apns_lock:
        _fcm_credentials = None
        _apns_token = None
