"""Auth emails: templates from the collection options, placeholders filled, sent via Django.

Placeholders: ``{APP_NAME} {APP_URL} {TOKEN} {OTP} {ALERT_INFO} {RECORD:field}``.
``APP_NAME``, ``APP_URL`` and the sender come from the application settings
(``meta``, wire-api §7.3). The transport is the settings' SMTP server when it is
enabled there, otherwise Django's email backend (``BAAS_SMTP_*``, or the console when
embedded); a stock ``senderAddress`` then gives way to ``BAAS_SMTP_SENDER``.
Callers queue ``baas.auth.tasks.send_auth_email`` after commit (STYLE §8); the task
calls :func:`send` with ids it loads itself.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from baas.auth import tokens
from baas.collections.models import Collection
from baas.settings_api.defaults import DEFAULTS as APP_DEFAULTS
from baas.settings_api.service import current as app_settings

# kind -> (where the template lives in the options, token type or None)
KINDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "verification": (("verificationTemplate",), "verification"),
    "passwordReset": (("resetPasswordTemplate",), "passwordReset"),
    "emailChange": (("confirmEmailChangeTemplate",), "emailChange"),
    "otp": (("otp", "emailTemplate"), None),
    "authAlert": (("authAlert", "emailTemplate"), None),
}
_RECORD = re.compile(r"\{RECORD:([A-Za-z0-9_]+)\}")
_TAGS = re.compile(r"<[^>]+>")


def template_of(collection: Collection, kind: str) -> dict[str, str]:
    node: Any = collection.options
    for key in KINDS[kind][0]:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return {"subject": str(node.get("subject", "")), "body": str(node.get("body", ""))}


def fill(text: str, values: dict[str, str], record: dict[str, Any], escape: bool) -> str:
    def record_value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("password", "tokenKey"):
            return ""
        value = record.get(name, "")
        text_value = "" if value is None else str(value)
        return html.escape(text_value) if escape else text_value

    text = _RECORD.sub(record_value, text)
    for key, value in values.items():
        text = text.replace("{" + key + "}", html.escape(value) if escape else value)
    return text


def build_token(
    collection: Collection, record: dict[str, Any], kind: str, extra: dict[str, Any]
) -> str:
    token_type = KINDS[kind][1]
    if token_type is None:
        return ""
    claims: dict[str, Any] = {"email": record.get("email", "")}
    if token_type == "emailChange":
        claims["newEmail"] = extra.get("newEmail", "")
    return tokens.issue(
        collection, record, token_type, kind=tokens.KIND_OF[token_type], extra=claims
    )


@dataclass(frozen=True)
class Outgoing:
    """A rendered auth email, ready to go out (no database needed from here on)."""

    to: str
    subject: str
    html: str
    sender: str
    via_settings_smtp: bool

    def deliver(self) -> None:
        """Send it (raises on SMTP failure)."""
        if self.via_settings_smtp:
            from baas.settings_api.mail import send_mail

            send_mail(self.to, self.subject, self.html)
            return
        text = html.unescape(_TAGS.sub("", self.html)).strip()
        message = EmailMultiAlternatives(self.subject, text, self.sender, [self.to])
        message.attach_alternative(self.html, "text/html")
        message.send()


def compose(
    collection: Collection, record: dict[str, Any], kind: str, extra: dict[str, Any]
) -> Outgoing:
    template = template_of(collection, kind)
    app = app_settings()
    meta = app["meta"]
    values = {
        "APP_NAME": str(meta.get("appName", "")),
        "APP_URL": str(meta.get("appURL", "")).rstrip("/"),
        "TOKEN": build_token(collection, record, kind, extra),
        "OTP": str(extra.get("otp", "")),
        "ALERT_INFO": str(extra.get("alertInfo", "")),
    }
    return Outgoing(
        to=str(extra.get("newEmail") or extra.get("to") or record.get("email", "")),
        subject=fill(template["subject"], values, record, escape=False),
        html=fill(template["body"], values, record, escape=True),
        sender=_sender(meta),
        via_settings_smtp=bool(app["smtp"].get("enabled")),
    )


def send(collection: Collection, record: dict[str, Any], kind: str, extra: dict[str, Any]) -> None:
    """Render and send one auth email (raises on SMTP failure)."""
    compose(collection, record, kind, extra).deliver()


def _sender(meta: dict[str, Any]) -> str:
    address = str(meta.get("senderAddress", ""))
    if not address or address == APP_DEFAULTS["meta"]["senderAddress"]:
        return str(settings.DEFAULT_FROM_EMAIL)
    return f"{meta.get('senderName', '')} <{address}>"
