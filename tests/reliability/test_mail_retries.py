"""SMTP down: auth mail is retried, not dropped (embedded: on the delivery thread;
production: by Celery), and a permanent refusal is not retried."""

from __future__ import annotations

import smtplib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from celery.exceptions import Retry
from django.test import override_settings

from baas.auth.tasks import drain, is_transient, send_auth_email
from tests.auth.smtp_sink import Mailbox
from tests.services import free_port


@dataclass
class FlakySink(Mailbox):
    """Answers ``reply`` to the first ``failures`` messages, then accepts."""

    failures: int = 0
    reply: str = "421 Service not available, try again later"
    attempts: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            return self.reply
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink() -> Iterator[FlakySink]:
    port = free_port()
    box = FlakySink(host="127.0.0.1", port=port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    box.controller = controller  # type: ignore[attr-defined]
    settings = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": box.host,
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 2,
        "BAAS_MAIL_RETRY_DELAYS": (0.3, 0.3, 0.3),
        "BAAS_RATE_LIMIT_NAMESPACE": f"test-{uuid.uuid4().hex}",
    }
    with override_settings(**settings):
        yield box
    drain()
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


def request_verification(api: Any) -> None:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):  # the mail is queued on commit
        response = api.post(
            "/api/collections/users/request-verification", json={"email": "owner@example.com"}
        )
    assert response.status_code == 204, response.content


def test_mail_waits_for_an_smtp_server_that_is_down(api: Any, cast: Any, sink: FlakySink) -> None:
    """Nothing listens at first: the delivery thread retries until the server is up."""
    starter = threading.Timer(0.4, sink.controller.start)  # type: ignore[attr-defined]
    starter.start()
    started = time.monotonic()
    request_verification(api)
    assert time.monotonic() - started < 1.5  # the answer never waits for the mail
    drain(10)
    starter.join()
    assert [m.subject for m in sink.to("owner@example.com")] != []


def test_a_temporary_refusal_is_retried(api: Any, cast: Any, sink: FlakySink) -> None:
    sink.failures = 2
    sink.controller.start()  # type: ignore[attr-defined]
    request_verification(api)
    drain(10)
    assert sink.attempts == 3
    assert len(sink.to("owner@example.com")) == 1


def test_a_permanent_refusal_is_not_retried(api: Any, cast: Any, sink: FlakySink) -> None:
    sink.failures, sink.reply = 5, "554 Transaction failed"
    sink.controller.start()  # type: ignore[attr-defined]
    request_verification(api)
    drain(10)
    assert sink.attempts == 1
    assert sink.to("owner@example.com") == []


def test_the_celery_task_retries_with_the_configured_delay(
    api: Any, cast: Any, sink: FlakySink
) -> None:
    """Run as a worker runs it (not inline): a transient failure schedules a retry with
    the first delay (Celery's ``Retry``); the retry itself is queued, not run here."""
    from baas.celery import app

    sink.failures = 1
    sink.controller.start()  # type: ignore[attr-defined]
    args = ("verification", "_pb_users_auth_", cast.owner_id, {})
    request = {"id": uuid.uuid4().hex, "args": args, "kwargs": {}, "retries": 0}
    send_auth_email.push_request(**request, is_eager=False, called_directly=False)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    broker, app.conf.broker_url = app.conf.broker_url, "memory://"
    try:
        with pytest.raises(Retry) as raised:
            send_auth_email.run(*args)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
        send_auth_email.pop_request()
    assert raised.value.when == 0.3
    assert sink.attempts == 1


@pytest.mark.parametrize(
    "exc, transient",
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (smtplib.SMTPServerDisconnected(), True),
        (smtplib.SMTPDataError(421, b"later"), True),
        (smtplib.SMTPDataError(554, b"no"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad"), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"unknown")}), False),
        (smtplib.SMTPNotSupportedError(), False),
    ],
)
def test_which_failures_are_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient
