"""Who is signed in to the console.

The superuser's token lives in the server-side session (an HttpOnly cookie holds
only the session id), not in ``localStorage`` as on the peer: the console renders
user data (editor HTML, file names, JSON), and a script injected through any of it
could read ``localStorage`` but cannot read an HttpOnly cookie. Every console view
is CSRF-protected (``csrf_protect``; the API itself never reads cookies), and every
page re-checks the token, so a revoked token (tokenKey rotated, superuser deleted)
signs the console out at once. Tokens close to expiry are renewed through
``auth-refresh``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.cache import never_cache

from baas.admin_ui.client import ConsoleApi
from baas.auth.context import AuthContext

TOKEN_KEY = "baas_console_token"
REFRESH_BEFORE = 3600  # seconds before expiry at which the token is renewed
SUPERUSERS = "_superusers"


@dataclass
class Console:
    api: ConsoleApi
    auth: AuthContext

    @property
    def email(self) -> str:
        return str(self.auth.record.get("email", "")) if self.auth.record else ""


def _resolve(token: str) -> AuthContext:
    from baas.auth.middleware import resolve_token

    return resolve_token(token)


def _maybe_refresh(request: HttpRequest, token: str) -> str:
    from baas.auth.tokens import unverified_claims

    claims = unverified_claims(token) or {}
    exp = claims.get("exp")
    if isinstance(exp, int) and exp - time.time() < REFRESH_BEFORE:
        result = ConsoleApi(request, token).post(f"/api/collections/{SUPERUSERS}/auth-refresh")
        if result.ok and isinstance(result.data, dict) and result.data.get("token"):
            token = result.data["token"]
            request.session[TOKEN_KEY] = token
    return token


def sign_in(request: HttpRequest, token: str) -> None:
    request.session.cycle_key()  # a new session id on sign-in (session fixation)
    request.session[TOKEN_KEY] = token


def sign_out(request: HttpRequest) -> None:
    request.session.flush()


def current_console(request: HttpRequest) -> Console | None:
    token = request.session.get(TOKEN_KEY)
    if not token:
        return None
    auth = _resolve(token)
    if not auth.is_superuser or auth.api_key:
        return None
    token = _maybe_refresh(request, token)
    return Console(api=ConsoleApi(request, token), auth=auth)


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which follow ``HX-Redirect``)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class ConsoleCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check, with one relaxation: behind a TLS-terminating proxy the
    request arrives as http while the browser's ``Origin`` says https. A matching host
    is enough there (a browser never lets a page forge ``Origin``); the token is still
    required."""

    # Django's internal origin check (CsrfViewMiddleware._origin_verified, since 4.0).
    def _origin_verified(self, request: HttpRequest) -> bool:  # type: ignore[misc]
        origin = request.META.get("HTTP_ORIGIN", "")
        scheme, _, host = origin.partition("://")
        if scheme in ("http", "https") and host == request.get_host():
            return True
        return super()._origin_verified(request)  # type: ignore[misc]


csrf_protect = decorator_from_middleware(ConsoleCsrfMiddleware)
View = Callable[..., HttpResponseBase]


def console_view(view: View) -> View:
    """A console page: signed-in superusers only, CSRF-checked, never cached."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        console = current_console(request)
        if console is None:
            return redirect(request, f"/_/login?next={quote(request.get_full_path())}")
        request.console = console  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return render(request, "admin_ui/not_found.html", {"message": str(exc)}, status=404)

    return never_cache(csrf_protect(wrapped))


def public_view(view: View) -> View:
    return never_cache(csrf_protect(view))
