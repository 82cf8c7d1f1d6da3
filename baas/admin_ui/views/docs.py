"""The documentation site at ``/_/docs/``: what ``make docs`` built into ``site/``.

The site is public (it documents the public API) and read-only. Without a build the
page says how to make one instead of a 404.
"""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.static import serve

import baas

SITE_DIR = Path(baas.__file__).resolve().parent.parent / "site"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Documentation not built</title></head><body>
<h1>The documentation is not built</h1>
<p>Run <code>make docs</code> in the source tree (it writes <code>site/</code>), then reload.
The sources are the Markdown files in <code>docs/</code>.</p></body></html>"""


def docs_page(request: HttpRequest, page: str = "") -> HttpResponseBase:
    if not (SITE_DIR / "index.html").is_file():
        return HttpResponse(NOT_BUILT, status=404)
    if page == "" and not request.path.endswith("/"):
        return redirect("/_/docs/")
    target = SITE_DIR / page
    if page == "" or page.endswith("/") or target.is_dir():
        if target.is_dir() and page and not page.endswith("/"):
            return redirect(f"/_/docs/{page}/")
        page = f"{page}index.html"
    # serve() refuses paths that leave the document root (.. and absolute paths).
    return serve(request, page, document_root=str(SITE_DIR))
