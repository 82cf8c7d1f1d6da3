"""Devices and sends: what the API and hooks call."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from baas.api.errors import ValidationFailed, field_error
from baas.push.models import PLATFORMS, Device, Notification, Outcome


def check_device(data: dict[str, Any]) -> tuple[str, str, list[str]]:
    errors: dict[str, Any] = {}
    platform, token, topics = data.get("platform"), data.get("token"), data.get("topics", [])
    if platform not in PLATFORMS:
        errors["platform"] = field_error("validation_invalid_value", "Must be fcm or apns.")
    if not isinstance(token, str) or not 1 <= len(token.strip()) <= 4096:
        errors["token"] = field_error("validation_required", "A device token is required.")
    if not isinstance(topics, list) or not all(_topic_ok(t) for t in topics):
        errors["topics"] = field_error(
            "validation_invalid_value", "Must be a list of topic names (1-200 characters)."
        )
    if errors:
        raise ValidationFailed(data=errors)
    return str(platform), str(token).strip(), list(dict.fromkeys(topics))


def _topic_ok(topic: Any) -> bool:
    return isinstance(topic, str) and 1 <= len(topic) <= 200


def register(collection_id: str, user_id: str, data: dict[str, Any]) -> Device:
    """Save the device for this user; a token seen before moves to them (a new sign-in)."""
    platform, token, topics = check_device(data)
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
        if device is None:
            device = Device(platform=platform, token=token)
        device.collection_id, device.user_id, device.topics = collection_id, user_id, topics
        device.save()
    return device


def send(
    *,
    user_id: str | None = None,
    topic: str | None = None,
    title: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
    collection_id: str | None = None,
) -> str:
    """Queue a notification to a user's devices or a topic's; the notification id.

    For hooks: ``baas.push.send(user_id=..., title=..., body=...)``. Returns at once;
    the platforms are called in the background, dead tokens removed as they answer.
    """
    if bool(user_id) == bool(topic):
        raise ValueError("send: give exactly one of user_id or topic")
    devices = Device.objects.all()
    if user_id:
        devices = devices.filter(user_id=user_id)
        if collection_id:
            devices = devices.filter(collection_id=collection_id)
    else:
        devices = [d for d in devices.filter(~Q(topics=[])) if topic in d.topics]  # type: ignore[assignment]
    now = timezone.now()
    with transaction.atomic():
        note = Notification.objects.create(
            user_id=user_id or "", topic=topic or "", title=title, body=body, data=data or {}
        )
        outcomes = Outcome.objects.bulk_create(
            Outcome(
                notification=note,
                device_id=d.id,
                platform=d.platform,
                token=d.token,
                next_attempt_at=now,
            )
            for d in devices
        )
        ids = [o.id for o in Outcome.objects.filter(notification=note)] if outcomes else []
        transaction.on_commit(lambda: _dispatch_all(ids), robust=True)
    return note.id


def _dispatch_all(ids: list[int]) -> None:
    from baas.push.delivery import QUEUE

    for outcome_id in ids:
        QUEUE.dispatch(outcome_id)


def describe_device(device: Device) -> dict[str, Any]:
    from baas.webhooks.delivery import wire

    return {
        "id": device.id,
        "platform": device.platform,
        "token": device.token,
        "topics": device.topics,
        "created": wire(device.created),
        "updated": wire(device.updated),
    }


def describe_notification(note: Notification) -> dict[str, Any]:
    from baas.webhooks.delivery import wire

    return {
        "id": note.id,
        "user": note.user_id,
        "topic": note.topic,
        "title": note.title,
        "body": note.body,
        "data": note.data,
        "created": wire(note.created),
        "devices": [
            {
                "device": o.device_id,
                "platform": o.platform,
                "status": o.status,
                "attempts": o.attempts,
                "error": o.error,
            }
            for o in note.outcomes.all()
        ],
    }
