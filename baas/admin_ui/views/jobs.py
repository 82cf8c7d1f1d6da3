"""Scheduled jobs page (``/_/jobs``): list, create, edit, run, enable and delete jobs
through ``/api/jobs`` (baas.jobs)."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import api_of, first_error, flash, page, paths_of

KINDS = (
    ("hook", "Call a hook function", '{"function": "nightly_report", "payload": {}}'),
    ("webhook", "Call a webhook", '{"url": "https://example.com/hook", "payload": {}}'),
    ("retention", "Delete old records", '{"collection": "logs", "days": 30}'),
)


def _submitted(request: HttpRequest) -> tuple[dict[str, Any], str]:
    """The form as a job body, or a message if the config is not a JSON object."""
    text = request.POST.get("config", "").strip() or "{}"
    body: dict[str, Any] = {
        "name": request.POST.get("name", ""),
        "schedule": request.POST.get("schedule", ""),
        "kind": request.POST.get("kind", ""),
        "enabled": request.POST.get("enabled") == "on",
    }
    try:
        body["config"] = orjson.loads(text)
    except orjson.JSONDecodeError:
        return body, "The config is not valid JSON."
    return body, ""


def _form_page(
    request: HttpRequest, job: dict[str, Any] | None, form: dict[str, Any], errors: Any
) -> HttpResponse:
    listing = api_of(request).get("/api/jobs")
    return page(
        request,
        "admin_ui/jobs.html",
        {
            "title": "Scheduled jobs",
            "nav": "jobs",
            "jobs": listing.data if listing.ok else [],
            "editing": job,
            "form": form,
            "errors": paths_of(errors) if isinstance(errors, dict) else [],
            "error": errors if isinstance(errors, str) else "",
            "kinds": KINDS,
        },
        status=400 if errors else 200,
    )


def _form_of(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "config": orjson.dumps(job["config"], option=orjson.OPT_INDENT_2).decode()}


@console_view
def jobs_page(request: HttpRequest) -> HttpResponse:
    """GET: the list and an empty form; POST: create a job."""
    if request.method != "POST":
        blank = {"name": "", "schedule": "0 3 * * *", "kind": "hook", "enabled": True}
        return _form_page(request, None, {**blank, "config": KINDS[0][2]}, {})
    body, problem = _submitted(request)
    form = {**body, "config": request.POST.get("config", "")}
    if problem:
        return _form_page(request, None, form, problem)
    result = api_of(request).post("/api/jobs", body)
    if not result.ok:
        return _form_page(request, None, form, result.errors or first_error(result))
    flash(request, f"Job {body['name']} created.")
    return redirect(request, "/_/jobs")


@console_view
def job_edit(request: HttpRequest, job_id: str) -> HttpResponse:
    api = api_of(request)
    found = api.get(f"/api/jobs/{job_id}")
    if not found.ok:
        flash(request, first_error(found), "err")
        return redirect(request, "/_/jobs")
    if request.method != "POST":
        return _form_page(request, found.data, _form_of(found.data), {})
    body, problem = _submitted(request)
    form = {**body, "config": request.POST.get("config", "")}
    if problem:
        return _form_page(request, found.data, form, problem)
    result = api.patch(f"/api/jobs/{job_id}", body)
    if not result.ok:
        return _form_page(request, found.data, form, result.errors or first_error(result))
    flash(request, f"Job {body['name']} saved.")
    return redirect(request, "/_/jobs")


@console_view
@require_POST
def job_action(request: HttpRequest, job_id: str, action: str) -> HttpResponse:
    api = api_of(request)
    if action == "run":
        result, done = api.post(f"/api/jobs/{job_id}/run"), "Job started."
    elif action in ("enable", "disable"):
        result = api.patch(f"/api/jobs/{job_id}", {"enabled": action == "enable"})
        done = f"Job {action}d."
    elif action == "delete":
        result, done = api.delete(f"/api/jobs/{job_id}"), "Job deleted."
    else:
        flash(request, "Nothing to do.", "err")
        return redirect(request, "/_/jobs")
    flash(request, done if result.ok else first_error(result), "ok" if result.ok else "err")
    return redirect(request, "/_/jobs")
