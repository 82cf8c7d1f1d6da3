"""Fixtures for the auth suite: a real SMTP sink, an API client that commits, helpers.

The request path queues emails with ``transaction.on_commit``; tests run inside a
transaction that never commits, so the client here runs those callbacks when each
request returns, as a real commit would, then waits for mail that embedded mode
delivers on a background thread.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import TestCase, override_settings

from baas.auth.tasks import drain
from tests.auth.smtp_sink import Mailbox, smtp_sink
from tests.conftest import ApiClient

_addresses = itertools.count(1)


class CommittingApiClient(ApiClient):
    def request(self, method: str, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = super().request(method, path, **kwargs)
        drain()  # mail delivered on a background thread (embedded mode) has gone out
        return response

    def from_ip(self, address: str) -> CommittingApiClient:
        self.client.defaults["REMOTE_ADDR"] = address
        return self


@pytest.fixture
def api(client: Any) -> CommittingApiClient:
    # Every test gets its own client address, so rate-limit counters never leak between tests.
    n = next(_addresses)
    client.defaults["REMOTE_ADDR"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    return CommittingApiClient(client)


@pytest.fixture(autouse=True)
def _own_rate_limits() -> Iterator[None]:
    """Each test counts from zero (a lockout in one test must not fail the next)."""
    # unique across runs too: with Redis the counters outlive the process
    with override_settings(BAAS_RATE_LIMIT_NAMESPACE=f"test-{uuid.uuid4().hex}"):
        yield


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    with smtp_sink() as box:
        yield box


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Iterator[Mailbox]:
    smtp_server.clear()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=smtp_server.port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    ):
        yield smtp_server


@pytest.fixture
def configure(api: ApiClient, superuser_token: str):
    """PATCH a collection's options/rules as the superuser."""

    def patch(collection: str, **data: Any) -> dict[str, Any]:
        response = api.patch(f"/api/collections/{collection}", json=data, token=superuser_token)
        assert response.status_code == 200, response.content
        return response.json()

    return patch
