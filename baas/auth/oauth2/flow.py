"""The OAuth2 flows of wire-api §4.2/§4.3 on top of allauth's provider classes.

``provider_entries`` makes the ``auth-methods`` entries (fresh state and PKCE pair per
call). ``exchange`` turns a code into allauth's ``SocialLogin`` (allauth's client does
the token request, its adapter the profile request). ``link_or_create`` finds or makes
the auth record and the ``_externalAuths`` link.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from django.core.files.uploadedfile import SimpleUploadedFile
from requests import RequestException

from baas.api.errors import BadRequest, Forbidden, ValidationFailed, field_error
from baas.auth import records
from baas.auth.context import GUEST, AuthContext
from baas.auth.oauth2.providers import Connector, config_of, configured, connect
from baas.collections.fields.dates import to_wire
from baas.collections.fields.patterns import generate
from baas.collections.models import Collection
from baas.collections.records import RecordService
from baas.collections.records.payload import Submission
from baas.collections.records.service import Call

log = logging.getLogger("baas.auth")

EXTERNAL_AUTHS = "_externalAuths"
# the peer's message for field errors of the OAuth2 form
LOAD_MESSAGE = "An error occurred while loading the submitted data."


def _raw(request: Any) -> Any:
    return getattr(request, "_request", request)


def provider_entries(request: Any, collection: Collection) -> list[dict[str, Any]]:
    return [_entry(connect(_raw(request), config)) for config in configured(collection.options)]


def _entry(connector: Connector) -> dict[str, Any]:
    state = secrets.token_urlsafe(24)
    pkce = generate_code_challenge()
    client = connector.adapter.get_client(connector.adapter.request, connector.provider.app)
    client.state = state
    params = connector.provider.get_auth_params()
    if connector.pkce:
        params.update(code_challenge=pkce["code_challenge"], code_challenge_method="S256")
    url = client.get_redirect_url(
        connector.adapter.authorize_url, connector.provider.get_scope(), params
    )
    # wire-api §4.2: the SDK appends its redirect URL, so ``redirect_uri=`` must come last
    url = url.replace("redirect_uri=&", "").replace("&redirect_uri=", "") + "&redirect_uri="
    return {
        "name": connector.spec.name,
        "displayName": connector.display_name,
        "state": state,
        "logo": "",
        "authURL": url,
        "authUrl": url,  # legacy key, still sent by the peer
        "codeVerifier": pkce["code_verifier"],
        "codeChallenge": pkce["code_challenge"].decode()
        if isinstance(pkce["code_challenge"], bytes)
        else pkce["code_challenge"],
        "codeChallengeMethod": "S256",
    }


@dataclass
class ExternalUser:
    id: str
    name: str
    username: str
    email: str
    email_verified: bool
    avatar_url: str
    access_token: str
    refresh_token: str
    expiry: str
    raw: dict[str, Any]

    def meta(self, is_new: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "email": self.email,
            "avatarURL": self.avatar_url,
            "avatarUrl": self.avatar_url,  # legacy key, still sent by the peer
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiry": self.expiry,
            "rawUser": self.raw,
            "isNew": is_new,
        }


def ensure_enabled(collection: Collection) -> None:
    if not collection.options.get("oauth2", {}).get("enabled") or collection.is_superusers:
        raise Forbidden("The collection is not configured to allow OAuth2 authentication.")


def exchange(
    request: Any, collection: Collection, name: str, code: str, verifier: str, redirect_url: str
) -> ExternalUser:
    ensure_enabled(collection)
    config = config_of(collection.options, name)
    if config is None:
        raise ValidationFailed(
            LOAD_MESSAGE,
            {
                "provider": field_error(
                    "validation_invalid_provider",
                    f"Provider with name {name} is missing or is not enabled.",
                    {"name": name},
                )
            },
        )
    connector = connect(_raw(request), config, redirect_url)
    adapter, app = connector.adapter, connector.provider.app
    try:
        client = adapter.get_client(adapter.request, app)
        response = client.get_access_token(code, pkce_code_verifier=verifier or None)
        adapter.did_fetch_access_token = True
        token = adapter.parse_token(response)
    except (OAuth2Error, RequestException, KeyError, ValueError) as exc:
        log.info("OAuth2 %s token request failed: %s", name, exc)
        raise BadRequest("Failed to fetch OAuth2 token.") from None
    try:
        login = adapter.complete_login(adapter.request, app, token, response=response)
    except (OAuth2Error, RequestException, KeyError, ValueError) as exc:
        log.info("OAuth2 %s user request failed: %s", name, exc)
        raise BadRequest("Failed to fetch OAuth2 user.") from None
    return _external_user(connector, login, token)


def _external_user(connector: Connector, login: Any, token: Any) -> ExternalUser:
    account = login.account
    common = connector.provider.extract_common_fields(account.extra_data) or {}
    user = login.user
    email = str(getattr(user, "email", "") or common.get("email") or "")
    verified = any(a.email == email and a.verified for a in login.email_addresses)
    full = " ".join(
        part for part in (getattr(user, "first_name", ""), getattr(user, "last_name", "")) if part
    )
    name = str(common.get("name") or full or "")
    raw = _raw_user(account.extra_data)
    # allauth's generic OIDC account has no avatar; the standard claim is ``picture``
    avatar = connector.provider.wrap_account(account).get_avatar_url() or raw.get("picture") or ""
    return ExternalUser(
        id=str(account.uid),
        name=name,
        username=str(getattr(user, "username", "") or common.get("username") or ""),
        email=email,
        email_verified=verified,
        avatar_url=str(avatar),
        access_token=str(token.token or ""),
        refresh_token=str(token.token_secret or ""),
        expiry=to_wire(token.expires_at) if token.expires_at else "",
        raw=raw,
    )


def _raw_user(extra: Any) -> dict[str, Any]:
    if not isinstance(extra, dict):
        return {}
    # allauth keeps OIDC data as {"userinfo": ..., "id_token": ...}; meta.rawUser is the user
    inner = extra.get("userinfo") or extra.get("id_token")
    return inner if isinstance(inner, dict) else extra


def link_or_create(
    request: Any,
    collection: Collection,
    provider: str,
    user: ExternalUser,
    create_data: dict[str, Any],
    viewer: AuthContext,
) -> tuple[dict[str, Any], bool]:
    """The auth record for this external identity, and whether it was just created."""
    externals = records.system_collection(EXTERNAL_AUTHS)
    links = records.find_where(
        externals, collectionRef=collection.id, provider=provider, providerId=user.id
    )
    record: dict[str, Any] | None = None
    if links:
        found = records.load(collection.id, links[0]["recordRef"])
        if found is None:  # the linked record is gone: the link goes too
            records.delete(externals, links[0]["id"])
            links = []
        else:
            record = found[1]
    is_new = False
    if record is None:
        if (
            viewer.record is not None
            and viewer.collection
            and viewer.collection.id == collection.id
        ):
            record = viewer.record  # a signed-in user links another provider
        elif user.email and user.email_verified:
            record = records.find_by_email(collection, user.email)
        if record is None:
            record = _create(request, collection, user, create_data)
            is_new = True
        if not links:
            records.create(
                externals,
                {
                    "collectionRef": collection.id,
                    "recordRef": record["id"],
                    "provider": provider,
                    "providerId": user.id,
                },
            )
    if user.email_verified and user.email == record.get("email") and not record.get("verified"):
        record = records.update(collection, record["id"], {"verified": True})
    return record, is_new


def _create(
    request: Any, collection: Collection, user: ExternalUser, create_data: dict[str, Any]
) -> dict[str, Any]:
    """A new auth record; the createRule applies with ``@request.context = "oauth2"``."""
    password = generate("[a-zA-Z0-9]{30}")
    values: dict[str, Any] = dict(create_data)
    values.pop("verified", None)
    if user.email and not records.find_by_email(collection, user.email):
        values.setdefault("email", user.email)
    mapped = collection.options.get("oauth2", {}).get("mappedFields", {}) or {}
    for key, value in (("id", user.id), ("name", user.name), ("username", user.username)):
        target = mapped.get(key)
        if target and collection.field(target) and target not in values and value:
            values[target] = value
    values.update(password=password, passwordConfirm=password)
    submission = Submission(values=values)
    avatar_target = collection.field(str(mapped.get("avatarURL") or ""))
    if avatar_target is not None and user.avatar_url:
        if avatar_target["type"] == "file":
            avatar = download_avatar(user.avatar_url)
            if avatar is not None:
                submission.files[avatar_target["name"]] = [avatar]
        elif avatar_target["name"] not in values:
            values[avatar_target["name"]] = user.avatar_url
    call = Call(viewer=GUEST, method="POST", context="oauth2")
    return RecordService().create_record(collection, submission, call)


AVATAR_MAX_BYTES = 5 * 1024 * 1024


def download_avatar(url: str) -> SimpleUploadedFile | None:
    """The provider's avatar as an upload for the mapped file field (best effort, capped)."""
    if not url.startswith(("http://", "https://")):
        return None
    from allauth.socialaccount.adapter import get_adapter

    try:
        with get_adapter().get_requests_session() as session:
            response = session.get(url, stream=True)
            response.raise_for_status()
            content = response.raw.read(AVATAR_MAX_BYTES + 1, decode_content=True)
    except RequestException as exc:
        log.info("OAuth2 avatar download failed: %s", exc)
        return None
    if not content or len(content) > AVATAR_MAX_BYTES:
        return None
    content_type = response.headers.get("Content-Type", "application/octet-stream").split(";")[0]
    extension = mimetypes.guess_extension(content_type) or ""
    return SimpleUploadedFile(f"avatar{extension}", content, content_type)
