"""The console's API docs page: Swagger UI (vendored under static/admin_ui/swagger-ui) over
``/api/openapi.json``, fetched in-process with the signed-in superuser's token and
embedded in the page (the token never reaches the browser's scripts)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from baas.admin_ui.session import console_view
from baas.admin_ui.views.common import api_of, page


@console_view
def api_docs(request: HttpRequest) -> HttpResponse:
    result = api_of(request).get("/api/openapi.json")
    context = {
        "nav": "api-docs",
        "title": "API docs",
        "doc": result.data if result.ok else {},
        "error": "" if result.ok else (result.message or "The API document is unavailable."),
    }
    return page(request, "admin_ui/api_docs.html", context)
