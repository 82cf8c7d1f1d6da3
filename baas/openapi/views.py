"""``GET /api/openapi.json``: superusers always, guests when ``openapi.public`` is on."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request

from baas.api.base import ApiView
from baas.api.errors import Forbidden, Unauthorized
from baas.openapi.document import document_json


def public_allowed() -> bool:
    from baas.settings_api.service import current

    return bool(current().get("openapi", {}).get("public"))


class OpenApiView(ApiView):
    def get(self, request: Request) -> HttpResponse:
        auth = self.auth(request)
        superuser = auth.is_superuser
        if not superuser and not public_allowed():
            if auth.is_guest:
                raise Unauthorized()
            raise Forbidden("Only superusers can perform this action.")
        return HttpResponse(document_json(superuser), content_type="application/json")
