"""baas.db.postgresql: the health check's ``SELECT 1`` is skipped on a connection used
less than ``RECHECK_AFTER`` seconds ago, made on one that sat idle longer, and a
connection PostgreSQL dropped is replaced. Runs against the machine's PostgreSQL
whichever database the suite uses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings

from baas.db.postgresql import base

URL = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ["DATABASE_URL"]


def _settings() -> dict[str, Any]:
    import environ

    db = environ.Env.db_url_config(URL or "postgresql://postgres@127.0.0.1:5432/test")
    db.update(
        ENGINE="baas.db.postgresql",
        CONN_MAX_AGE=600,
        CONN_HEALTH_CHECKS=True,
        AUTOCOMMIT=True,
        ATOMIC_REQUESTS=False,
        OPTIONS={"connect_timeout": 5},
        TIME_ZONE=None,
        TEST={},
    )
    return db


@pytest.fixture
def wrapper(django_db_blocker: Any) -> Iterator[base.DatabaseWrapper]:
    """Its own connection to the machine's PostgreSQL, outside the test database."""
    assert settings.configured
    connection = base.DatabaseWrapper(_settings(), alias="pg_health_check")
    checks: list[int] = []
    original = connection.is_usable

    def counted() -> bool:
        checks.append(1)
        return original()

    connection.is_usable = counted  # type: ignore[method-assign]
    connection.checks = checks  # type: ignore[attr-defined]
    with django_db_blocker.unblock():
        try:
            yield connection
        finally:
            connection.close()


def _request(connection: base.DatabaseWrapper) -> int:
    """What Django does around a request: the housekeeping, then the request's queries."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 + 1")
        return int(cursor.fetchone()[0])


def _used_then_dropped(connection: base.DatabaseWrapper) -> int:
    """Serve a request, then have PostgreSQL end that connection's backend; its pid."""
    assert _request(connection) == 2
    pid = int(connection.connection.info.backend_pid)
    with psycopg.connect(
        URL or "postgresql://postgres@127.0.0.1:5432/test", autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    return pid


def test_a_busy_connection_is_not_checked_an_idle_one_is(
    wrapper: base.DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = wrapper.checks  # type: ignore[attr-defined]
    assert _request(wrapper) == 2  # connects (a new connection needs no check)
    assert _request(wrapper) == 2
    assert checks == []  # used a moment ago: no round trip
    monkeypatch.setattr(base, "RECHECK_AFTER", 0.0)  # as if idle for longer
    assert _request(wrapper) == 2
    assert checks == [1]


def test_a_dropped_idle_connection_is_replaced(
    wrapper: base.DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _used_then_dropped(wrapper)
    monkeypatch.setattr(base, "RECHECK_AFTER", 0.0)
    assert _request(wrapper) == 2  # the check failed, Django reconnected, the query ran
    assert wrapper.connection.info.backend_pid != pid


def test_a_connection_psycopg_marked_broken_is_checked(wrapper: base.DatabaseWrapper) -> None:
    from django.db import OperationalError

    pid = _used_then_dropped(wrapper)
    # used a moment ago, so the next query is not checked and fails once...
    with pytest.raises(OperationalError):
        _request(wrapper)
    assert wrapper.connection.broken
    # ...then the broken connection is checked, closed and replaced
    assert _request(wrapper) == 2
    assert wrapper.connection.info.backend_pid != pid
