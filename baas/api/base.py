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


class ApiView(APIView):
    """Every endpoint: no DRF auth/permissions (the record service owns rules), our renderer."""

    def auth(self, request: Request) -> AuthContext:
        return auth_of(request)


class SuperuserView(ApiView):
    """Endpoints of wire-api §1 and §7: 401 without auth, 403 for non-superusers."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if not auth.is_superuser:
            raise Forbidden("Only superusers can perform this action.")
