"""Sending mail with the SMTP settings of wire-api §7.3, and filling template placeholders."""

from __future__ import annotations

import re
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.utils.html import strip_tags

from baas.settings_api.service import current

PLACEHOLDER = re.compile(r"\{RECORD:([A-Za-z0-9_]+)\}")


def fill_placeholders(text: str, values: dict[str, str], record: dict[str, Any]) -> str:
    """``{APP_NAME}``-style keys from ``values``; ``{RECORD:field}`` from the record."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return PLACEHOLDER.sub(lambda m: str(record.get(m.group(1), "")), text)


class MailDisabled(Exception):
    """SMTP is not enabled in the settings."""


def send_mail(to: str, subject: str, html: str) -> None:
    """Send one HTML mail now through the configured SMTP server (raises on failure)."""
    settings = current()
    smtp, meta = settings["smtp"], settings["meta"]
    if not smtp["enabled"]:
        raise MailDisabled()
    backend = EmailBackend(
        host=smtp["host"],
        port=smtp["port"],
        username=smtp["username"] or None,
        password=smtp["password"] or None,
        use_ssl=smtp["tls"],
        use_tls=False,
        timeout=10,
        fail_silently=False,
    )
    sender = f"{meta['senderName']} <{meta['senderAddress']}>"
    message = EmailMultiAlternatives(subject, strip_tags(html), sender, [to], connection=backend)
    message.attach_alternative(html, "text/html")
    message.send()
