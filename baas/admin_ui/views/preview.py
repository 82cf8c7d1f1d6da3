"""The API preview tab: SDK and curl examples from the collection's real schema and rules."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from baas.admin_ui import snippets
from baas.admin_ui.session import console_view
from baas.admin_ui.views.common import collection_or_404, page


@console_view
def api_preview(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    base_url = f"{request.scheme}://{request.get_host()}"
    return page(
        request,
        "admin_ui/api_preview.html",
        {
            "title": f"API · {collection['name']}",
            "nav": "collections",
            "current": collection,
            "collection": collection,
            "setup": snippets.sdk_setup(base_url),
            "examples": snippets.examples(collection, base_url),
            "fields": [f for f in collection["fields"] if f["name"] != "tokenKey"],
            "lang": request.GET.get("lang", "js")
            if request.GET.get("lang") in ("js", "dart", "curl")
            else "js",
        },
    )
