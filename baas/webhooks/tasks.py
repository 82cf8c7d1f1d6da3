"""Celery tasks of webhooks (ids in, STYLE §8); the mechanism is ``baas.delivery``'s."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, name="baas.webhooks.deliver", ignore_result=True, max_retries=None)
def deliver(self: Any, delivery_id: str) -> None:
    """One attempt; a failure is retried with the backoff that the delivery log records
    (``BAAS_WEBHOOK_*``; the attempt limit is ``BAAS_WEBHOOK_MAX_ATTEMPTS``)."""
    from baas.webhooks.delivery import QUEUE

    QUEUE.run_task(self, delivery_id)


@shared_task(name="baas.webhooks.resume", ignore_result=True)
def resume() -> None:
    """Restart deliveries whose runner went away between two attempts."""
    from baas.webhooks.delivery import QUEUE

    QUEUE.resume_due()
