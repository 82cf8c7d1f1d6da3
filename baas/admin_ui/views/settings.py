"""Settings (wire-api §7.3) and logs (§7.4) pages: sections that PATCH ``/api/settings``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import api_of, first_error, flash, fragment, page, paths_of

SECTIONS = (
    ("application", "Application"),
    ("mail", "Mail (SMTP)"),
    ("storage", "File storage"),
    ("backups", "Backups"),
    ("batch", "Batch API"),
    ("ratelimits", "Rate limits"),
    ("access", "CORS & access"),
    ("logs", "Logs"),
    ("push", "Push & webhooks"),
)
TEMPLATES = (
    ("verification", "Verification"),
    ("password-reset", "Password reset"),
    ("email-change", "Email change"),
    ("otp", "One-time password"),
    ("login-alert", "Login alert"),
)


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return default


def _lines(value: str) -> list[str]:
    return [v.strip() for v in value.replace(",", "\n").splitlines() if v.strip()]


def _s3(post: Any, prefix: str) -> dict[str, Any]:
    body = {
        "enabled": post.get(f"{prefix}enabled") == "on",
        "bucket": post.get(f"{prefix}bucket", "").strip(),
        "region": post.get(f"{prefix}region", "").strip(),
        "endpoint": post.get(f"{prefix}endpoint", "").strip(),
        "accessKey": post.get(f"{prefix}accessKey", "").strip(),
        "forcePathStyle": post.get(f"{prefix}forcePathStyle") == "on",
    }
    if post.get(f"{prefix}secret"):  # write-only: blank keeps the stored one
        body["secret"] = post[f"{prefix}secret"]
    return body


def _push(post: Any) -> dict[str, Any]:
    fcm: dict[str, Any] = {
        "enabled": post.get("fcm.enabled") == "on",
        "projectId": post.get("fcm.projectId", "").strip(),
    }
    apns: dict[str, Any] = {
        "enabled": post.get("apns.enabled") == "on",
        "sandbox": post.get("apns.sandbox") == "on",
    }
    for key in ("keyId", "teamId", "topic"):
        apns[key] = post.get(f"apns.{key}", "").strip()
    for body, name, secret in ((fcm, "fcm", "credentials"), (apns, "apns", "key")):
        if post.get(f"{name}.{secret}", "").strip():  # write-only: blank keeps the stored one
            body[secret] = post[f"{name}.{secret}"].strip()
    return {"maxDays": _int(post.get("push.maxDays", ""), 30), "fcm": fcm, "apns": apns}


def section_body(section: str, post: Any) -> dict[str, Any]:
    if section == "application":
        return {
            "meta": {
                "appName": post.get("appName", "").strip(),
                "appURL": post.get("appURL", "").strip(),
                "senderName": post.get("senderName", "").strip(),
                "senderAddress": post.get("senderAddress", "").strip(),
                "hideControls": post.get("hideControls") == "on",
            }
        }
    if section == "mail":
        smtp = {
            "enabled": post.get("enabled") == "on",
            "host": post.get("host", "").strip(),
            "port": _int(post.get("port", ""), 587),
            "username": post.get("username", ""),
            "authMethod": post.get("authMethod", ""),
            "tls": post.get("tls") == "on",
            "localName": post.get("localName", "").strip(),
        }
        if post.get("password"):
            smtp["password"] = post["password"]
        return {"smtp": smtp}
    if section == "storage":
        return {"s3": _s3(post, "")}
    if section == "backups":
        return {
            "backups": {
                "cron": post.get("cron", "").strip(),
                "cronMaxKeep": _int(post.get("cronMaxKeep", ""), 3),
                "s3": _s3(post, "s3."),
            }
        }
    if section == "batch":
        return {
            "batch": {
                "enabled": post.get("enabled") == "on",
                "maxRequests": _int(post.get("maxRequests", "")),
                "timeout": _int(post.get("timeout", "")),
                "maxBodySize": _int(post.get("maxBodySize", "")),
            }
        }
    if section == "ratelimits":
        rules = []
        for label, audience, duration, maximum in zip(
            post.getlist("label"),
            post.getlist("audience"),
            post.getlist("duration"),
            post.getlist("maxRequests"),
            strict=False,
        ):
            if label.strip() or duration.strip() or maximum.strip():
                rules.append(
                    {
                        "label": label.strip(),
                        "audience": audience,
                        "duration": _int(duration),
                        "maxRequests": _int(maximum),
                    }
                )
        return {
            "rateLimits": {
                "enabled": post.get("enabled") == "on",
                "rules": rules,
                "excludedIPs": _lines(post.get("excludedIPs", "")),
            }
        }
    if section == "access":
        return {
            "cors": {"allowedOrigins": _lines(post.get("allowedOrigins", "")) or ["*"]},
            "superuserIPs": _lines(post.get("superuserIPs", "")),
            "trustedProxy": {
                "headers": _lines(post.get("headers", "")),
                "useLeftmostIP": post.get("useLeftmostIP") == "on",
            },
        }
    if section == "push":
        return {
            "webhooks": {"maxDays": _int(post.get("webhooks.maxDays", ""), 30)},
            "push": _push(post),
        }
    if section == "logs":
        return {
            "logs": {
                "maxDays": _int(post.get("maxDays", ""), 5),
                "minLevel": _int(post.get("minLevel", "")),
                "logIP": post.get("logIP") == "on",
                "logAuthId": post.get("logAuthId") == "on",
            }
        }
    return {}


@console_view
def settings_page(request: HttpRequest, section: str = "application") -> HttpResponse:
    if section not in dict(SECTIONS):
        section = "application"
    api = api_of(request)
    errors: dict[str, Any] = {}
    failure = ""
    if request.method == "POST":
        result = api.patch("/api/settings", section_body(section, request.POST))
        if result.ok:
            flash(request, "Settings saved.")
            return redirect(request, f"/_/settings/{section}")
        errors, failure = result.errors, first_error(result)
    current = api.get("/api/settings")
    backups = api.get("/api/backups") if section == "backups" else None
    file_token = ""
    if backups and backups.ok:  # downloads authenticate with a superuser file token (§7.5)
        minted = api.post("/api/files/token")
        file_token = minted.data.get("token", "") if minted.ok else ""
    collections = api.get("/api/collections", perPage=1000, sort="name")
    return page(
        request,
        "admin_ui/settings.html",
        {
            "title": "Settings",
            "nav": "settings",
            "section": section,
            "sections": SECTIONS,
            "s": current.data if current.ok else {},
            "errors": errors,
            "error_list": paths_of(errors),
            "failure": failure,
            "backups_available": bool(backups and backups.ok),
            "backups": backups.data if backups and backups.ok else [],
            "file_token": file_token,
            "templates": TEMPLATES,
            "auth_collections": [
                c["name"] for c in collections.data.get("items", []) if c["type"] == "auth"
            ]
            if collections.ok
            else [],
        },
        status=400 if failure else 200,
    )


@require_POST
@console_view
def settings_test(request: HttpRequest, kind: str) -> HttpResponse:
    api = api_of(request)
    if kind == "email":
        result = api.post(
            "/api/settings/test/email",
            {
                "email": request.POST.get("email", ""),
                "template": request.POST.get("template", "verification"),
                "collection": request.POST.get("collection", "_superusers"),
            },
        )
        ok = "Test email sent."
    else:
        result = api.post(
            "/api/settings/test/s3", {"filesystem": request.POST.get("filesystem", "storage")}
        )
        ok = "Connected: the bucket accepted a write, a read and a delete."
    return fragment(
        request,
        "admin_ui/_test_result.html",
        {"ok": result.ok, "message": ok if result.ok else first_error(result)},
    )


@require_POST
@console_view
def backup_action(request: HttpRequest, action: str) -> HttpResponse:
    """Create, upload, delete or restore a backup (wire-api §7.5)."""
    api = api_of(request)
    key = request.POST.get("key", "")
    if action == "create":
        name = request.POST.get("name", "").strip()
        result = api.post("/api/backups", {"name": name} if name else {})
        done = "Backup created."
    elif action == "upload" and request.FILES.getlist("file"):
        uploads = request.FILES.getlist("file")[:1]
        result = api.request("POST", "/api/backups/upload", files={"file": uploads})
        done = "Backup uploaded."
    elif action == "delete" and key:
        result = api.delete(f"/api/backups/{key}")
        done = f"Backup {key} deleted."
    elif action == "restore" and key:
        result = api.post(f"/api/backups/{key}/restore")
        done = f"Restoring {key}: the server restarts with that data."
    else:
        flash(request, "Nothing to do.", "err")
        return redirect(request, "/_/settings/backups")
    flash(request, done if result.ok else first_error(result), "ok" if result.ok else "err")
    return redirect(request, "/_/settings/backups")


@console_view
def logs_page(request: HttpRequest) -> HttpResponse:
    api = api_of(request)
    filter_text = request.GET.get("filter", "")
    level = request.GET.get("level", "")
    combined = " && ".join(
        f"({part})"
        for part in (filter_text, f"level >= {int(level)}" if level.lstrip("-").isdigit() else "")
        if part
    )
    number = _int(request.GET.get("page", "1"), 1)
    listing = api.get(
        "/api/logs",
        page=max(number, 1),
        perPage=50,
        filter=combined,
        sort=request.GET.get("sort", ""),
    )
    stats = api.get("/api/logs/stats", filter=combined)
    error = (
        "" if listing.ok else ("Invalid filter." if listing.status == 400 else first_error(listing))
    )
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "admin_ui/logs.html",
        {
            "title": "Logs",
            "nav": "logs",
            "filter": filter_text,
            "level": level,
            "listing": listing.data
            if listing.ok
            else {"items": [], "totalItems": 0, "page": 1, "totalPages": 0},
            "chart": _chart(stats.data if stats.ok else []),
            "error": error,
            "page_query": query.urlencode(),
        },
    )


def _chart(stats: list[dict[str, Any]], hours: int = 24) -> dict[str, Any]:
    """Bars for requests per hour over the last ``hours`` hours (empty hours included)."""
    from datetime import UTC, datetime, timedelta

    counts = {b["date"][:13]: b["total"] for b in stats}
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    slots = [(now - timedelta(hours=hours - 1 - i)).strftime("%Y-%m-%d %H") for i in range(hours)]
    peak = max((counts.get(slot, 0) for slot in slots), default=0) or 1
    width = 100 / hours
    bars = []
    for i, slot in enumerate(slots):
        total = counts.get(slot, 0)
        height = round(total / peak * 130, 2)
        bars.append(
            {
                "x": round(i * width + width * 0.1, 3),
                "w": round(width * 0.8, 3),
                "h": height,
                "y": round(140 - height, 2),
                "label": f"{slot}:00",
                "total": total,
            }
        )
    return {"bars": bars, "peak": peak, "total": sum(b["total"] for b in bars)}


@console_view
def log_detail(request: HttpRequest, log_id: str) -> HttpResponse:
    result = api_of(request).get(f"/api/logs/{log_id}")
    return fragment(
        request, "admin_ui/_log_detail.html", {"log": result.data if result.ok else None}
    )


@require_POST
@console_view
def logs_clear(request: HttpRequest) -> HttpResponse:
    result = api_of(request).delete("/api/logs")
    flash(
        request, "Logs deleted." if result.ok else first_error(result), "ok" if result.ok else "err"
    )
    return redirect(request, "/_/logs")
