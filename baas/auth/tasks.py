"""Background work of the auth flows (Celery in production; a thread when embedded).

Embedded mode has no worker: Celery runs tasks eagerly, inside the request. For auth
mail that would put the SMTP round trip into the response time of
request-verification / request-password-reset / request-otp, and so tell a caller
which addresses have accounts. So when tasks are eager the mail is composed in the
request (a database read) and delivered on a background thread.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import Any

from celery import shared_task
from django.db import transaction

log = logging.getLogger("baas.auth")
_deliveries: set[threading.Thread] = set()
_lock = threading.Lock()


# Fix (baas.backups' outage tests, SMTP down): a failed delivery was logged and the
# mail dropped. A *transient* failure (no connection, timeout, a 4xx answer) is now
# retried after these delays (seconds; ``settings.BAAS_MAIL_RETRY_DELAYS``), by Celery
# in production and on the delivery thread when embedded. A 5xx answer is final.
MAIL_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0)


def retry_delays() -> tuple[float, ...]:
    from django.conf import settings

    return tuple(getattr(settings, "BAAS_MAIL_RETRY_DELAYS", MAIL_RETRY_DELAYS))


def is_transient(exc: BaseException) -> bool:
    import smtplib

    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # no connection, a timeout (smtplib's own errors are OSErrors too: those are final)
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


@shared_task(bind=True, name="baas.auth.send_auth_email", ignore_result=True, max_retries=None)
def send_auth_email(
    self: Any, kind: str, collection_id: str, record_id: str, extra: dict[str, Any] | None = None
) -> bool:
    """Send one auth email; ids in, the record is loaded fresh (STYLE §8)."""
    from baas.auth import mail, records

    found = records.load(collection_id, record_id)
    if found is None:
        return False
    collection, record = found
    try:
        mail.send(collection, record, kind, extra or {})
    except Exception as exc:  # an unreachable SMTP server must not fail the request (wire-api §4.2)
        delays = retry_delays()
        # Not when run inline (``.apply()``: request-email-change answers from the result).
        retrying = not self.request.is_eager and self.request.retries < len(delays)
        if retrying and is_transient(exc):
            log.warning(
                "sending the %s email for %s/%s failed (%s); retrying",
                kind,
                collection_id,
                record_id,
                exc,
            )
            raise self.retry(exc=exc, countdown=delays[self.request.retries]) from None
        log.exception("sending the %s email for %s/%s failed", kind, collection_id, record_id)
        return False
    return True


def queue_auth_email(
    kind: str, collection_id: str, record_id: str, extra: dict[str, Any] | None = None
) -> None:
    # robust: a broker that is down is logged, never a 500 for a write already committed
    transaction.on_commit(
        lambda: _dispatch(kind, collection_id, record_id, extra or {}), robust=True
    )


def _dispatch(kind: str, collection_id: str, record_id: str, extra: dict[str, Any]) -> None:
    from baas.celery import app

    if not app.conf.task_always_eager:
        send_auth_email.delay(kind, collection_id, record_id, extra)
        return
    from baas.auth import mail, records

    found = records.load(collection_id, record_id)
    if found is None:
        return
    outgoing = mail.compose(found[0], found[1], kind, extra)
    thread = threading.Thread(
        target=_deliver, args=(outgoing, kind), name="baas-auth-mail", daemon=True
    )
    with _lock:
        _deliveries.add(thread)
    thread.start()


def _deliver(outgoing: Any, kind: str) -> None:
    try:
        for attempt, delay in enumerate((*retry_delays(), None)):
            try:
                outgoing.deliver()
                return
            except Exception as exc:
                if delay is None or not is_transient(exc):
                    log.exception("sending the %s email to %s failed", kind, outgoing.to)
                    return
                log.warning(
                    "sending the %s email failed (%s); retry %d in %ss",
                    kind,
                    exc,
                    attempt + 1,
                    delay,
                )
                time.sleep(delay)
    finally:
        with _lock:
            _deliveries.discard(threading.current_thread())


def drain(timeout: float = 10.0) -> None:
    """Wait for mail still being delivered on threads (shutdown, tests)."""
    with _lock:
        pending = list(_deliveries)
    for thread in pending:
        thread.join(timeout)


atexit.register(drain, 5.0)  # a mail handed to a thread just before shutdown still goes out
