"""OAuth2 endpoints: auth-with-oauth2, the redirect bridge, the providers list (wire-api §4)."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import ValidationFailed
from baas.auth import ratelimit
from baas.auth.api.common import (
    REQUIRED,
    auth_collection,
    auth_response,
    body_of,
    mfa_id_of,
    text,
)
from baas.auth.oauth2 import flow
from baas.auth.oauth2.providers import REGISTRY
from baas.auth.service import sign_in

# Sent for every provider callback to /api/oauth2-redirect, after the realtime push;
# kwargs: state (the realtime clientId), code, error. For hooks and logs.
oauth2_redirect_received = Signal()

SUCCESS_PAGE = "/_/#/auth/oauth2-redirect-success"
FAILURE_PAGE = "/_/#/auth/oauth2-redirect-failure"


class AuthWithOAuth2View(ApiView):
    def post(self, request: Request, collection: str) -> Response:
        target = auth_collection(collection)
        flow.ensure_enabled(target)
        data = body_of(request)
        redirect_url = text(data, "redirectURL") or text(data, "redirectUrl")  # legacy alias
        errors = {name: REQUIRED for name in ("provider", "code") if not text(data, name)}
        if not redirect_url:
            errors["redirectURL"] = REQUIRED
        if errors:
            raise ValidationFailed(flow.LOAD_MESSAGE, errors)
        ratelimit.consume("attempt-ip", ratelimit.client_ip(request))
        provider = text(data, "provider")
        user = flow.exchange(
            request, target, provider, text(data, "code"), text(data, "codeVerifier"), redirect_url
        )
        create_data = data.get("createData") if isinstance(data.get("createData"), dict) else {}
        record, is_new = flow.link_or_create(
            request, target, provider, user, create_data or {}, self.auth(request)
        )
        token = sign_in(request, target, record, "oauth2", mfa_id=mfa_id_of(request, data))
        return Response(auth_response(request, target, record, token, meta=user.meta(is_new)))


def publish_redirect(state: str, code: str, error: str) -> None:
    """Forward the callback to the realtime client whose id is ``state`` (topic ``@oauth2``)."""
    from baas.realtime.events import send_oauth2_result

    payload = {"state": state, "code": code, "error": error}
    send_oauth2_result(state, payload)
    oauth2_redirect_received.send(sender=None, **payload)


@csrf_exempt
def oauth2_redirect(request: HttpRequest) -> HttpResponse:
    """``GET|POST /api/oauth2-redirect`` (POST for ``response_mode=form_post``)."""
    if request.method not in ("GET", "POST"):
        from baas.api.views import not_found

        return not_found(request)
    source: Any = request.POST if request.method == "POST" else request.GET
    state, code = source.get("state", ""), source.get("code", "")
    error = source.get("error", "")
    if not state:
        return HttpResponseRedirect(FAILURE_PAGE, status=307)
    publish_redirect(state, code, error)
    return HttpResponseRedirect(FAILURE_PAGE if error or not code else SUCCESS_PAGE, status=307)


class OAuth2ProvidersView(ApiView):
    """``GET /api/collections/meta/oauth2-providers``: what can be configured."""

    def get(self, request: Request) -> Response:
        from baas.api.errors import Forbidden, Unauthorized
        from baas.auth.api.common import NOT_ALLOWED

        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if not auth.is_superuser:
            raise Forbidden(NOT_ALLOWED)
        return Response(
            [
                {"name": spec.name, "displayName": spec.display_name, "logo": ""}
                for spec in REGISTRY.values()
            ]
        )
