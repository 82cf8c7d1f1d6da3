"""A delivery waiting for its retry survives a restart of the server (and worker).

Embedded, the retry timer dies with the process: the periodic ``baas.webhooks.resume``
(run by the embedded scheduler) finds the overdue delivery in the log and sends it.
With Redis, the worker's warm shutdown hands the countdown task back to the broker
and the next worker runs it. Either way the receiver gets it once it is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests import services
from tests.webhooks.conftest import Receiver
from tests.webhooks.live import Stack, live_stack


@pytest.fixture
def short_stack(tmp_path: Path) -> Iterator[Stack]:
    with live_stack(tmp_path, BAAS_WEBHOOK_BACKOFF="2", BAAS_WEBHOOK_MAX_ATTEMPTS="5") as stack:
        yield stack


def test_a_pending_retry_is_sent_after_a_restart(
    db: None, short_stack: Stack, receiver: Receiver
) -> None:
    stack = short_stack
    stack.ok(
        "POST",
        "/api/collections",
        {"name": "notes", "type": "base", "fields": [{"name": "text", "type": "text"}]},
    )
    body = {"collection": "notes", "events": ["create"], "url": receiver.url}
    hook = stack.ok("POST", "/api/webhooks", body)
    record = stack.ok("POST", "/api/collections/notes/records", {"text": "survive"})
    [queued] = stack.deliveries(hook["id"])
    services.wait_until(lambda: stack.delivery(queued["id"])["attempts"] >= 1, 60, "a failure")
    stack.restart()
    receiver.up()
    # the embedded resume runs a minute after the start, for deliveries a minute overdue
    done = stack.wait_status(queued["id"], "delivered", timeout=240)
    *failed, last = done["log"]
    assert failed and all(a["statusCode"] is None for a in failed)
    assert last["statusCode"] == 200
    [got] = receiver.received
    assert orjson.loads(got.body)["data"]["record"]["id"] == record["id"]
