"""The records browser: table, filter/sort/columns, record editor, bulk delete, user actions."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui import record_form
from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import (
    api_of,
    collection_or_404,
    first_error,
    flash,
    fragment,
    page,
)

PER_PAGE_CHOICES = (10, 20, 50, 100, 500)
HIDDEN_COLUMNS = {"password", "tokenKey"}


def _columns(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f
        for f in collection["fields"]
        if f["name"] not in HIDDEN_COLUMNS and f["type"] != "password"
    ]


def _chosen(request: HttpRequest, columns: list[dict[str, Any]]) -> list[str]:
    names = [c["name"] for c in columns]
    picked = [n for n in request.GET.getlist("col") if n in names]
    if picked:
        return picked
    # Default: id, then up to 8 value fields (long text and JSON left out), then timestamps.
    values = [
        c["name"]
        for c in columns
        if c["name"] != "id" and c["type"] not in ("autodate", "json", "editor")
    ]
    stamps = [c["name"] for c in columns if c["type"] == "autodate"]
    return [n for n in ["id", *values[:8], *stamps] if n in names]


def _sort_links(request: HttpRequest, names: list[str], sort: str) -> dict[str, dict[str, str]]:
    links = {}
    for name in names:
        state = "ascending" if sort == name else "descending" if sort == f"-{name}" else ""
        new = f"-{name}" if sort == name else name
        query = request.GET.copy()
        query["sort"] = new
        query["page"] = "1"
        links[name] = {"href": "?" + query.urlencode(), "state": state}
    return links


@console_view
def record_list(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    columns = _columns(collection)
    chosen = _chosen(request, columns)
    sort = request.GET.get("sort", "")
    filter_text = request.GET.get("filter", "")
    try:
        per_page = int(request.GET.get("perPage", 20))
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        per_page, number = 20, 1
    result = api_of(request).get(
        f"/api/collections/{collection['name']}/records",
        page=number,
        perPage=per_page,
        sort=sort,
        filter=filter_text,
    )
    listing = (
        result.data if result.ok else {"items": [], "totalItems": 0, "totalPages": 0, "page": 1}
    )
    filter_error = ""
    if not result.ok:
        filter_error = (
            "Invalid filter or sort: check the field names and the syntax."
            if result.status == 400
            else first_error(result)
        )
    base_query = request.GET.copy()
    base_query.pop("page", None)
    return page(
        request,
        "admin_ui/records.html",
        {
            "title": collection["name"],
            "nav": "collections",
            "current": collection,
            "collection": collection,
            "columns": columns,
            "chosen": chosen,
            "chosen_fields": [c for n in chosen for c in columns if c["name"] == n],
            "listing": listing,
            "sort": sort,
            "filter": filter_text,
            "filter_error": filter_error,
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "sort_links": _sort_links(request, chosen, sort),
            "page_query": base_query.urlencode(),
            "field_names": [c["name"] for c in columns],
        },
        status=200,
    )


def _relation_labels(
    request: HttpRequest, collection: dict[str, Any], record: dict | None
) -> dict[str, list[dict[str, str]]]:
    """Display labels of the related records currently picked, per relation field."""
    out: dict[str, list[dict[str, str]]] = {}
    for field in collection["fields"]:
        if field["type"] != "relation":
            continue
        ids = record_form.input_value(field, record)
        labels = []
        for rid in ids:
            found = api_of(request).get(f"/api/collections/{field['collectionId']}/records/{rid}")
            labels.append({"id": rid, "label": _label(found.data) if found.ok else rid})
        out[field["name"]] = labels
    return out


def _label(row: dict[str, Any]) -> str:
    for key in ("name", "title", "email", "username", "label", "slug"):
        if row.get(key):
            return f"{row[key]} ({row['id']})"
    return str(row.get("id", ""))


def _inputs(
    collection: dict[str, Any], record: dict[str, Any] | None, errors: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "field": f,
            "value": record_form.input_value(f, record),
            "multi": record_form.is_multi(f),
            "error": (errors.get(f["name"]) or {}).get("message", "")
            if isinstance(errors.get(f["name"]), dict)
            else errors.get(f["name"], ""),
        }
        for f in record_form.editable_fields(collection)
    ]


def _record_context(
    request: HttpRequest,
    collection: dict,
    record: dict | None,
    errors: dict,
    values: dict | None = None,
) -> dict:
    """``record`` is the stored record (None when new); ``values`` what the inputs show."""
    shown = values if values is not None else record
    return {
        "title": f"{collection['name']} · {record['id'] if record else 'new record'}",
        "nav": "collections",
        "current": collection,
        "collection": collection,
        "record": record,
        "inputs": _inputs(collection, shown, errors),
        "relations": _relation_labels(request, collection, shown),
        "errors": errors,
        "is_auth": collection["type"] == "auth",
        "readonly": collection["type"] == "view",
    }


@console_view
def record_edit(request: HttpRequest, name: str, record_id: str | None = None) -> HttpResponse:
    collection = collection_or_404(request, name)
    api = api_of(request)
    path = f"/api/collections/{collection['name']}/records"
    record = None
    if record_id:
        found = api.get(f"{path}/{record_id}")
        if not found.ok:
            flash(request, f"Record {record_id} not found.", "err")
            return redirect(request, f"/_/collections/{collection['name']}")
        record = found.data
    if request.method != "POST":
        context = _record_context(request, collection, record, {})
        minted = request.session.pop("baas_console_impersonation", None)
        if record and minted and minted.get("record") == record["id"]:
            context["impersonation"] = minted["token"]  # shown once, never stored for later
        return page(request, "admin_ui/record.html", context)
    body, uploads, local_errors = record_form.body_from_form(
        collection, request.POST, request.FILES, record is None
    )
    if local_errors:
        errors = {k: {"message": v} for k, v in local_errors.items()}
        context = _record_context(request, collection, record, errors, {**(record or {}), **body})
        context["failure"] = "Fix the highlighted fields."
        return page(request, "admin_ui/record.html", context, status=400)
    if record is None:
        result = api.request("POST", path, json=body, files=uploads or None)
    else:
        result = api.request("PATCH", f"{path}/{record['id']}", json=body, files=uploads or None)
    if result.ok:
        flash(request, f"Record {result.data['id']} saved.")
        if request.POST.get("then") == "new":
            return redirect(request, f"/_/collections/{collection['name']}/records/new")
        return redirect(request, f"/_/collections/{collection['name']}/records/{result.data['id']}")
    shown = {**(record or {}), **{k: v for k, v in body.items() if not k.endswith(("+", "-"))}}
    context = _record_context(
        request, collection, shown if record else {**body, "id": ""}, result.errors
    )
    if record is None:
        context["record"] = None
    context["failure"] = first_error(result) if not result.errors else result.message
    return page(request, "admin_ui/record.html", context, status=400)


@require_POST
@console_view
def record_delete(request: HttpRequest, name: str, record_id: str) -> HttpResponse:
    result = api_of(request).delete(f"/api/collections/{name}/records/{record_id}")
    if result.ok:
        flash(request, f"Record {record_id} deleted.")
    else:
        flash(request, first_error(result), "err")
    return redirect(request, f"/_/collections/{name}")


@require_POST
@console_view
def bulk_delete(request: HttpRequest, name: str) -> HttpResponse:
    ids = request.POST.getlist("ids")
    failed = []
    for record_id in ids:
        result = api_of(request).delete(f"/api/collections/{name}/records/{record_id}")
        if not result.ok:
            failed.append(f"{record_id}: {first_error(result)}")
    if failed:
        flash(request, f"{len(ids) - len(failed)} deleted; failed: " + "; ".join(failed), "err")
    else:
        flash(request, f"{len(ids)} record{'s' if len(ids) != 1 else ''} deleted.")
    back = request.POST.get("back", "")
    return redirect(request, f"/_/collections/{name}" + (f"?{back}" if back else ""))


@console_view
def relation_search(request: HttpRequest) -> HttpResponse:
    """Candidates for a relation picker (htmx): records of the target matching ``q``."""
    target = collection_or_404(request, request.GET.get("collection", ""))
    query = request.GET.get("q", "").strip()
    params: dict[str, Any] = {"perPage": 10, "skipTotal": 1}
    if query:
        names = ["id"] + [
            f["name"]
            for f in target["fields"]
            if f["type"] in ("text", "email", "url", "editor", "select")
            and not f.get("hidden")
            and f["name"] != "id"
        ]
        escaped = query.replace("\\", "\\\\").replace('"', '\\"')
        params["filter"] = " || ".join(f'{n} ~ "{escaped}"' for n in names[:6])
    result = api_of(request).get(f"/api/collections/{target['name']}/records", **params)
    rows = result.data.get("items", []) if result.ok else []
    return fragment(
        request,
        "admin_ui/_relation_results.html",
        {
            "rows": [{"id": r["id"], "label": _label(r)} for r in rows],
            "field": request.GET.get("field", ""),
            "error": "" if result.ok else first_error(result),
        },
    )


# ---- auth records: the user actions --------------------------------------------------------


@require_POST
@console_view
def user_action(request: HttpRequest, name: str, record_id: str, action: str) -> HttpResponse:
    api = api_of(request)
    base = f"/api/collections/{name}"
    found = api.get(f"{base}/records/{record_id}")
    if not found.ok:
        flash(request, first_error(found), "err")
        return redirect(request, f"/_/collections/{name}")
    user = found.data
    back = f"/_/collections/{name}/records/{record_id}"
    if action == "verify":
        result = api.patch(f"{base}/records/{record_id}", {"verified": True})
        message = f"{user.get('email')} is now verified."
    elif action == "unverify":
        result = api.patch(f"{base}/records/{record_id}", {"verified": False})
        message = f"{user.get('email')} is no longer verified."
    elif action == "reset":
        result = api.post(f"{base}/request-password-reset", {"email": user.get("email", "")})
        message = f"Password reset email sent to {user.get('email')}."
    elif action == "verification":
        result = api.post(f"{base}/request-verification", {"email": user.get("email", "")})
        message = f"Verification email sent to {user.get('email')}."
    elif action == "logout":
        # A new tokenKey invalidates every token issued to the user (wire-api §4.5).
        result = api.patch(
            f"{base}/records/{record_id}", {"tokenKey": secrets.token_urlsafe(38)[:50]}
        )
        message = f"{user.get('email')} is signed out everywhere (all their tokens are revoked)."
    elif action == "impersonate":
        duration = request.POST.get("duration", "3600")
        result = api.post(
            f"{base}/impersonate/{record_id}",
            {"duration": int(duration) if duration.isdigit() else 3600},
        )
        if result.ok:
            request.session["baas_console_impersonation"] = {
                "record": record_id,
                "token": result.data["token"],
            }
            return redirect(request, back + "#impersonation")
        message = ""
    else:
        flash(request, "Unknown action.", "err")
        return redirect(request, back)
    if result.ok:
        flash(request, message)
    elif result.status == 404 and action in ("reset", "verification", "impersonate"):
        flash(request, "This server does not offer that endpoint yet.", "err")
    else:
        flash(request, first_error(result), "err")
    return redirect(request, back)
