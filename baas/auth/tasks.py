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
from typing import Any

from celery import shared_task
from django.db import transaction

log = logging.getLogger("baas.auth")
_deliveries: set[threading.Thread] = set()
_lock = threading.Lock()


@shared_task(name="baas.auth.send_auth_email", ignore_result=True)
def send_auth_email(
    kind: str, collection_id: str, record_id: str, extra: dict[str, Any] | None = None
) -> bool:
    """Send one auth email; ids in, the record is loaded fresh (STYLE §8)."""
    from baas.auth import mail, records

    found = records.load(collection_id, record_id)
    if found is None:
        return False
    collection, record = found
    try:
        mail.send(collection, record, kind, extra or {})
    except Exception:  # an unreachable SMTP server must not fail the request (wire-api §4.2)
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
        outgoing.deliver()
    except Exception:
        log.exception("sending the %s email to %s failed", kind, outgoing.to)
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
