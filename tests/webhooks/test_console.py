"""The console's webhooks pages (/_/webhooks) drive /api/webhooks."""

from __future__ import annotations

import pytest
from django.utils import timezone

from baas.webhooks.models import Attempt, Delivery, Webhook
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db

FORM = {"name": "crm", "url": "https://example.com/in", "collection": "*", "events": ["create"]}


@pytest.fixture
def console(client, superuser_token):
    response = client.post("/_/login", {"email": "root@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_the_pages_need_a_signed_in_superuser(client, superuser_token):
    for path in ("/_/webhooks", "/_/webhooks/x"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/_/login")


def test_create_shows_the_secret_once_then_a_hint(console):
    page = console.get("/_/webhooks")
    assert page.status_code == 200
    assert b'href="/_/webhooks" aria-current="page"' in page.content
    created = console.post("/_/webhooks", {**FORM, "enabled": "on"})
    assert created.status_code == 200
    hook = Webhook.objects.get(name="crm")
    assert hook.secret.encode() in created.content and b"shown this once" in created.content
    again = console.get(f"/_/webhooks/{hook.id}")
    assert again.status_code == 200 and hook.secret.encode() not in again.content
    assert hook.secret[-4:].encode() in again.content  # the hint
    assert hook.events == ["create"] and hook.enabled


def test_bad_input_is_shown_on_the_form(console):
    page = console.post("/_/webhooks", {**FORM, "url": "ftp://nope", "events": ["explode"]})
    assert page.status_code == 400
    assert b"url" in page.content and b"events" in page.content
    assert not Webhook.objects.exists()


def test_edit_keeps_the_secret_when_left_blank(console):
    console.post("/_/webhooks", {**FORM, "enabled": "on"})
    hook = Webhook.objects.get()
    saved = console.post(f"/_/webhooks/{hook.id}", {**FORM, "name": "renamed", "secret": ""})
    assert saved.status_code == 302
    after = Webhook.objects.get()
    assert (after.name, after.secret, after.enabled) == ("renamed", hook.secret, False)


def test_the_log_lists_deliveries_with_a_replay_button_and_replay_queues_a_copy(console):
    console.post("/_/webhooks", {**FORM, "enabled": "on"})
    hook = Webhook.objects.get()
    sent = console.post(f"/_/webhooks/{hook.id}/test")
    assert sent.status_code == 302
    delivery = Delivery.objects.get()
    started = timezone.now()
    Attempt.objects.create(
        delivery=delivery, number=1, started=started, status_code=503, retry_in=0.5
    )
    Attempt.objects.create(
        delivery=delivery, number=2, started=started, error="ConnectError: refused"
    )
    page = console.get(f"/_/webhooks/{hook.id}")
    assert f'hx-post="/_/webhooks/deliveries/{delivery.id}/replay"'.encode() in page.content
    assert b"HTTP 503" in page.content and b"retry in 0.5 s" in page.content
    assert b"ConnectError: refused" in page.content
    replayed = console.post(f"/_/webhooks/deliveries/{delivery.id}/replay", HTTP_HX_REQUEST="true")
    assert replayed.status_code == 200 and b"Replayed as" in replayed.content
    copy = Delivery.objects.exclude(id=delivery.id).get()
    assert copy.replay_of == delivery.id and copy.event == "test"


def test_disable_and_delete(console):
    console.post("/_/webhooks", {**FORM, "enabled": "on"})
    hook = Webhook.objects.get()
    assert console.post(f"/_/webhooks/{hook.id}/disable").status_code == 302
    assert not Webhook.objects.get().enabled
    assert console.post(f"/_/webhooks/{hook.id}/delete").status_code == 302
    assert not Webhook.objects.exists()
