"""``/api/webhooks``: superusers only, validated input, the secret shown once."""

from __future__ import annotations

from typing import Any

import pytest

from baas.webhooks.models import Delivery, Webhook
from tests.cast import Cast

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"


def create(api: Any, token: str | None, **body: Any) -> Any:
    data = {"collection": "users", "events": ["create"], "url": URL} | body
    return api.post("/api/webhooks", json=data, token=token)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/webhooks"),
        ("POST", "/api/webhooks"),
        ("GET", "/api/webhooks/{hook}"),
        ("PATCH", "/api/webhooks/{hook}"),
        ("DELETE", "/api/webhooks/{hook}"),
        ("GET", "/api/webhooks/{hook}/deliveries"),
        ("POST", "/api/webhooks/{hook}/test"),
        ("GET", "/api/webhooks/deliveries/{delivery}"),
        ("POST", "/api/webhooks/deliveries/{delivery}/replay"),
    ],
)
def test_only_superusers_manage_webhooks(api: Any, cast: Cast, method: str, path: str) -> None:
    hook = Webhook.objects.create(collection="*", events=["create"], url=URL)
    delivery = Delivery.objects.create(webhook=hook, url=URL, secret=hook.secret, event="create")
    target = path.format(hook=hook.id, delivery=delivery.id)
    for token, status in ((cast.guest, 401), (cast.owner, 403)):
        answer = api.request(method, target, json={"name": "x"}, token=token)
        assert answer.status_code == status, (token, answer.content)
        assert answer.json()["status"] == status
    assert Webhook.objects.get(id=hook.id).name == ""
    assert Delivery.objects.count() == 1


def test_create_shows_the_secret_once_then_only_a_hint(api: Any, cast: Cast) -> None:
    made = create(api, cast.superuser, name="crm sync")
    assert made.status_code == 200, made.content
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["secretHint"].endswith(hook["secret"][-4:])
    assert hook["collection"] == "_pb_users_auth_" and hook["enabled"] is True
    for answer in (
        api.get(f"/api/webhooks/{hook['id']}", token=cast.superuser),
        api.get("/api/webhooks", token=cast.superuser),
        api.patch(f"/api/webhooks/{hook['id']}", json={"enabled": False}, token=cast.superuser),
    ):
        assert answer.status_code == 200
        assert hook["secret"] not in answer.content.decode()
    assert api.get("/api/webhooks", token=cast.superuser).json()["totalItems"] == 1


def test_a_chosen_secret_is_kept(api: Any, cast: Cast) -> None:
    hook = create(api, cast.superuser, secret="my-own-secret-0123456789").json()
    assert Webhook.objects.get(id=hook["id"]).secret == "my-own-secret-0123456789"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["explode"]}, "events"),
        ({"events": "create"}, "events"),
        ({"collection": "nope"}, "collection"),
        ({"collection": 5}, "collection"),
        ({"enabled": "yes"}, "enabled"),
        ({"secret": "short"}, "secret"),
        ({"filter": "title ="}, "filter"),
        ({"filter": "nosuchfield = 1"}, "filter"),
        ({"collection": "*", "filter": "id != ''"}, "filter"),
        ({"collection": "posts", "events": ["auth.signin"]}, "events"),
    ],
)
def test_bad_input_is_a_field_error(
    api: Any, cast: Cast, make_collection: Any, body: dict, field: str
) -> None:
    make_collection(
        {"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}
    )
    answer = create(api, cast.superuser, **body)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["data"]
    assert Webhook.objects.count() == 0


def test_missing_fields_and_bad_bodies(api: Any, cast: Cast) -> None:
    answer = api.post("/api/webhooks", json={}, token=cast.superuser)
    assert answer.status_code == 400
    assert set(answer.json()["data"]) == {"collection", "events", "url"}
    assert api.post("/api/webhooks", json=[1], token=cast.superuser).status_code == 400


def test_unknown_ids_are_404(api: Any, cast: Cast) -> None:
    for method, path in (
        ("GET", "/api/webhooks/nope"),
        ("PATCH", "/api/webhooks/nope"),
        ("DELETE", "/api/webhooks/nope"),
        ("GET", "/api/webhooks/nope/deliveries"),
        ("POST", "/api/webhooks/deliveries/nope/replay"),
    ):
        assert api.request(method, path, json={}, token=cast.superuser).status_code == 404


def test_deleting_a_webhook_takes_its_log_along(api: Any, cast: Cast) -> None:
    hook = create(api, cast.superuser).json()
    Delivery.objects.create(webhook_id=hook["id"], url=URL, secret="s", event="create")
    assert api.delete(f"/api/webhooks/{hook['id']}", token=cast.superuser).status_code == 204
    assert Delivery.objects.count() == 0
