"""Sign-in, sign-out and the first-run page."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from baas.admin_ui.client import ConsoleApi
from baas.admin_ui.session import (
    SUPERUSERS,
    current_console,
    public_view,
    redirect,
    sign_in,
    sign_out,
)

PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "CF-Connecting-IP")


def superuser_exists() -> bool:
    from baas.api.listing import Page
    from baas.auth.superusers import SYSTEM
    from baas.collections.models import SUPERUSERS_ID, Collection
    from baas.collections.records import RecordService

    collection = Collection.objects.get(id=SUPERUSERS_ID)
    _, total = RecordService().list_records(
        collection, SYSTEM, filter_text=None, sort_text=None, page=Page(1, 1, False)
    )
    return bool(total)


def from_loopback(request: HttpRequest) -> bool:
    """A direct connection from this machine (a proxy on loopback doesn't count)."""
    if any(request.headers.get(h) for h in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/_/") and not value.startswith("//"):
        return value
    return "/_/"


@public_view
def login(request: HttpRequest) -> HttpResponse:
    if not superuser_exists():
        return redirect(request, "/_/install")
    if current_console(request) is not None:
        return redirect(request, _safe_next(request.GET.get("next")))
    context: dict[str, Any] = {"next": _safe_next(request.GET.get("next")), "email": ""}
    if request.method == "POST":
        context["email"] = request.POST.get("email", "")
        result = ConsoleApi(request, None).post(
            f"/api/collections/{SUPERUSERS}/auth-with-password",
            {"identity": context["email"], "password": request.POST.get("password", "")},
        )
        if result.ok:
            sign_in(request, result.data["token"])
            return redirect(request, _safe_next(request.POST.get("next")))
        context["error"] = (
            "Invalid email or password."
            if result.status == 400 and not result.errors
            else result.message
        )
        context["errors"] = result.errors
    return render(
        request, "admin_ui/login.html", context, status=400 if "error" in context else 200
    )


@require_POST
@public_view
def logout(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect(request, "/_/login")


@public_view
def install(request: HttpRequest) -> HttpResponse:
    if superuser_exists():
        return redirect(request, "/_/login")
    local = from_loopback(request)
    context: dict[str, Any] = {"local": local, "email": ""}
    if request.method == "POST" and local:
        email = request.POST.get("email", "").strip()
        password = request.POST.get("password", "")
        context["email"] = email
        if password != request.POST.get("passwordConfirm", ""):
            context["errors"] = {"passwordConfirm": {"message": "Passwords don't match."}}
        else:
            created = _create_first_superuser(email, password)
            if created is None:
                token = ConsoleApi(request, None).post(
                    f"/api/collections/{SUPERUSERS}/auth-with-password",
                    {"identity": email, "password": password},
                )
                if token.ok:
                    sign_in(request, token.data["token"])
                return redirect(request, "/_/")
            context["errors"] = created
    return render(request, "admin_ui/install.html", context)


def _create_first_superuser(email: str, password: str) -> dict[str, Any] | None:
    """The CLI's path (``baas superuser upsert``): the API has no way to make the first one."""
    from baas.api.errors import ApiError
    from baas.auth.superusers import upsert_superuser

    if superuser_exists():
        return {"email": {"message": "A superuser exists already; sign in instead."}}
    try:
        upsert_superuser(email, password)
    except ApiError as exc:
        return exc.data or {"email": {"message": exc.message}}
    return None
