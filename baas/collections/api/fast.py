"""A shorter way through Django for reading records: ``GET /api/collections/{c}/records``
and ``GET /api/collections/{c}/records/{id}`` (DESIGN §8).

The bench's "view by id" spent more of its time in Django's fixed request cost
than in the record service: URL resolution, DRF's dispatch and four middlewares that
do nothing for a JSON API read (WhiteNoise, sessions, messages, allauth; none is
touched on these routes). ``RecordFastPath`` is a second WSGI handler, a
``WSGIHandler`` like Django's own, so the signals (``request_started``/
``request_finished``: connection housekeeping, ``CONN_MAX_AGE``), the request object,
the error conversion of every layer and the response are Django's. Its middleware
chain is ``settings.MIDDLEWARE`` without those four, in the same order (restore
guard, request log, security headers, CORS, ``CommonMiddleware``'s host check and
Content-Length, auth incl. API keys and ``superuserIPs``, hooks' request context),
and its views are ``RecordListView.get`` and ``RecordDetailView.get`` themselves,
called without the URL resolver and DRF's dispatch (``_view``): the record service,
the rendering and DRF's exception handling are unchanged.

Taken only when it answers exactly as the full stack: a GET whose path is one of the
two routes (no trailing slash: ``APPEND_SLASH`` is off, so that one is a 404 from
Django), no query keys but those the route's view reads, an ``Accept`` DRF answers
with JSON without negotiating, no script prefix, and no hook handler or hook route
registered (checked per request; otherwise the full app answers).
``BAAS_FAST_PATH=0`` turns it off; a ``MIDDLEWARE`` setting with a middleware it does
not know turns it off too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.module_loading import import_string

LIST_PATH = re.compile(r"/api/collections/(?P<collection>[^/]+)/records")
RECORD_PATH = re.compile(r"/api/collections/(?P<collection>[^/]+)/records/(?P<record_id>[^/]+)")
RECORD_KEYS = frozenset({"fields", "expand"})
LIST_KEYS = RECORD_KEYS | {"page", "perPage", "sort", "filter", "skipTotal", "search"}
# path pattern, the query keys its view reads, the view (baas.collections.api.records)
ROUTES = (
    (RECORD_PATH, RECORD_KEYS, "RecordDetailView"),
    (LIST_PATH, LIST_KEYS, "RecordListView"),
)
ACCEPTED = frozenset({b"", b"*/*", b"application/json"})  # DRF picks the JSON renderer

# What runs, in settings.MIDDLEWARE's order, and what is left out (no effect on this
# route: no static file under /api/, no session or message read, allauth only acts
# on its own pages' 404s).
KEPT = frozenset(
    {
        "baas.backups.middleware.RestoreGuard",
        "baas.logs.middleware.RequestLogMiddleware",
        "baas.api.middleware.SecurityHeadersMiddleware",
        "baas.api.middleware.CorsMiddleware",
        "django.middleware.common.CommonMiddleware",
        "baas.auth.middleware.AuthMiddleware",
        "baas.hooks.middleware.HooksMiddleware",
    }
)
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "allauth.account.middleware.AccountMiddleware",
        # the same two, skipping themselves on the plain API paths (baas.api.middleware)
        "baas.api.middleware.SessionMiddleware",
        "baas.api.middleware.MessageMiddleware",
    }
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wanted(scope: MutableMapping[str, Any]) -> bool:
    """Whether an ASGI request may take the fast path (cheap: runs on the event loop)."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return False
    allowed = route_keys(scope["path"])
    if allowed is None:
        return False
    for name, value in scope.get("headers", ()):
        if name.lower() == b"accept" and value.strip() not in ACCEPTED:
            return False
    query_string = scope.get("query_string", b"")
    if not query_string:
        return True
    try:
        keys = {key for key, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)}
    except ValueError:
        return False
    return keys <= allowed


