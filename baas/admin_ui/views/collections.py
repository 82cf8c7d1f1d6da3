"""Collections: list, create, edit (fields, indexes, rules), delete, truncate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui import schema_form
from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import (
    api_of,
    collection_or_404,
    first_error,
    flash,
    fragment,
    page,
    paths_of,
    record_count,
)

MACROS = (
    "@request.auth.id",
    "@request.auth.collectionName",
    "@request.body.",
    "@request.query.",
    "@request.headers.",
    "@request.method",
    "@request.context",
    "@collection.",
    "@now",
    "@todayStart",
    "@todayEnd",
    "@monthStart",
    "@yearStart",
)


@console_view
def collection_list(request: HttpRequest) -> HttpResponse:
    result = api_of(request).get("/api/collections", perPage=1000, sort="name")
    items = result.data.get("items", []) if result.ok else []
    return page(
        request,
        "admin_ui/collections.html",
        {"title": "Collections", "nav": "collections", "items": items},
    )


def _cards_from_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"key": f.get("id") or schema_form.new_key(), "field": f, "removed": False, "errors": {}}
        for f in fields
    ]


def _cards_from_post(request: HttpRequest, existing: list[dict[str, Any]]) -> list[dict]:
    """Cards as posted (removed ones included), so a re-rendered form keeps every edit."""
    post = request.POST
    by_id = {f["id"]: f for f in existing if f.get("id")}
    parsed, option_errors, _ = schema_form.fields_from_form(post, existing)
    cards = []
    kept = iter(parsed)
    for key in post.getlist("f"):
        removed = post.get(f"{key}.removed") == "1" and key in by_id and not by_id[key]["system"]
        field = by_id[key] if removed else next(kept)
        cards.append(
            {"key": key, "field": field, "removed": removed, "errors": option_errors.get(key, {})}
        )
    return cards


def _suggestions(request: HttpRequest, fields: list[dict[str, Any]]) -> list[str]:
    names = [f["name"] for f in fields if f.get("name")]
    users = api_of(request).get("/api/collections/users")
    auth_fields = [f["name"] for f in users.data.get("fields", [])] if users.ok else []
    return [
        *names,
        *[f"@request.auth.{n}" for n in auth_fields],
        *[f"@request.body.{n}" for n in names],
        *MACROS,
    ]


def _editor_context(
    request: HttpRequest,
    collection: dict[str, Any],
    cards: list[dict[str, Any]],
    *,
    is_new: bool,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    others = api_of(request).get("/api/collections", perPage=1000, sort="name")
    rules = []
    for name in schema_form.rule_names(collection["type"]):
        value = collection.get(name)
        rules.append(
            {
                "name": name,
                "value": value or "",
                "locked": value is None,
                "error": schema_form.error_at(errors, name),
            }
        )
    for index, card in enumerate(c for c in cards if not c["removed"]):
        card["errors"] = {
            **{k: v for k, v in paths_of(errors.get("fields", {}).get(str(index), {}))},
            **card["errors"],
        }
    return {
        "title": "New collection" if is_new else f"Edit {collection['name']}",
        "nav": "collections",
        "current": None if is_new else collection,
        "collection": collection,
        "is_new": is_new,
        "cards": cards,
        "rules": rules,
        "types": schema_form.TYPES,
        "type_choices": ("base", "auth", "view"),
        "options": schema_form.OPTIONS,
        "collections": others.data.get("items", []) if others.ok else [],
        "suggestions": _suggestions(request, [c["field"] for c in cards]),
        "errors": errors,
        "error_list": paths_of(errors),
        "indexes": "\n".join(collection.get("indexes", [])),
    }


@console_view
def collection_new(request: HttpRequest) -> HttpResponse:
    collection_type = request.POST.get("type") or request.GET.get("type", "base")
    scaffolds = api_of(request).get("/api/collections/meta/scaffolds").data or {}
    collection = dict(scaffolds.get(collection_type) or scaffolds.get("base") or {})
    collection.update({"type": collection_type, "name": ""})
    if collection_type != "view":
        for name in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule"):
            collection.setdefault(name, None)
        if not any(f["name"] == "created" for f in collection.get("fields", [])):
            collection["fields"] = [*collection.get("fields", []), *_timestamps()]
    cards = _cards_from_fields(collection.get("fields", []))
    if request.method == "POST":
        scaffold = {"type": collection_type, "fields": collection.get("fields", [])}
        body, option_errors = schema_form.collection_from_form(request.POST, scaffold)
        cards = _cards_from_post(request, scaffold["fields"])
        collection = {**collection, **body}
        if not option_errors:
            result = api_of(request).request("POST", "/api/collections", json=body)
            if result.ok:
                flash(request, f"Collection “{result.data['name']}” created.")
                return redirect(request, f"/_/collections/{result.data['name']}")
            context = _editor_context(request, collection, cards, is_new=True, errors=result.errors)
            context["failure"] = result.message or first_error(result)
            return page(request, "admin_ui/collection_edit.html", context, status=400)
    return page(
        request,
        "admin_ui/collection_edit.html",
        _editor_context(request, collection, cards, is_new=True),
    )


def _timestamps() -> list[dict[str, Any]]:
    """The peer's console adds created/updated to a new base or auth collection."""
    return [
        {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
        {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    ]


def schema_changes(
    old: dict[str, Any], body: dict[str, Any], removed: list[dict[str, Any]], count: int
) -> list[str]:
    """What a save will do to existing data, in words, before it runs."""
    changes = []
    if body.get("name") and body["name"] != old["name"]:
        changes.append(
            f"Rename the collection “{old['name']}” to “{body['name']}”: its API path becomes "
            f"/api/collections/{body['name']}/records."
        )
    for field in removed:
        changes.append(f"Delete the field “{field['name']}” and its values in all {count} records.")
    old_by_id = {f["id"]: f for f in old.get("fields", [])}
    for field in body.get("fields", []):
        before = old_by_id.get(field.get("id", ""))
        if before is None:
            continue
        if before["name"] != field["name"]:
            changes.append(
                f"Rename the field “{before['name']}” to “{field['name']}” (values are kept; "
                "rules, filters and client code that use the old name must change)."
            )
        if before["type"] != field["type"]:
            changes.append(
                f"Convert the field “{field['name']}” from {before['type']} to {field['type']} "
                f"in {count} records."
            )
    if old["type"] == "view" and body.get("viewQuery") != old.get("viewQuery"):
        changes.append("Replace the view query (the view's fields are inferred again).")
    return changes


@console_view
def collection_edit(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    cards = _cards_from_fields(collection.get("fields", []))
    if request.method != "POST":
        return page(
            request,
            "admin_ui/collection_edit.html",
            _editor_context(request, collection, cards, is_new=False),
        )
    body, option_errors = schema_form.collection_from_form(request.POST, collection)
    _, _, removed = schema_form.fields_from_form(request.POST, collection.get("fields", []))
    cards = _cards_from_post(request, collection.get("fields", [])) if "fields" in body else cards
    draft = {**collection, **body}
    changes = schema_changes(collection, body, removed, record_count(request, name))
    if option_errors or (changes and request.POST.get("confirmed") != "1"):
        context = _editor_context(request, draft, cards, is_new=False)
        context["changes"] = changes if not option_errors else []
        return page(request, "admin_ui/collection_edit.html", context)
    result = api_of(request).patch(f"/api/collections/{collection['id']}", body)
    if result.ok:
        flash(request, f"Collection “{result.data['name']}” saved.")
        return redirect(request, f"/_/collections/{result.data['name']}/edit")
    context = _editor_context(request, draft, cards, is_new=False, errors=result.errors)
    context["failure"] = result.message or first_error(result)
    return page(request, "admin_ui/collection_edit.html", context, status=400)


@console_view
def field_card(request: HttpRequest) -> HttpResponse:
    """A blank card for a new field of the given type (htmx)."""
    type_name = request.GET.get("type", "text")
    if type_name not in schema_form.TYPES:
        type_name = "text"
    others = api_of(request).get("/api/collections", perPage=1000, sort="name")
    card = {
        "key": schema_form.new_key(),
        "field": schema_form.new_field(type_name),
        "removed": False,
        "errors": {},
        "open": True,
    }
    return fragment(
        request,
        "admin_ui/_field_card.html",
        {
            "card": card,
            "options": schema_form.OPTIONS,
            "collections": others.data.get("items", []) if others.ok else [],
        },
    )


@console_view
def collection_delete(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    count = record_count(request, name)
    if request.method == "POST":
        if request.POST.get("confirm_name") != collection["name"]:
            error = "Type the collection name to confirm."
        else:
            result = api_of(request).delete(f"/api/collections/{collection['id']}")
            if result.ok:
                flash(
                    request, f"Collection “{collection['name']}” and its {count} records deleted."
                )
                return redirect(request, "/_/collections")
            error = result.message
        return page(
            request,
            "admin_ui/collection_delete.html",
            {"collection": collection, "count": count, "error": error, "current": collection},
            status=400,
        )
    return page(
        request,
        "admin_ui/collection_delete.html",
        {"collection": collection, "count": count, "current": collection, "nav": "collections"},
    )


@require_POST
@console_view
def collection_truncate(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    count = record_count(request, name)
    result = api_of(request).delete(f"/api/collections/{collection['id']}/truncate")
    if result.ok:
        flash(request, f"Deleted all {count} records of “{collection['name']}”.")
    else:
        flash(request, result.message, "err")
    return redirect(request, f"/_/collections/{collection['name']}")


@require_POST
@console_view
def rule_check(request: HttpRequest, name: str) -> HttpResponse:
    """Live syntax check of one rule against the collection as edited (htmx)."""
    rule_name = request.GET.get("rule", "listRule")
    existing = None if name == "-" else collection_or_404(request, name)
    body, _ = schema_form.collection_from_form(request.POST, existing)
    if existing:
        body["id"] = existing["id"]
        if existing["type"] == "view":
            body.pop("viewQuery", None)
    if request.POST.get(f"{rule_name}.locked") == "on":
        return fragment(request, "admin_ui/_rule_state.html", {"state": "locked"})
    rule = request.POST.get(rule_name, "")
    result = api_of(request).post("/api/x/rules/check", {"collection": body, "rule": rule})
    if not result.ok:
        state = {"state": "err", "message": first_error(result)}
    elif result.data["valid"]:
        state = {"state": "ok" if rule.strip() else "public"}
    else:
        state = {"state": "err", "message": result.data["message"]}
    return fragment(request, "admin_ui/_rule_state.html", state)


@require_POST
@console_view
def rule_simulate(request: HttpRequest, name: str) -> HttpResponse:
    """Which records the list rule in the editor lets a chosen user see (htmx)."""
    collection = collection_or_404(request, name)
    viewer = request.POST.get("sim_user", "")
    body: dict[str, Any] = {"collection": collection["id"]}
    if request.POST.get("listRule.locked") == "on":
        body["rule"] = None
    else:
        body["rule"] = request.POST.get("listRule", "")
    if viewer:
        auth_collection, _, record_id = viewer.partition(":")
        body.update({"authCollection": auth_collection, "authRecord": record_id})
    result = api_of(request).post("/api/x/rules/preview", body)
    shown = [f["name"] for f in collection["fields"] if not f.get("hidden")][:5]
    return fragment(
        request,
        "admin_ui/_simulation.html",
        {
            "result": result.data if result.ok else None,
            "error": first_error(result) if not result.ok else "",
            "columns": shown,
        },
    )


@console_view
def simulation_users(request: HttpRequest, name: str) -> HttpResponse:
    """Options for the simulator's user picker: users matching a search (htmx)."""
    query = request.GET.get("q", "").strip()
    options = []
    for auth in [c for c in _auth_collections(request) if c["name"] != "_superusers"]:
        params: dict[str, Any] = {"perPage": 20, "skipTotal": 1}
        if query:
            params["filter"] = f'email ~ "{_escape(query)}"'
        result = api_of(request).get(f"/api/collections/{auth['name']}/records", **params)
        for row in result.data.get("items", []) if result.ok else []:
            options.append(
                {
                    "value": f"{auth['name']}:{row['id']}",
                    "label": f"{row.get('email') or row['id']} ({auth['name']})",
                }
            )
    return fragment(request, "admin_ui/_user_options.html", {"options": options})


def _auth_collections(request: HttpRequest) -> list[dict[str, Any]]:
    result = api_of(request).get("/api/collections", perPage=1000, sort="name")
    return [c for c in result.data.get("items", []) if c["type"] == "auth"] if result.ok else []


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@require_POST
@console_view
def view_preview(request: HttpRequest, name: str) -> HttpResponse:
    body = {
        "name": name if name != "-" else request.POST.get("name", ""),
        "viewQuery": request.POST.get("viewQuery", ""),
    }
    result = api_of(request).post("/api/x/views/preview", body)
    return fragment(
        request,
        "admin_ui/_view_preview.html",
        {
            "result": result.data if result.ok else None,
            "error": first_error(result) if not result.ok else "",
        },
    )
