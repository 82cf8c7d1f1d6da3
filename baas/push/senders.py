"""FCM HTTP v1 and APNs (HTTP/2): one message to one device token.

Each sender answers with a ``Result``: sent, retry later (network errors, 429, 5xx,
an expired auth token), the token is dead (FCM ``UNREGISTERED``/404, APNs 410
``Unregistered`` or ``BadDeviceToken``) or failed for good (any other 4xx).
"""

from __future__ import annotations

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
APNS_TOKEN_LIFETIME = 40 * 60  # Apple refuses tokens older than an hour, and refreshes < 20 min
TIMEOUT = 15.0
SENT, RETRY, DEAD, FAILED = "sent", "retry", "dead", "failed"


@dataclass(frozen=True)
class Result:
    outcome: str
    detail: str = ""


class PushNotConfigured(Exception):
    """The platform has no credentials (BAAS_FCM_* / BAAS_APNS_*)."""


def config() -> PushConfig:
    found = getattr(settings, "BAAS_PUSH", None)
    return found if isinstance(found, PushConfig) else PushConfig()


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
_fcm_credentials: Any = None


def _fcm_access_token(conf: PushConfig, *, renew: bool = False) -> str:
    """The service account's OAuth2 token (google-auth signs the JWT and refreshes it)."""
    global _fcm_credentials
    import google.auth.transport.urllib3
    import urllib3
    from google.oauth2 import service_account

    with _fcm_lock:
        if _fcm_credentials is None:
            info = json.loads(conf.fcm_credentials)
            _fcm_credentials = service_account.Credentials.from_service_account_info(
                info, scopes=[FCM_SCOPE]
            )
        if renew or not _fcm_credentials.valid:
            request = google.auth.transport.urllib3.Request(urllib3.PoolManager())
            _fcm_credentials.refresh(request)
        return str(_fcm_credentials.token)


def fcm_message(token: str, title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"token": token, "notification": {"title": title, "body": body}}
    if data:  # FCM data values are strings
        message["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return {"message": message}


def send_fcm(token: str, title: str, body: str, data: dict[str, Any]) -> Result:
    conf = config()
    if not conf.fcm_project_id:
        raise PushNotConfigured(
            "FCM is not configured (BAAS_FCM_PROJECT_ID, BAAS_FCM_CREDENTIALS)."
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
_apns_token: tuple[float, str] | None = None


def _apns_provider_token(conf: PushConfig, *, renew: bool = False) -> str:
    """The ES256 provider token (kid = key id, iss = team id), reused for 40 minutes."""
    global _apns_token
    with _apns_lock:
        now = time.time()
        if renew or _apns_token is None or now - _apns_token[0] > APNS_TOKEN_LIFETIME:
            signed = jwt.encode(
                {"iss": conf.apns_team_id, "iat": int(now)},
                conf.apns_key,
                algorithm="ES256",
                headers={"kid": conf.apns_key_id},
            )
            _apns_token = (now, signed)
        return _apns_token[1]


def apns_payload(title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in data.items() if k != "aps"}
    return {"aps": {"alert": {"title": title, "body": body}}, **extra}


def send_apns(token: str, title: str, body: str, data: dict[str, Any]) -> Result:
    conf = config()
    if not conf.apns_key_id:
        raise PushNotConfigured(
            "APNs is not configured (BAAS_APNS_KEY_ID, _TEAM_ID, _KEY, _TOPIC)."
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