def route_keys(path: str) -> frozenset[str] | None:
    for pattern, keys, _ in ROUTES:
        if pattern.fullmatch(path):
            return keys
    return None


def enabled() -> bool:
    """``BAAS_FAST_PATH`` on and a middleware list the fast chain knows."""
    from django.conf import settings

    if not getattr(settings, "BAAS_FAST_PATH", True):
        return False
    names = set(settings.MIDDLEWARE)
    return names <= KEPT | SKIPPED and names >= KEPT and plain_views()


def plain_views() -> bool:
    """The route views have no DRF policy ``_view`` would skip: no authenticators,
    permissions or throttles, one renderer (``OrjsonRenderer``), DRF's own ``initial``.
    A view or a ``REST_FRAMEWORK`` setting that adds one turns the fast path off."""
    from rest_framework.views import APIView

    from baas.api.renderers import OrjsonRenderer
    from baas.collections.api import records

    for _, _, name in ROUTES:
        view = getattr(records, name)
        if (
            list(view.authentication_classes)
            or list(view.permission_classes)
            or list(view.throttle_classes)
            or list(view.renderer_classes) != [OrjsonRenderer]
            or view.initial is not APIView.initial
        ):
            return False
    return True


def hooks_registered() -> bool:
    from baas.hooks.loader import registry

    found = registry()
    return bool(found.handlers or found.routes)


class RecordFastPath(WSGIHandler):
    """The WSGI app for eligible record reads; ``fallback`` (Django's) answers the rest."""

    def __init__(self, fallback: WSGIApp) -> None:
        from baas.api.renderers import OrjsonRenderer
        from baas.collections.api import records

        self.fallback = fallback
        self.views: list[tuple[re.Pattern[str], type[Any], str]] = []
        for pattern, _, name in ROUTES:
            view_class = getattr(records, name)
            probe = view_class()
            probe.setup(HttpRequest())  # as as_view() does: HEAD answers as GET
            allow = ", ".join(probe.allowed_methods)  # DRF's default_response_headers
            self.views.append((pattern, view_class, allow))
        self.renderer = OrjsonRenderer()
        self.taken = 0  # requests answered here (tests check the path was used)
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        """Like ``BaseHandler.load_middleware``: each layer wrapped in Django's error conversion."""
        from django.conf import settings

        handler = convert_exception_to_response(self._view)
        for name in reversed(settings.MIDDLEWARE):
            if name in SKIPPED:
                continue
            handler = convert_exception_to_response(import_string(name)(handler))
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = handler

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if hooks_registered():  # a hook could see or route this request: Django's whole way
            return self.fallback(environ, start_response)
        self.taken += 1
        return super().__call__(environ, start_response)

    def route(self, path: str) -> tuple[re.Match[str], type[Any], str]:
        for pattern, view_class, allow in self.views:
            found = pattern.fullmatch(path)
            if found is not None:
                return found, view_class, allow
        raise AssertionError(path)  # wanted() matched one of them

    def _view(self, request: HttpRequest) -> HttpResponseBase:
        """The route's view's ``get`` as DRF's ``dispatch`` calls it, without what does
        nothing here: no parsers (a GET), authenticators, permissions or throttles
        (none configured), one renderer (``wanted`` left other ``Accept`` values to
        Django). Errors go through the view's ``handle_exception``, like DRF's."""
        from rest_framework.request import Request

        found, view_class, allow = self.route(request.path_info)
        kwargs = found.groupdict()
        view = view_class()
        view.setup(request, **kwargs)
        view.request = drf_request = Request(request)
        view.format_kwarg = None
        try:
            answer = view.get(drf_request, **kwargs)
            response: HttpResponseBase = HttpResponse(
                self.renderer.render(answer.data),
                status=answer.status_code,
                content_type=self.renderer.media_type,
            )
        except Exception as exc:
            response = view.handle_exception(exc)
        response["Allow"] = allow
        return response
