"""The production deployment test (``make test-deploy``, its own CI step)."""

from __future__ import annotations

import pytest

from tests.sdk.conftest import node_modules  # noqa: F401 - the SDK's npm packages, once per run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deploy: the production set-up of deploy/ (nginx, N baas serve, Celery)"
    )
