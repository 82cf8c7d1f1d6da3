"""Celery tasks of push notifications (ids in, STYLE §8)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


class PushRetry(Exception):
    """A transient failure (network, 429, 5xx): another attempt follows the backoff."""


@shared_task(bind=True, name="baas.push.deliver", ignore_result=True, max_retries=None)
def deliver(self: Any, outcome_id: int) -> None:
    """One device's attempt; the attempt limit lives in the outcome row (``BAAS_PUSH_*``)."""
    from baas.push.delivery import attempt

    retry_in = attempt(outcome_id)
    if retry_in is not None:
        raise self.retry(exc=PushRetry(outcome_id), countdown=retry_in)


@shared_task(name="baas.push.resume", ignore_result=True)
def resume() -> None:
    """Restart device sends whose runner went away between two attempts."""
    from baas.push.delivery import resume_due

    resume_due()
