"""allauth's social account adapter, customised the allauth way (STYLE: adapter subclasses).

allauth normally reads provider apps from its ``SocialApp`` table or settings. Ours come
from the auth collection's ``options.oauth2.providers``; ``baas.auth.oauth2.providers``
builds them per request and attaches them to the request, and this adapter serves them.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

APPS_ATTRIBUTE = "baas_oauth2_apps"


class CollectionAppsAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: Any, provider: Any = None, client_id: Any = None) -> list[Any]:
        raw = getattr(request, "_request", request)
        apps = list(getattr(raw, APPS_ATTRIBUTE, {}).values())
        if provider:
            apps = [a for a in apps if provider in (a.provider, a.provider_id)]
        if client_id:
            apps = [a for a in apps if a.client_id == client_id]
        return apps

    def is_auto_signup_allowed(self, request: Any, sociallogin: Any) -> bool:
        return False  # users are created by baas.auth.oauth2.flow, never by allauth
