"""Webhooks pages (``/_/webhooks``): list, create, edit, test, the delivery log and
replay, all through ``/api/webhooks`` (baas.webhooks)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import api_of, first_error, flash, fragment, page, paths_of
from baas.webhooks.models import EVENTS


def _submitted(request: HttpRequest, *, creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": request.POST.get("name", ""),
        "collection": request.POST.get("collection", ""),
        "events": request.POST.getlist("events"),
        "url": request.POST.get("url", "").strip(),
        "filter": request.POST.get("filter", ""),
        "enabled": request.POST.get("enabled") == "on",
    }
    secret = request.POST.get("secret", "").strip()
    if secret:  # blank: generated on create, kept on edit
        body["secret"] = secret
    return body


def _render(
    request: HttpRequest,
    hook: dict[str, Any] | None,
    form: dict[str, Any],
    errors: Any = None,
    secret: str = "",
) -> HttpResponse:
    api = api_of(request)
    listing = api.get("/api/webhooks")
    log: list[dict[str, Any]] = []
    if hook is not None:
        found = api.get(f"/api/webhooks/{hook['id']}/deliveries", perPage=50, skipTotal=1)
        log = found.data.get("items", []) if found.ok else []
    return page(
        request,
        "admin_ui/webhooks.html",
        {
            "title": "Webhooks",
            "nav": "webhooks",
            "hooks": listing.data.get("items", []) if listing.ok else [],
            "editing": hook,
            "form": form,
            "events": EVENTS,
            "deliveries": log,
            "new_secret": secret,
            "errors": paths_of(errors) if isinstance(errors, dict) else [],
            "error": errors if isinstance(errors, str) else "",
        },
        status=400 if errors else 200,
    )


@console_view
def webhooks_page(request: HttpRequest) -> HttpResponse:
    """GET: the list and an empty form; POST: create (the secret is shown this once)."""
    blank = {"name": "", "collection": "*", "events": ["create"], "url": "", "enabled": True}
    if request.method != "POST":
        return _render(request, None, blank | {"filter": ""})
    body = _submitted(request, creating=True)
    result = api_of(request).post("/api/webhooks", body)
    if not result.ok:
        return _render(request, None, body, result.errors or first_error(result))
    flash(request, f"Webhook {body['name'] or body['url']} created.")
    return _render(request, result.data, result.data, secret=result.data["secret"])


@console_view
def webhook_edit(request: HttpRequest, webhook_id: str) -> HttpResponse:
    api = api_of(request)
    found = api.get(f"/api/webhooks/{webhook_id}")
    if not found.ok:
        flash(request, first_error(found), "err")
        return redirect(request, "/_/webhooks")
    if request.method != "POST":
        return _render(request, found.data, found.data)
    body = _submitted(request, creating=False)
    result = api.patch(f"/api/webhooks/{webhook_id}", body)
    if not result.ok:
        return _render(request, found.data, body, result.errors or first_error(result))
    flash(request, "Webhook saved.")
    return redirect(request, f"/_/webhooks/{webhook_id}")


@console_view
@require_POST
def webhook_action(request: HttpRequest, webhook_id: str, action: str) -> HttpResponse:
    api = api_of(request)
    back = f"/_/webhooks/{webhook_id}"
    if action == "test":
        result, done = api.post(f"/api/webhooks/{webhook_id}/test"), "Test event sent."
    elif action in ("enable", "disable"):
        result = api.patch(f"/api/webhooks/{webhook_id}", {"enabled": action == "enable"})
        done = f"Webhook {action}d."
    elif action == "delete":
        result, done, back = api.delete(f"/api/webhooks/{webhook_id}"), "Webhook deleted.", ""
    else:
        result, done = None, ""
    if result is None:
        flash(request, "Nothing to do.", "err")
    else:
        flash(request, done if result.ok else first_error(result), "ok" if result.ok else "err")
    return redirect(request, back or "/_/webhooks")


@console_view
@require_POST
def delivery_replay(request: HttpRequest, delivery_id: str) -> HttpResponse:
    """htmx: replay one delivery; answers the small notice that replaces the button."""
    result = api_of(request).post(f"/api/webhooks/deliveries/{delivery_id}/replay")
    text = f"Replayed as {result.data['delivery']}." if result.ok else first_error(result)
    return fragment(
        request,
        "admin_ui/_webhook_replayed.html",
        {"ok": result.ok, "text": text},
        status=200 if result.ok else 400,
    )
