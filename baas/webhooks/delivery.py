"""Deliveries: one signed POST, retried with exponential backoff, every attempt logged.

``enqueue_delivery`` records a ``Delivery`` row and hands its id to the background
runner after the transaction commits; it never waits for the receiver. With Redis the
runner is the Celery task ``baas.webhooks.deliver`` (retries through ``self.retry``
with the countdown below). Embedded (tasks eager) an in-process thread pool makes the
attempts and a timer waits out the backoff, so a retry still comes later, not at once
as an eager Celery retry would. The row is the truth in both modes: ``next_attempt_at``
says when the next attempt is due, and the periodic ``baas.webhooks.resume`` task
restarts deliveries whose runner went away (a restart between two attempts).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from baas.config import WebhookConfig
from baas.webhooks import signing
from baas.webhooks.models import Attempt, Delivery

log = logging.getLogger("baas.webhooks")

USER_AGENT = "baas-webhooks/1"
EXCERPT = 1000  # characters of the receiver's answer kept in the log
EMBEDDED_THREADS = 4  # attempts in flight at once in an embedded process


def policy() -> WebhookConfig:
    found = getattr(settings, "BAAS_WEBHOOKS", None)
    return found if isinstance(found, WebhookConfig) else WebhookConfig()


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …): base·2^(n-1)."""
    conf = policy()
    return float(min(conf.backoff_max, conf.backoff * 2 ** (attempt - 1)))


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
    transaction.on_commit(lambda: dispatch(delivery.id), robust=True)
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


def attempt(delivery_id: str) -> float | None:
    """Make one attempt if the delivery is due and free; seconds until the next, or None."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    number = delivery.attempts + 1
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
    retry_in = None if ok or number >= policy().max_attempts else backoff(number)
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
    _settle(delivery, number, ok, retry_in)
    return retry_in


def _claim(delivery_id: str) -> Delivery | None:
    now = timezone.now()
    lease = now + timedelta(seconds=policy().timeout + 30)
    free = Delivery.objects.filter(id=delivery_id, status=Delivery.PENDING).exclude(
        locked_until__gt=now
    )
    if not free.update(locked_until=lease):
        return None
    return Delivery.objects.filter(id=delivery_id).select_related("webhook").first()


def _post(delivery: Delivery, body: bytes) -> tuple[int | None, str, str]:
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


def _settle(delivery: Delivery, number: int, ok: bool, retry_in: float | None) -> None:
    status = (
        Delivery.DELIVERED if ok else Delivery.PENDING if retry_in is not None else Delivery.FAILED
    )
    due: datetime | None = None
    if retry_in is not None:
        due = timezone.now() + timedelta(seconds=retry_in)
    Delivery.objects.filter(id=delivery.id).update(
        attempts=number, status=status, next_attempt_at=due, locked_until=None
    )


# --- the runner: Celery with Redis, a thread pool embedded ----------------------------------

_pool: ThreadPoolExecutor | None = None
_timers: set[threading.Timer] = set()
_pool_lock = threading.Lock()


def dispatch(delivery_id: str, countdown: float = 0.0) -> None:
    """Hand a delivery to the runner (Celery, or this process's pool when eager)."""
    from baas.celery import app
    from baas.webhooks.tasks import deliver

    if not app.conf.task_always_eager:
        deliver.apply_async((delivery_id,), countdown=countdown or None)
        return
    if countdown > 0:
        timer = threading.Timer(countdown, _submit, (delivery_id,))
        timer.daemon = True
        with _pool_lock:
            _timers.add(timer)
        timer.start()
        return
    _submit(delivery_id)


def _submit(delivery_id: str) -> None:
    global _pool
    with _pool_lock:
        _timers.discard(threading.current_thread())  # type: ignore[arg-type]
        if _pool is None:
            workers = EMBEDDED_THREADS
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="baas-webhook")
        pool = _pool
    pool.submit(_run_embedded, delivery_id)


def _run_embedded(delivery_id: str) -> None:
    close_old_connections()
    try:
        retry_in = attempt(delivery_id)
    except Exception:  # a broken row must not kill the pool thread
        log.exception("webhook delivery %s failed", delivery_id)
        return
    finally:
        close_old_connections()
    if retry_in is not None:
        dispatch(delivery_id, retry_in)


def resume_due(grace: float = 60.0) -> list[str]:
    """Dispatch pending deliveries overdue by ``grace`` seconds (their runner went away)."""
    now = timezone.now()
    overdue = Delivery.objects.filter(
        status=Delivery.PENDING, next_attempt_at__lt=now - timedelta(seconds=grace)
    ).exclude(locked_until__gt=now)
    ids = list(overdue.values_list("id", flat=True)[:500])
    for delivery_id in ids:
        dispatch(delivery_id)
    return ids


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
