"""Celery tasks of webhooks (ids in, STYLE §8)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


class DeliveryFailed(Exception):
    """An attempt failed and another is due after the backoff."""


@shared_task(bind=True, name="baas.webhooks.deliver", ignore_result=True, max_retries=None)
def deliver(self: Any, delivery_id: str) -> None:
    """One attempt; a failure is retried with the backoff that the delivery log records.

    The countdown is ours (``delivery.backoff``) rather than ``retry_backoff``'s, whose
    factor is whole seconds and whose jitter would make the log's ``retryIn`` a guess;
    the attempt limit is the delivery's (``BAAS_WEBHOOK_MAX_ATTEMPTS``), kept in its row.
    """
    from baas.webhooks.delivery import attempt

    retry_in = attempt(delivery_id)
    if retry_in is not None:
        raise self.retry(exc=DeliveryFailed(delivery_id), countdown=retry_in)


@shared_task(name="baas.webhooks.resume", ignore_result=True)
def resume() -> None:
    """Restart deliveries whose runner went away between two attempts."""
    from baas.webhooks.delivery import resume_due

    resume_due()
