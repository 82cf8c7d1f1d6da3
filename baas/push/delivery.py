"""Sending a notification: one outcome row per device, each retried on its own.

With Redis the Celery task ``baas.push.deliver`` makes each attempt and retries with
``self.retry(countdown=…)``; embedded (tasks eager) a small thread pool makes them and
a timer waits out the backoff, so the request that asked for the push never waits.
As for webhooks, the row says when the next attempt is due, and the periodic
``baas.push.resume`` task restarts outcomes whose runner went away (a restart).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from baas.push import senders
from baas.push.models import Device, Outcome

log = logging.getLogger("baas.push")
EMBEDDED_THREADS = 4


def backoff(attempt: int) -> float:
    return float(min(3600.0, senders.config().backoff * 2 ** (attempt - 1)))


def attempt(outcome_id: int) -> float | None:
    """One attempt for one device; seconds until the next attempt, or None when settled."""
    outcome = _claim(outcome_id)
    if outcome is None:
        return None
    note = outcome.notification
    number = outcome.attempts + 1
    try:
        result = senders.SENDERS[outcome.platform](outcome.token, note.title, note.body, note.data)
    except senders.PushNotConfigured as exc:
        result = senders.Result(senders.FAILED, str(exc))
    status, retry_in = Outcome.FAILED, None
    if result.outcome == senders.SENT:
        status = Outcome.SENT
    elif result.outcome == senders.DEAD:
        status = Outcome.REMOVED
        Device.objects.filter(id=outcome.device_id).delete()
    elif result.outcome == senders.RETRY and number < senders.config().max_attempts:
        status, retry_in = Outcome.PENDING, backoff(number)
    due = timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None
    Outcome.objects.filter(id=outcome.id).update(
        status=status, attempts=number, error=result.detail, next_attempt_at=due, locked_until=None
    )
    return retry_in


def _claim(outcome_id: int) -> Outcome | None:
    """Take the outcome for one attempt (another runner leaves a claimed one alone)."""
    now = timezone.now()
    lease = now + timedelta(seconds=senders.TIMEOUT * 2 + 30)
    free = Outcome.objects.filter(id=outcome_id, status=Outcome.PENDING).exclude(
        locked_until__gt=now
    )
    if not free.update(locked_until=lease):
        return None
    return Outcome.objects.select_related("notification").filter(id=outcome_id).first()


def resume_due(grace: float = 60.0) -> list[int]:
    """Dispatch pending outcomes overdue by ``grace`` seconds (their runner went away)."""
    now = timezone.now()
    overdue = Outcome.objects.filter(
        status=Outcome.PENDING, next_attempt_at__lt=now - timedelta(seconds=grace)
    ).exclude(locked_until__gt=now)
    ids = list(overdue.values_list("id", flat=True)[:500])
    for outcome_id in ids:
        dispatch(outcome_id)
    return ids


_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def dispatch(outcome_id: int, countdown: float = 0.0) -> None:
    from baas.celery import app
    from baas.push.tasks import deliver

    if not app.conf.task_always_eager:
        deliver.apply_async((outcome_id,), countdown=countdown or None)
    elif countdown > 0:
        timer = threading.Timer(countdown, _submit, (outcome_id,))
        timer.daemon = True
        timer.start()
    else:
        _submit(outcome_id)


def _submit(outcome_id: int) -> None:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(EMBEDDED_THREADS, thread_name_prefix="baas-push")
        pool = _pool
    pool.submit(_run_embedded, outcome_id)


def _run_embedded(outcome_id: int) -> None:
    close_old_connections()
    try:
        retry_in = attempt(outcome_id)
    except Exception:
        log.exception("push outcome %s failed", outcome_id)
        return
    finally:
        close_old_connections()
    if retry_in is not None:
        dispatch(outcome_id, retry_in)
