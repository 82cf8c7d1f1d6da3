"""The console's Settings › Push & webhooks section: credentials (write-only) and retention."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from baas.settings_api import service
from tests.cast import PASSWORD
from tests.push.fakes import pem

pytestmark = pytest.mark.django_db

KEY = pem(ec.generate_private_key(ec.SECP256R1()))
FORM = {
    "apns.enabled": "on",
    "apns.keyId": "K1",
    "apns.teamId": "T1",
    "apns.topic": "com.example.app",
    "apns.key": KEY,
    "webhooks.maxDays": "7",
    "push.maxDays": "14",
}


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    service.forget()
    yield
    service.forget()


@pytest.fixture
def console(client: Any, superuser_token: str) -> Any:
    response = client.post("/_/login", {"email": "root@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_credentials_saved_in_the_console_are_never_shown_again(console: Any) -> None:
    page = console.get("/_/settings/push")
    assert page.status_code == 200 and b"Use these APNs credentials" in page.content
    assert console.post("/_/settings/push", FORM).status_code == 302
    service.forget()
    saved = service.current()
    assert saved["push"]["apns"]["key"] == KEY.strip() and saved["push"]["apns"]["enabled"] is True
    assert (saved["webhooks"]["maxDays"], saved["push"]["maxDays"]) == (7, 14)
    again = console.get("/_/settings/push").content
    assert b"PRIVATE KEY" not in again and b'value="K1"' in again
    # saving with the key left blank keeps it
    assert console.post("/_/settings/push", {**FORM, "apns.key": ""}).status_code == 302
    service.forget()
    assert service.current()["push"]["apns"]["key"] == KEY.strip()


def test_bad_input_is_shown_on_the_form(console: Any) -> None:
    page = console.post("/_/settings/push", {**FORM, "apns.key": "nope", "push.maxDays": "-1"})
    assert page.status_code == 400
    assert b"push.apns.key" in page.content and b"Must be the .p8 key" in page.content
    assert b"Must be no less than 0." in page.content
    service.forget()
    assert service.current()["push"]["apns"]["enabled"] is False
