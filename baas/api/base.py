"""Base API views: policies as class attributes (DRF style), the caller's auth on the request."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from baas.api.errors import Forbidden, Unauthorized
from baas.auth.context import GUEST, AuthContext


def auth_of(request: Any) -> AuthContext:
    raw = getattr(request, "_request", request)
    return getattr(raw, "baas_auth", GUEST)


# Accept headers for which DRF's negotiation picks the JSON renderer as "application/json"
# (no header counts as */*): answered without parsing them.
_JSON_ACCEPTS = frozenset(("*/*", "application/json"))


class ApiView(APIView):
    """Every endpoint: no DRF auth/permissions (the record service owns rules), our renderer."""

    def auth(self, request: Request) -> AuthContext:
        return auth_of(request)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """DRF's, with the common case taken directly: the one JSON renderer, no
        ``?format=``, an Accept of JSON or anything. Every other request negotiates."""
        if self.renderer_classes == _DEFAULT_RENDERERS and not self.format_kwarg:
            raw = request._request
            if raw.META.get("HTTP_ACCEPT", "*/*") in _JSON_ACCEPTS and not raw.GET.get("format"):
                return (_DEFAULT_RENDERERS[0](), "application/json")
        return super().perform_content_negotiation(request, force)


class SuperuserView(ApiView):
    """Endpoints of wire-api §1 and §7: 401 without auth, 403 for non-superusers."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if not auth.is_superuser:
            raise Forbidden("Only superusers can perform this action.")


def _default_renderers() -> Any:
    from rest_framework.settings import api_settings

    from baas.api.renderers import OrjsonRenderer

    renderers = api_settings.DEFAULT_RENDERER_CLASSES
    # only when the settings name just the one JSON renderer (else DRF negotiates)
    return renderers if list(renderers) == [OrjsonRenderer] else None


_DEFAULT_RENDERERS = _default_renderers()
