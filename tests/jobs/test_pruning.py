"""Old webhook deliveries and push notifications are pruned by the jobs tick, as the
settings' ``webhooks.maxDays`` and ``push.maxDays`` say; pending ones always stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from baas.jobs import pruning
from baas.jobs.tasks import tick
from baas.push.models import Notification, Outcome
from baas.settings_api import service as settings_service
from baas.webhooks.models import Attempt, Delivery, Webhook

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    settings_service.forget()
    pruning.forget()
    yield
    settings_service.forget()
    pruning.forget()


def delivery(days: int, status: str) -> Delivery:
    made = Delivery.objects.create(url=URL, secret="s", event="create", status=status)
    Attempt.objects.create(delivery=made, number=1, started=timezone.now())
    Delivery.objects.filter(id=made.id).update(created=timezone.now() - timedelta(days=days))
    return made


def notification(days: int, *statuses: str) -> Notification:
    note = Notification.objects.create(user_id="u", title="t")
    for index, status in enumerate(statuses):
        Outcome.objects.create(
            notification=note, device_id=f"d{index}", platform="fcm", token="t", status=status
        )
    Notification.objects.filter(id=note.id).update(created=timezone.now() - timedelta(days=days))
    return note


def left(model: Any, made: list[Any]) -> list[Any]:
    kept = set(model.objects.values_list("id", flat=True))
    return [m.id for m in made if m.id in kept]


def test_settled_deliveries_older_than_30_days_go_with_their_attempts() -> None:
    made = [
        delivery(31, Delivery.DELIVERED),
        delivery(45, Delivery.FAILED),
        delivery(90, Delivery.PENDING),  # still to deliver: at least once comes first
        delivery(29, Delivery.DELIVERED),
        delivery(0, Delivery.FAILED),
    ]
    assert pruning.prune() == {"webhooks": 2, "push": 0}
    assert left(Delivery, made) == [m.id for m in made[2:]]
    assert Attempt.objects.count() == 3


def test_notifications_go_once_no_device_is_pending() -> None:
    made = [
        notification(31, Outcome.SENT, Outcome.REMOVED),
        notification(31),  # nobody had a device
        notification(31, Outcome.SENT, Outcome.PENDING),
        notification(10, Outcome.FAILED),
    ]
    assert pruning.prune() == {"webhooks": 0, "push": 2}
    assert left(Notification, made) == [m.id for m in made[2:]]
    assert sorted(Outcome.objects.values_list("status", flat=True)) == ["failed", "pending", "sent"]


def test_the_settings_choose_the_days_and_0_keeps_everything(
    api: Any, superuser_token: str
) -> None:
    old = [delivery(3, Delivery.DELIVERED), notification(3, Outcome.SENT)]
    answer = api.patch(
        "/api/settings",
        json={"webhooks": {"maxDays": 0}, "push": {"maxDays": 0}},
        token=superuser_token,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["webhooks"] == {"maxDays": 0}
    assert pruning.prune() == {"webhooks": 0, "push": 0}
    api.patch(
        "/api/settings",
        json={"webhooks": {"maxDays": 2}, "push": {"maxDays": 2}},
        token=superuser_token,
    )
    assert pruning.prune() == {"webhooks": 1, "push": 1}
    assert left(Delivery, old[:1]) == [] and left(Notification, old[1:]) == []


@pytest.mark.parametrize("section", ["webhooks", "push"])
def test_negative_days_are_a_field_error(api: Any, superuser_token: str, section: str) -> None:
    answer = api.patch("/api/settings", json={section: {"maxDays": -1}}, token=superuser_token)
    assert answer.status_code == 400
    assert answer.json()["data"][section]["maxDays"]["code"] == (
        "validation_min_greater_equal_than_required"
    )
    bad_type = api.patch("/api/settings", json={section: {"maxDays": "30"}}, token=superuser_token)
    assert bad_type.status_code == 400


def test_the_jobs_tick_prunes_once_an_hour_per_process() -> None:
    hook = Webhook.objects.create(collection="*", events=["create"], url=URL)
    first = delivery(40, Delivery.DELIVERED)
    Delivery.objects.filter(id=first.id).update(webhook=hook)
    tick.apply()
    assert not Delivery.objects.filter(id=first.id).exists()
    second = delivery(40, Delivery.DELIVERED)
    tick.apply()  # within the hour: left for the next prune
    assert Delivery.objects.filter(id=second.id).exists()
    clock = [0.0]
    pruning.forget()
    assert pruning.prune_if_due(lambda: clock[0]) == {"webhooks": 1, "push": 0}
    third = delivery(40, Delivery.FAILED)
    clock[0] = pruning.EVERY - 1
    assert pruning.prune_if_due(lambda: clock[0]) is None
    clock[0] = pruning.EVERY
    assert pruning.prune_if_due(lambda: clock[0]) == {"webhooks": 1, "push": 0}
    assert not Delivery.objects.filter(id=third.id).exists()
