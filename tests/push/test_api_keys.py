"""An API key may send pushes (it acts as a superuser) but has no devices of its own."""

from __future__ import annotations

from typing import Any

import pytest

from baas.auth import apikeys
from baas.push.models import Notification
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def test_an_api_key_sends_but_registers_no_device(api: Any, cast: Cast) -> None:
    _, key = apikeys.create("server", [], [], None, "root")
    sent = api.post("/api/push/send", json={"user": cast.owner_id, "title": "hi"}, token=key)
    assert sent.status_code == 200, sent.content
    assert sent.json()["user"] == cast.owner_id and sent.json()["devices"] == []
    assert Notification.objects.get().title == "hi"
    device = {"platform": "fcm", "token": "t"}
    assert api.post("/api/push/devices", json=device, token=key).status_code == 403


def test_a_scoped_key_cannot_send(api: Any, cast: Cast) -> None:
    _, key = apikeys.create("posts only", ["posts"], ["list"], None, "root")
    sent = api.post("/api/push/send", json={"user": cast.owner_id, "title": "hi"}, token=key)
    assert sent.status_code == 403
    assert not Notification.objects.exists()
