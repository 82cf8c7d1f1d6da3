"""Auth-collection options (wire-api §1.1): identity fields, OAuth2, OTP/MFA, tokens, emails."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from baas.admin_ui.session import console_view, redirect
from baas.admin_ui.views.common import (
    api_of,
    collection_or_404,
    first_error,
    flash,
    fragment,
    page,
    paths_of,
)
from baas.settings_api.mail import fill_placeholders

TEMPLATE_KEYS = (
    ("verificationTemplate", "Verification", ()),
    ("resetPasswordTemplate", "Password reset", ()),
    ("confirmEmailChangeTemplate", "Confirm email change", ()),
    ("otp", "One-time password", ("emailTemplate",)),
    ("authAlert", "Login alert", ("emailTemplate",)),
)
TOKENS = (
    ("authToken", "Auth token"),
    ("verificationToken", "Verification token"),
    ("passwordResetToken", "Password reset token"),
    ("emailChangeToken", "Email change token"),
    ("fileToken", "Protected file token"),
)
PROVIDERS = (
    "google",
    "github",
    "gitlab",
    "microsoft",
    "apple",
    "discord",
    "facebook",
    "oidc",
)


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _template(collection: dict[str, Any], key: str, sub: tuple[str, ...]) -> dict[str, str]:
    node: Any = collection.get(key, {})
    for part in sub:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def options_body(collection: dict[str, Any], post: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "passwordAuth": {
            "enabled": post.get("passwordAuth.enabled") == "on",
            "identityFields": post.getlist("identityFields"),
        },
        "mfa": {
            "enabled": post.get("mfa.enabled") == "on",
            "duration": _int(post.get("mfa.duration"), 600),
            "rule": post.get("mfa.rule", ""),
        },
        "otp": {
            "enabled": post.get("otp.enabled") == "on",
            "duration": _int(post.get("otp.duration"), 180),
            "length": _int(post.get("otp.length"), 8),
        },
        "authAlert": {"enabled": post.get("authAlert.enabled") == "on"},
        "oauth2": {"enabled": post.get("oauth2.enabled") == "on", "providers": _providers(post)},
        "authRule": None if post.get("authRule.locked") == "on" else post.get("authRule", ""),
        "manageRule": None if post.get("manageRule.locked") == "on" else post.get("manageRule", ""),
    }
    for key, _ in TOKENS:
        token: dict[str, Any] = {"duration": _int(post.get(f"{key}.duration"), 1)}
        if post.get(f"{key}.regenerate") == "on":
            token["secret"] = secrets.token_urlsafe(36)  # revokes every token of this kind
        body[key] = token
    for key, _, sub in TEMPLATE_KEYS:
        template = {"subject": post.get(f"{key}.subject", ""), "body": post.get(f"{key}.body", "")}
        if sub:
            body.setdefault(key, {})[sub[0]] = template
        else:
            body[key] = template
    return body


def _providers(post: Any) -> list[dict[str, Any]]:
    out = []
    for index in post.getlist("provider"):
        name = post.get(f"provider.{index}.name", "").strip()
        if not name or post.get(f"provider.{index}.remove") == "on":
            continue
        provider = {
            "name": name,
            "clientId": post.get(f"provider.{index}.clientId", "").strip(),
            "displayName": post.get(f"provider.{index}.displayName", "").strip(),
            "pkce": post.get(f"provider.{index}.pkce") == "on",
            "authURL": post.get(f"provider.{index}.authURL", "").strip(),
            "tokenURL": post.get(f"provider.{index}.tokenURL", "").strip(),
            "userInfoURL": post.get(f"provider.{index}.userInfoURL", "").strip(),
        }
        if post.get(f"provider.{index}.clientSecret"):
            provider["clientSecret"] = post[f"provider.{index}.clientSecret"]
        out.append(provider)
    return out


@console_view
def auth_options(request: HttpRequest, name: str) -> HttpResponse:
    collection = collection_or_404(request, name)
    errors: dict[str, Any] = {}
    failure = ""
    if request.method == "POST":
        result = api_of(request).patch(
            f"/api/collections/{collection['id']}", options_body(collection, request.POST)
        )
        if result.ok:
            flash(request, "Auth options saved.")
            return redirect(request, f"/_/collections/{collection['name']}/auth")
        errors, failure = result.errors, first_error(result)
    unique_candidates = [
        f["name"]
        for f in collection["fields"]
        if f["type"] in ("text", "email") and f["name"] not in ("id", "tokenKey")
    ]
    return page(
        request,
        "admin_ui/auth_options.html",
        {
            "title": f"Auth options · {collection['name']}",
            "nav": "collections",
            "current": collection,
            "collection": collection,
            "candidates": unique_candidates,
            "tokens": [(k, label, collection.get(k, {})) for k, label in TOKENS],
            "templates": [
                (k, label, _template(collection, k, sub)) for k, label, sub in TEMPLATE_KEYS
            ],
            "providers": collection.get("oauth2", {}).get("providers", []),
            "provider_names": _provider_names(request),
            "errors": errors,
            "error_list": paths_of(errors),
            "failure": failure,
        },
        status=400 if failure else 200,
    )


def _provider_names(request: HttpRequest) -> list[str]:
    """The providers the server knows (``/api/collections/meta/oauth2-providers``)."""
    result = api_of(request).get("/api/collections/meta/oauth2-providers")
    if result.ok and isinstance(result.data, list):
        return [str(p["name"]) for p in result.data if isinstance(p, dict) and p.get("name")]
    return list(PROVIDERS)


@require_POST
@console_view
def template_preview(request: HttpRequest, name: str) -> HttpResponse:
    """The email as a user would get it, with sample values (htmx; shown in a sandboxed iframe)."""
    key = request.GET.get("template", "verificationTemplate")
    settings = api_of(request).get("/api/settings")
    meta = settings.data.get("meta", {}) if settings.ok else {}
    values = {
        "APP_NAME": meta.get("appName", "Acme"),
        "APP_URL": meta.get("appURL", "http://localhost:8090"),
        "TOKEN": "SAMPLE_TOKEN",
        "OTP": "12345678",
        "ALERT_INFO": "Chrome on Linux, 127.0.0.1",
    }
    record = {"id": "RECORD_ID", "email": "user@example.com", "name": "Sample User"}
    return fragment(
        request,
        "admin_ui/_template_preview.html",
        {
            "subject": fill_placeholders(request.POST.get(f"{key}.subject", ""), values, record),
            "body": fill_placeholders(request.POST.get(f"{key}.body", ""), values, record),
        },
    )
