"""The OAuth2 provider registry (STYLE §1): PocketBase names → allauth provider classes.

A provider is configured on the auth collection as
``options.oauth2.providers[] = {name, clientId, clientSecret, displayName?, pkce?,
authURL?, tokenURL?, userInfoURL?}``. The URL overrides point any provider elsewhere
(a self-hosted GitLab, a test double); the generic ``oidc`` providers need them.
Adding a provider is one ``ProviderSpec`` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.apple.client import AppleOAuth2Client
from allauth.socialaccount.providers.facebook.constants import GRAPH_API_URL
from allauth.socialaccount.providers.facebook.flows import compute_appsecret_proof
from allauth.socialaccount.providers.oauth2.client import OAuth2Client
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import HttpRequest

from baas.auth.oauth2.adapter import APPS_ATTRIBUTE


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # the name on the wire (PocketBase's)
    display_name: str
    allauth_id: str
    pkce: bool = True
    # which adapter attribute the userInfoURL override replaces
    profile_attribute: str = "profile_url"
    # provider-specific adapter attributes (see ``_apple`` and ``_facebook``)
    extra: tuple[tuple[str, Any], ...] = ()


class _PresetSecretAppleClient(AppleOAuth2Client):
    """Apple's client secret is a JWT signed with the developer's key. As on the peer,
    the admin generates it and pastes it as ``clientSecret``: used as given."""

    def generate_client_secret(self) -> str:
        return str(self.consumer_secret)


def _apple_parse_token(self: Any, data: dict[str, Any]) -> Any:
    """allauth's Apple ``parse_token``, verifying the id_token against this adapter's
    ``public_key_url`` (the ``userInfoURL`` override; Apple's keys by default)."""
    token = OAuth2Adapter.parse_token(self, data)
    identity = type(self).get_verified_identity_data(self.get_provider(), data["id_token"])
    token.user_data = {**data, **identity}
    return token


class _FacebookClient(OAuth2Client):
    """The Graph API takes the code exchange as a GET, where allauth's client drops the
    PKCE verifier: sent as a query parameter like the rest."""

    def get_access_token(
        self, code: Any, pkce_code_verifier: Any = None, extra_data: Any = None
    ) -> Any:
        if pkce_code_verifier:
            extra_data = {**(extra_data or {}), "code_verifier": pkce_code_verifier}
        return super().get_access_token(code, extra_data=extra_data)


def _facebook_complete_login(
    self: Any, request: HttpRequest, app: Any, token: Any, **kwargs: Any
) -> Any:
    """allauth's Facebook login, reading the profile from ``profile_url`` (the Graph API's
    ``/me`` unless ``userInfoURL`` points elsewhere), signed with ``appsecret_proof``."""
    provider = self.get_provider()
    params = {
        "fields": ",".join(provider.get_fields()),
        "access_token": token.token,
        "appsecret_proof": compute_appsecret_proof(app, token),
    }
    with get_adapter().get_requests_session() as session:
        response = session.get(self.profile_url, params=params)
        response.raise_for_status()
        data = response.json()
    return provider.sociallogin_from_response(request, data)


_APPLE = (("client_class", _PresetSecretAppleClient), ("parse_token", _apple_parse_token))
_FACEBOOK = (
    ("client_class", _FacebookClient),
    ("profile_url", f"{GRAPH_API_URL}/me"),
    ("complete_login", _facebook_complete_login),
)


REGISTRY: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec("google", "Google", "google", profile_attribute="identity_url"),
        ProviderSpec("apple", "Apple", "apple", profile_attribute="public_key_url", extra=_APPLE),
        ProviderSpec("github", "GitHub", "github"),
        ProviderSpec("gitlab", "GitLab", "gitlab"),
        ProviderSpec("microsoft", "Microsoft", "microsoft"),
        ProviderSpec("facebook", "Facebook", "facebook", extra=_FACEBOOK),
        ProviderSpec("discord", "Discord", "discord"),
        ProviderSpec("oidc", "OIDC", "openid_connect"),
        ProviderSpec("oidc2", "OIDC2", "openid_connect"),
        ProviderSpec("oidc3", "OIDC3", "openid_connect"),
    )
}


class UserInfoOIDCAdapter(OpenIDConnectOAuth2Adapter):
    """Generic OIDC with explicit endpoints (no discovery): identity from the userinfo URL."""

    def complete_login(self, request: HttpRequest, app: Any, token: Any, **kwargs: Any) -> Any:
        data = {"userinfo": self._fetch_user_info(token.token)}
        return self.get_provider().sociallogin_from_response(request, data)


def configured(options: dict[str, Any]) -> list[dict[str, Any]]:
    providers = options.get("oauth2", {}).get("providers", [])
    return [p for p in providers if isinstance(p, dict) and p.get("name") in REGISTRY]


def config_of(options: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in configured(options) if p.get("name") == name), None)


@dataclass
class Connector:
    """One provider, ready to use for one request: allauth's provider and adapter."""

    spec: ProviderSpec
    config: dict[str, Any]
    provider: Any  # allauth OAuth2Provider
    adapter: OAuth2Adapter

    @property
    def display_name(self) -> str:
        return str(self.config.get("displayName") or self.spec.display_name)

    @property
    def pkce(self) -> bool:
        return bool(self.config.get("pkce", self.spec.pkce))


def connect(request: HttpRequest, config: dict[str, Any], redirect_url: str = "") -> Connector:
    spec = REGISTRY[config["name"]]
    app = SocialApp(
        provider=spec.allauth_id,
        provider_id=spec.name if spec.allauth_id == "openid_connect" else "",
        name=str(config.get("displayName") or spec.display_name),
        client_id=str(config.get("clientId", "")),
        secret=str(config.get("clientSecret", "")),
        settings=_app_settings(spec, config),
    )
    apps = getattr(request, APPS_ATTRIBUTE, {})
    apps[spec.name] = app
    setattr(request, APPS_ATTRIBUTE, apps)
    provider = app.get_provider(request)
    base = provider.oauth2_adapter_class
    if spec.allauth_id == "openid_connect":
        base = UserInfoOIDCAdapter
    overrides: dict[str, Any] = {
        "get_provider": lambda self: provider,
        "get_callback_url": lambda self, request, app: redirect_url,
        **dict(spec.extra),
    }
    for attribute, key in (("authorize_url", "authURL"), ("access_token_url", "tokenURL")):
        if config.get(key):
            overrides[attribute] = config[key]
    if config.get("userInfoURL"):
        overrides[spec.profile_attribute] = config["userInfoURL"]
        if spec.name == "github":
            overrides["emails_url"] = config["userInfoURL"].rstrip("/") + "/emails"
    adapter_class = type(f"Baas{base.__name__}", (base,), overrides)
    if spec.allauth_id == "openid_connect":
        adapter = adapter_class(request, spec.name)
    else:
        adapter = adapter_class(request)
    return Connector(spec=spec, config=config, provider=provider, adapter=adapter)


def _app_settings(spec: ProviderSpec, config: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if spec.allauth_id == "openid_connect":
        settings["server_url"] = str(config.get("authURL", ""))
        settings["token_auth_method"] = "client_secret_post"
    extra = config.get("extra")
    if isinstance(extra, dict) and isinstance(extra.get("scopes"), list):
        settings["scope"] = [str(s) for s in extra["scopes"]]
    return settings
