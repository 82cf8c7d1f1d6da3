"""Deliveries: one signed POST, retried with exponential backoff, every attempt logged.

``enqueue_delivery`` records a ``Delivery`` row and hands its id to the background
runner after the transaction commits; it never waits for the receiver. Leasing,
retries, the runners (the Celery task ``baas.webhooks.deliver`` with Redis, a thread
pool and timers embedded) and resuming after a restart (the periodic
``baas.webhooks.resume``) are ``baas.delivery``'s; this module makes one attempt.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from baas.config import WebhookConfig
from baas.delivery import queue
from baas.webhooks import signing
from baas.webhooks.models import Attempt, Delivery

USER_AGENT = "baas-webhooks/1"
EXCERPT = 1000  # characters of the receiver's answer kept in the log


def policy() -> WebhookConfig:
    found = getattr(settings, "BAAS_WEBHOOKS", None)
    return found if isinstance(found, WebhookConfig) else WebhookConfig()


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …): base·2^(n-1)."""
    conf = policy()
    return queue.backoff(attempt, conf.backoff, conf.backoff_max)


def enqueue_delivery(
    url: str, secret: str, event: str, payload: dict, webhook_id: str | None = None
) -> str:
    """Record a delivery and queue it (after commit); its id. Never blocks on the receiver."""
    delivery = Delivery.objects.create(
        webhook_id=webhook_id,
        url=url,
        secret=secret,
        event=event,
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: QUEUE.dispatch(delivery.id), robust=True)
    return delivery.id


def replay(delivery: Delivery) -> str:
    """A new delivery of the same event and payload (the webhook's current URL/secret)."""
    url, secret = delivery.url, delivery.secret
    if delivery.webhook is not None:
        url, secret = delivery.webhook.url, delivery.webhook.secret
    new_id = enqueue_delivery(url, secret, delivery.event, delivery.payload, delivery.webhook_id)
    Delivery.objects.filter(id=new_id).update(replay_of=delivery.id)
    return new_id


# --- one attempt -------------------------------------------------------------------------


def _queue_policy() -> queue.Policy:
    conf = policy()
    return queue.Policy(conf.backoff, conf.backoff_max, conf.max_attempts, conf.timeout + 30)


def _send(delivery: Delivery, number: int) -> queue.Settled:
    """POST the delivery (attempt ``number``) and log the attempt."""
    body = orjson.dumps(
        {
            "id": delivery.id,
            "event": delivery.event,
            "created": wire(delivery.created),
            "data": delivery.payload,
        }
    )
    started = timezone.now()
    clock = time.monotonic()
    status_code, error, excerpt = _post(delivery, body)
    duration_ms = int((time.monotonic() - clock) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    retry_in = None if ok else _queue_policy().retry_in(number)
    Attempt.objects.create(
        delivery=delivery,
        number=number,
        started=started,
        duration_ms=duration_ms,
        status_code=status_code,
        error=error,
        response=excerpt,
        retry_in=retry_in,
    )
    return queue.Settled(Delivery.DELIVERED if ok else Delivery.FAILED, retry_in)


def _post(delivery: Delivery, body: bytes) -> tuple[int | None, str, str]:
    import httpx  # with the first delivery: httpx and the rich/click it loads, 2 MB a process

    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Baas-Event": delivery.event,
        "X-Baas-Delivery": delivery.id,
        signing.HEADER: signing.sign(delivery.secret, body),
    }
    try:
        with httpx.Client(timeout=policy().timeout) as client:
            answer = client.post(delivery.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:EXCERPT], ""
    return answer.status_code, "", answer.text[:EXCERPT]


QUEUE = queue.Queue(
    "webhooks", Delivery, "baas.webhooks.deliver", _queue_policy, _send, related=("webhook",)
)


def describe(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook": delivery.webhook_id or "",
        "url": delivery.url,
        "event": delivery.event,
        "payload": delivery.payload,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": wire(delivery.next_attempt_at),
        "replayOf": delivery.replay_of,
        "created": wire(delivery.created),
        "updated": wire(delivery.updated),
        "log": [
            {
                "attempt": a.number,
                "started": wire(a.started),
                "durationMs": a.duration_ms,
                "statusCode": a.status_code,
                "error": a.error,
                "response": a.response,
                "retryIn": a.retry_in,
            }
            for a in delivery.attempt_log.all()
        ],
    }


def wire(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z" if value else ""
