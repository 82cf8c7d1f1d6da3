"""A live baas prunes its old webhook deliveries and push notifications by itself: the
embedded scheduler of ``baas serve`` on SQLite, Celery beat of ``baas worker`` on
PostgreSQL (its own Redis), both through the ``baas.jobs.tick`` beat entry.

The rows are made through the API, then aged in the database (nothing else can set
``created``); a restart starts new processes, whose first tick prunes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import services
from tests.webhooks.conftest import Receiver
from tests.webhooks.live import Stack, live_stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with live_stack(tmp_path) as found:
        yield found


def age(stack: Stack, table: str, row_id: str, days: int) -> None:
    """Set ``created`` ``days`` back in the live server's own database."""
    moment = datetime.now(UTC) - timedelta(days=days)
    sql = f'UPDATE "{table}" SET created = %s WHERE id = %s'
    url = stack.server.env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            assert connection.execute(sql, (moment, row_id)).rowcount == 1
        return
    stored = moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # Django's text form on SQLite
    with closing(sqlite3.connect(stack.server.data_dir / "data.db")) as connection, connection:
        assert connection.execute(sql.replace("%s", "?"), (stored, row_id)).rowcount == 1


def gone(stack: Stack, path: str) -> bool:
    return stack.call("GET", path).status_code == 404


def test_old_deliveries_and_notifications_are_pruned_by_the_tick(
    db: None, stack: Stack, receiver: Receiver
) -> None:
    receiver.up()
    body = {"collection": "*", "events": ["create"], "url": receiver.url}
    hook = stack.ok("POST", "/api/webhooks", body)
    old, recent = (stack.ok("POST", f"/api/webhooks/{hook['id']}/test")["delivery"] for _ in "ab")
    for delivery_id in (old, recent):
        stack.wait_status(delivery_id, "delivered")
    user = {"email": "u@example.com", "password": "password123", "passwordConfirm": "password123"}
    user_id = stack.ok("POST", "/api/collections/users/records", user)["id"]
    note = stack.ok("POST", "/api/push/send", {"user": user_id, "title": "t"})["id"]
    age(stack, "_webhookDeliveries", old, 31)
    age(stack, "_pushNotifications", note, 31)
    stack.restart()
    services.wait_until(
        lambda: (
            gone(stack, f"/api/webhooks/deliveries/{old}")
            and gone(stack, f"/api/push/notifications/{note}")
        ),
        120,
        "the first tick's prune",
        interval=1,
    )
    assert stack.delivery(recent)["status"] == "delivered"
