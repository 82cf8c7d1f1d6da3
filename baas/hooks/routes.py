"""Custom routes: one view under ``/api/hooks/`` dispatches to the ``@route`` handlers."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import NotFound
from baas.hooks import dispatch
from baas.hooks.context import HookContext
from baas.hooks.loader import registry


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if hasattr(data, "dict"):
        return dict(data.dict())
    return dict(data) if isinstance(data, dict) else {}


class HookRouteView(ApiView):
    """A handler returns an ``HttpResponse``, or data to answer as JSON (None → 204)."""

    def serve(self, request: Request, path: str) -> HttpResponse:
        method = request.method or "GET"
        found = registry().find_route(method, path)
        if found is None:
            raise NotFound()
        route, params = found
        ctx = HookContext(
            event=f"route {method} {route.path}",
            request=request._request,
            body=_body(request) if method != "GET" else {},
            params=params,
        )
        result = dispatch.call(route.func, route.source, ctx)
        if isinstance(result, HttpResponse):
            return result
        return Response(status=204) if result is None else Response(result)

    get = post = put = patch = delete = serve
