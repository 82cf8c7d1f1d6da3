"""Celery tasks of push notifications (ids in, STYLE §8); the mechanism is ``baas.delivery``'s."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, name="baas.push.deliver", ignore_result=True, max_retries=None)
def deliver(self: Any, outcome_id: int) -> None:
    """One device's attempt; the attempt limit lives in the policy (``BAAS_PUSH_*``)."""
    from baas.push.delivery import QUEUE

    QUEUE.run_task(self, outcome_id)


@shared_task(name="baas.push.resume", ignore_result=True)
def resume() -> None:
    """Restart device sends whose runner went away between two attempts."""
    from baas.push.delivery import QUEUE

    QUEUE.resume_due()
