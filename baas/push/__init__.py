"""Push notifications: device tokens per user, FCM HTTP v1 and APNs senders via Celery.

``baas.push.send(user_id=..., topic=..., title=..., body=..., data=...)`` is the call
for hooks; ``/api/push/send`` is the same for superusers and API keys.
"""

from __future__ import annotations

from typing import Any


def send(
    *,
    user_id: str | None = None,
    topic: str | None = None,
    title: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
    collection_id: str | None = None,
) -> str:
    from baas.push.service import send as queue

    return queue(
        user_id=user_id,
        topic=topic,
        title=title,
        body=body,
        data=data,
        collection_id=collection_id,
    )
