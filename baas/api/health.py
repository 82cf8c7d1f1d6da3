"""``GET|HEAD /api/health`` (wire-api §7.2)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from baas.api.client import client_ip
from baas.api.renderers import dumps


def health(request: HttpRequest) -> HttpResponse:
    data: dict = {}
    auth = getattr(request, "baas_auth", None)
    if auth is not None and auth.is_superuser:
        from baas.backups.probes import superuser_details

        data = {
            "canBackup": True,
            "realIP": client_ip(request),
            "possibleProxyHeader": _proxy_header(request),
            # canBackup from the backup lock, and ours: database, redis, storage status
            **superuser_details(),
        }
    body = dumps({"code": 200, "message": "API is healthy.", "data": data})
    return HttpResponse(body, content_type="application/json")


def _proxy_header(request: HttpRequest) -> str:
    for header in ("X-Forwarded-For", "X-Real-IP", "Fly-Client-IP", "CF-Connecting-IP"):
        if request.headers.get(header):
            return header
    return ""
