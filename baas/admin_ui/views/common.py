"""What every console page shares: the sidebar, flash notices, API error helpers."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from baas.admin_ui.client import ApiResult, ConsoleApi
from baas.admin_ui.session import Console

FLASH_KEY = "baas_console_flash"


def console_of(request: HttpRequest) -> Console:
    return request.console  # type: ignore[attr-defined]


def api_of(request: HttpRequest) -> ConsoleApi:
    return console_of(request).api


def flash(request: HttpRequest, text: str, kind: str = "ok") -> None:
    messages = request.session.get(FLASH_KEY, [])
    messages.append({"kind": kind, "text": text})
    request.session[FLASH_KEY] = messages


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    result = api_of(request).get("/api/collections", perPage=1000, sort="name", skipTotal=1)
    items = result.data.get("items", []) if result.ok else []
    # User collections first, then the system ones (as the peer's console lists them).
    return sorted(items, key=lambda c: (c["system"] or c["name"].startswith("_"), c["name"]))


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.setdefault("sidebar", sidebar(request))
    settings = api_of(request).get("/api/settings", fields="meta")
    # Settings → Application → "hide controls": schema changes off in the console (as the peer).
    context["hide_controls"] = bool(settings.ok and settings.data["meta"].get("hideControls"))
    context["console_email"] = console_of(request).email
    context["flash"] = request.session.pop(FLASH_KEY, [])
    return render(request, template, context, status=status)


def fragment(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


def collection_or_404(request: HttpRequest, name: str) -> dict[str, Any]:
    result = api_of(request).get(f"/api/collections/{name}")
    if not result.ok:
        raise Http404(result.message)
    return result.data


def record_count(request: HttpRequest, name: str) -> int:
    result = api_of(request).get(f"/api/collections/{name}/records", perPage=1, fields="id")
    return int(result.data.get("totalItems", 0)) if result.ok else 0


def first_error(result: ApiResult) -> str:
    """The most specific message of an API error, for a one-line notice."""
    node: Any = result.errors
    while isinstance(node, dict) and node:
        if "message" in node and isinstance(node["message"], str):
            return node["message"]
        node = next(iter(node.values()))
    return result.message or "The request failed."


def paths_of(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested field errors into (dotted path, message) pairs."""
    out: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        if "message" in errors and "code" in errors:
            return [(prefix, str(errors["message"]))]
        for key, value in errors.items():
            out += paths_of(value, f"{prefix}.{key}" if prefix else str(key))
    return out
