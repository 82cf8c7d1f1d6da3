"""Where auth mail goes: BAAS_SMTP_* (Django's backend) or the SMTP server of /api/settings."""

from __future__ import annotations

import pytest

from baas import config
from baas.settings_api import service as app_settings


@pytest.fixture
def forget_settings():
    app_settings.forget()
    yield
    app_settings.forget()  # the process cache must not carry this test's SMTP into the next


def test_smtp_env_is_read_typed(monkeypatch, tmp_path):
    monkeypatch.setenv("BAAS_DIR", str(tmp_path))
    monkeypatch.setenv("BAAS_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("BAAS_SMTP_PORT", "465")
    monkeypatch.setenv("BAAS_SMTP_USERNAME", "me")
    monkeypatch.setenv("BAAS_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("BAAS_SMTP_SENDER", "App <app@example.com>")
    loaded = config.load()
    assert loaded.smtp == config.SmtpConfig("mail.example.com", 465, "me", "pw", True)
    assert loaded.sender == "App <app@example.com>"
    monkeypatch.setenv("BAAS_SMTP_PORT", "lots")
    with pytest.raises(config.ConfigError, match="BAAS_SMTP_PORT"):
        config.load()
    monkeypatch.delenv("BAAS_SMTP_HOST")
    monkeypatch.delenv("BAAS_SMTP_PORT")
    assert config.load().smtp is None


def test_mail_uses_the_settings_smtp_and_sender_when_enabled(
    api, cast, mailbox, forget_settings, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # not this way
    patch = {
        "meta": {
            "appName": "Shop",
            "appURL": "https://shop.test",
            "senderName": "Shop",
            "senderAddress": "help@shop.test",
        },
        "smtp": {"enabled": True, "host": mailbox.host, "port": mailbox.port, "tls": False},
    }
    assert api.patch("/api/settings", json=patch, token=cast.superuser).status_code == 200
    api.post("/api/collections/users/request-password-reset", json={"email": "owner@example.com"})
    mail = mailbox.wait_for("owner@example.com")
    assert mail.subject == "Reset your Shop password"
    assert "https://shop.test/_/#/auth/confirm-password-reset/" in mail.html
