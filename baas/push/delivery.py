"""Sending a notification: one outcome row per device, each retried on its own.

With Redis the Celery task ``baas.push.deliver`` makes each attempt and retries with
``self.retry(countdown=…)``; embedded (tasks eager) a small thread pool makes them and
a timer waits out the backoff, so the request that asked for the push never waits.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from baas.push import senders
from baas.push.models import Device, Outcome

log = logging.getLogger("baas.push")
EMBEDDED_THREADS = 4


def backoff(attempt: int) -> float:
    return float(min(3600.0, senders.config().backoff * 2 ** (attempt - 1)))


def attempt(outcome_id: int) -> float | None:
    """One attempt for one device; seconds until the next attempt, or None when settled."""
    outcome = Outcome.objects.filter(id=outcome_id, status=Outcome.PENDING).first()
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
    Outcome.objects.filter(id=outcome.id).update(
        status=status, attempts=number, error=result.detail
    )
    return retry_in


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
