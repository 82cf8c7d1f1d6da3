"""Argon2 at OWASP's minimum (m=19 MiB, t=2, p=1), and older hashes upgraded on sign-in
(bench/PROFILE.md §7): the same password keeps working, tokens stay valid, nothing else
of the record changes, and a wrong password upgrades nothing."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import extract_parameters
from django.test import override_settings

from baas.auth import passwords
from baas.auth.records import find_by_email
from baas.collections.models import Collection
from tests.cast import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.django_db

OLD = {"time_cost": 1, "memory_cost": 2048, "parallelism": 2}  # stands in for m=64 MiB, t=3, p=4


def stored(email: str) -> dict[str, Any]:
    found = find_by_email(Collection.objects.get(name="users"), email)
    assert found is not None
    return found


def test_the_defaults_are_owasps_minimum() -> None:
    with override_settings(BAAS_ARGON2={}):
        params = extract_parameters(passwords.hash_password("x"))
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
    assert params.type.name == "ID"


def test_an_older_hash_is_replaced_on_sign_in(api: Any, superuser_token: str) -> None:
    with override_settings(BAAS_ARGON2=OLD):
        make_user(api, "old@example.com", superuser_token)
        first = sign_in(api, "users", "old@example.com")
    before = stored("old@example.com")
    assert extract_parameters(before["password"]).memory_cost == 2048

    wrong = api.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "old@example.com", "password": "not-it-at-all"},
    )
    assert wrong.status_code == 400
    assert stored("old@example.com")["password"] == before["password"]

    second = sign_in(api, "users", "old@example.com")  # the suite's current parameters
    after = stored("old@example.com")
    assert after["password"] != before["password"]
    current = extract_parameters(passwords.hash_password("x"))
    assert extract_parameters(after["password"]) == current
    assert not passwords.needs_rehash(after["password"])
    assert {k: v for k, v in after.items() if k != "password"} == {
        k: v for k, v in before.items() if k != "password"
    }  # tokenKey, updated and the rest unchanged
    for token in (first["token"], second["token"]):  # the old token still works
        assert api.post("/api/collections/users/auth-refresh", token=token).status_code == 200
    sign_in(api, "users", "old@example.com")  # and the password, once more
    assert stored("old@example.com")["password"] == after["password"]  # no further rehash


def test_a_password_changed_meanwhile_is_not_overwritten(api: Any, superuser_token: str) -> None:
    with override_settings(BAAS_ARGON2=OLD):
        make_user(api, "race@example.com", superuser_token)
    users = Collection.objects.get(name="users")
    seen = stored("race@example.com")  # what a sign-in verified against
    changed = api.patch(
        f"/api/collections/users/records/{seen['id']}",
        json={"password": "a-new-password", "passwordConfirm": "a-new-password"},
        token=superuser_token,
    )
    assert changed.status_code == 200, changed.content
    assert passwords.upgrade_hash(users, dict(seen), PASSWORD) is False
    assert passwords.verify_password("a-new-password", stored("race@example.com")["password"])


def test_bcrypt_hashes_are_left_alone() -> None:
    import bcrypt

    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(4)).decode()
    assert passwords.verify_password("secret", hashed)
    assert not passwords.needs_rehash(hashed)
