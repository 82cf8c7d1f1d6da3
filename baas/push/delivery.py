"""Sending a notification: one outcome row per device, each retried on its own.

Leasing, retries, the runners (the Celery task ``baas.push.deliver`` with Redis, a
thread pool and timers embedded, so the request that asked for the push never waits)
and resuming after a restart (the periodic ``baas.push.resume``) are
``baas.delivery``'s, as for webhooks; this module makes one platform call.
"""

from __future__ import annotations

from baas.delivery import queue
from baas.push import senders
from baas.push.models import Device, Outcome

BACKOFF_MAX = 3600.0


def _queue_policy() -> queue.Policy:
    conf = senders.config()
    return queue.Policy(conf.backoff, BACKOFF_MAX, conf.max_attempts, senders.TIMEOUT * 2 + 30)


def _send(outcome: Outcome, number: int) -> queue.Settled:
    """One attempt for one device; a dead token removes the device."""
    note = outcome.notification
    try:
        result = senders.SENDERS[outcome.platform](outcome.token, note.title, note.body, note.data)
    except senders.PushNotConfigured as exc:
        result = senders.Result(senders.FAILED, str(exc))
    fields = {"error": result.detail}
    if result.outcome == senders.SENT:
        return queue.Settled(Outcome.SENT, None, fields)
    if result.outcome == senders.DEAD:
        Device.objects.filter(id=outcome.device_id).delete()
        return queue.Settled(Outcome.REMOVED, None, fields)
    retry_in = _queue_policy().retry_in(number) if result.outcome == senders.RETRY else None
    return queue.Settled(Outcome.FAILED, retry_in, fields)


QUEUE = queue.Queue(
    "push", Outcome, "baas.push.deliver", _queue_policy, _send, related=("notification",)
)
