"""The fixed cast for API tests (STYLE §10): superuser, owner, other user, guest.

Loaded for the whole suite from tests/conftest.py (``pytest_plugins``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings

from baas.auth.superusers import upsert_superuser

PASSWORD = "password123"


@dataclass
class Cast:
    superuser: str
    owner: str
    other: str
    owner_id: str
    other_id: str
    guest: None = None


def sign_in(api: Any, collection: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = api.post(
        f"/api/collections/{collection}/auth-with-password",
        json={"identity": email, "password": password},
    )
    assert response.status_code == 200, response.content
    return response.json()


def make_user(api: Any, email: str, token: str, **extra: Any) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    response = api.post("/api/collections/users/records", json=body, token=token)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture(autouse=True)
def _rate_limits_per_test() -> Iterator[None]:
    """Every test counts auth attempts from zero: the cast signs in on every test, and
    with Redis the counters outlive the process (a namespace unique across runs too)."""
    with override_settings(BAAS_RATE_LIMIT_NAMESPACE=f"test-{uuid.uuid4().hex}"):
        yield


@pytest.fixture
def superuser_token(db: None, api: Any) -> str:
    upsert_superuser("root@example.com", PASSWORD)
    return sign_in(api, "_superusers", "root@example.com")["token"]


@pytest.fixture
def cast(superuser_token: str, api: Any) -> Cast:
    owner = make_user(api, "owner@example.com", superuser_token)
    other = make_user(api, "other@example.com", superuser_token)
    return Cast(
        superuser=superuser_token,
        owner=sign_in(api, "users", "owner@example.com")["token"],
        other=sign_in(api, "users", "other@example.com")["token"],
        owner_id=owner["id"],
        other_id=other["id"],
    )


@pytest.fixture
def make_collection(api: Any, superuser_token: str):
    def make(data: dict[str, Any]) -> dict[str, Any]:
        response = api.post("/api/collections", json=data, token=superuser_token)
        assert response.status_code == 200, response.content
        return response.json()

    return make
