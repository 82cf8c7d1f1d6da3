"""auth-with-password, auth-refresh and the authRule (wire-api §4.2, §3.6)."""

from __future__ import annotations

import pytest

from baas.api.errors import FORM_MESSAGE
from baas.auth.service import AUTH_RULE_MESSAGE
from tests.auth.scenarios import Scenario, run
from tests.cast import PASSWORD

SIGN_IN = "/api/collections/users/auth-with-password"

SCENARIOS = [
    Scenario(
        "right password",
        "POST",
        SIGN_IN,
        200,
        {"identity": "owner@example.com", "password": PASSWORD},
        contains={"record.email": "owner@example.com", "record.collectionName": "users"},
        absent=["meta", "record.password", "record.tokenKey"],
    ),
    Scenario(
        "wrong password",
        "POST",
        SIGN_IN,
        400,
        {"identity": "owner@example.com", "password": "wrong-password"},
        contains={"message": "Failed to authenticate.", "data": {}},
    ),
    Scenario(
        "unknown identity answers exactly like a wrong password",
        "POST",
        SIGN_IN,
        400,
        {"identity": "nobody@example.com", "password": PASSWORD},
        contains={"message": "Failed to authenticate.", "data": {}},
    ),
    Scenario(
        "identity matching is case-sensitive",
        "POST",
        SIGN_IN,
        400,
        {"identity": "OWNER@example.com", "password": PASSWORD},
    ),
    Scenario(
        "blank fields",
        "POST",
        SIGN_IN,
        400,
        {},
        contains={
            "message": FORM_MESSAGE,
            "data.identity.code": "validation_required",
            "data.password.code": "validation_required",
        },
    ),
    Scenario(
        "identityField not allowed",
        "POST",
        SIGN_IN,
        400,
        {"identity": "owner@example.com", "password": PASSWORD, "identityField": "name"},
        contains={"data.identityField.code": "validation_in_invalid"},
    ),
    Scenario(
        "superusers sign in on their own collection",
        "POST",
        "/api/collections/_superusers/auth-with-password",
        200,
        {"identity": "root@example.com", "password": PASSWORD},
        contains={"record.collectionId": "pbc_3142635823"},
    ),
    Scenario(
        "a users account is not a superuser",
        "POST",
        "/api/collections/_superusers/auth-with-password",
        400,
        {"identity": "owner@example.com", "password": PASSWORD},
    ),
    Scenario(
        "not an auth collection",
        "POST",
        "/api/collections/_mfas/auth-with-password",
        400,
        {"identity": "owner@example.com", "password": PASSWORD},
    ),
    Scenario("refresh needs auth", "POST", "/api/collections/users/auth-refresh", 401, {}),
    Scenario(
        "refresh with a superuser token on users",
        "POST",
        "/api/collections/users/auth-refresh",
        403,
        {},
        auth="superuser",
        contains={"message": "The request requires auth record from _superusers collection."},
    ),
    Scenario(
        "refresh with a users token on superusers names the token's collection",
        "POST",
        "/api/collections/_superusers/auth-refresh",
        403,
        {},
        auth="owner",
        contains={"message": "The request requires auth record from users collection."},
    ),
    Scenario(
        "password auth switched off",
        "POST",
        "/api/collections/_superusers/auth-with-password",
        200,
        {"identity": "root@example.com", "password": PASSWORD},
    ),
    Scenario(
        "refresh keeps expand and fields",
        "POST",
        "/api/collections/users/auth-refresh?fields=token,record.id",
        200,
        {},
        auth="owner",
        absent=["record.email"],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_password_scenarios(api, cast, scenario):
    run(api, scenario, {"owner": cast.owner, "superuser": cast.superuser})


def test_refresh_issues_a_new_token_for_the_same_record(api, cast):
    data = api.post("/api/collections/users/auth-refresh", token=cast.owner).json()
    assert data["record"]["id"] == cast.owner_id
    assert data["token"] and data["record"]["email"] == "owner@example.com"


def test_auth_rule_is_checked_after_the_password(api, cast, configure):
    configure("users", authRule="verified = true")
    body = {"identity": "owner@example.com", "password": PASSWORD}
    denied = api.post(SIGN_IN, json=body)
    assert denied.status_code == 403
    assert denied.json()["message"] == AUTH_RULE_MESSAGE
    wrong = api.post(SIGN_IN, json={**body, "password": "nope-nope"})
    assert wrong.status_code == 400  # the rule is never shown to someone without the password
    # a token issued before the rule is a guest's now, as on the peer
    assert api.post("/api/collections/users/auth-refresh", token=cast.owner).status_code == 401
    api.patch(
        f"/api/collections/users/records/{cast.owner_id}",
        json={"verified": True},
        token=cast.superuser,
    )
    assert api.post(SIGN_IN, json=body).status_code == 200
    assert api.post("/api/collections/users/auth-refresh", token=cast.owner).status_code == 200


def test_brute_force_is_stopped_per_identity(api, cast):
    body = {"identity": "owner@example.com", "password": "not-the-password"}
    statuses = [api.post(SIGN_IN, json=body).status_code for _ in range(10)]
    assert statuses == [400] * 10
    locked = api.post(SIGN_IN, json={**body, "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json() == {"status": 429, "message": "Too Many Requests.", "data": {}}
    # from another address the identity is still locked: the limit follows the account
    other = api.from_ip("192.0.2.77").post(SIGN_IN, json={**body, "password": PASSWORD})
    assert other.status_code == 429


def test_brute_force_on_an_unknown_identity_looks_the_same(api, cast):
    body = {"identity": "ghost@example.com", "password": "not-the-password"}
    statuses = [api.post(SIGN_IN, json=body).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_one_address_trying_many_identities_is_stopped(api, cast):
    statuses = [
        api.post(SIGN_IN, json={"identity": f"u{i}@example.com", "password": "x" * 9}).status_code
        for i in range(51)
    ]
    assert statuses[:50] == [400] * 50 and statuses[50] == 429


def test_password_auth_switched_off(api, cast, configure):
    configure("users", passwordAuth={"enabled": False})
    response = api.post(SIGN_IN, json={})
    assert response.status_code == 403
    assert response.json()["message"] == (
        "The collection is not configured to allow password authentication."
    )


def _many_identities(api, headers: dict[str, str], count: int) -> list[int]:
    return [
        api.post(
            SIGN_IN,
            json={"identity": f"p{i}-{len(headers)}@example.com", "password": "x" * 9},
            headers=headers,
        ).status_code
        for i in range(count)
    ]


def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(api, cast, settings):
    """Behind nginx every request comes from the proxy: with ``trustedProxy`` set, the
    per-address limits (and logs, superuserIPs) use the client's address from the header."""
    settings.BAAS_AUTH_RATE_LIMITS = {"fail-ip": (5, 600)}
    # not trusted: the header is the client's own claim and changes nothing
    spoofed = _many_identities(api, {"X-Forwarded-For": "198.51.100.1"}, 6)
    assert spoofed == [400] * 5 + [429]
    assert _many_identities(api, {"X-Forwarded-For": "198.51.100.2"}, 1) == [429]
    proxy = {"trustedProxy": {"headers": ["X-Forwarded-For"], "useLeftmostIP": False}}
    assert api.patch("/api/settings", json=proxy, token=cast.superuser).status_code == 200
    from baas.settings_api import service

    service.forget()
    # trusted: the rightmost entry is the address nginx saw; each client counts alone
    first = _many_identities(api, {"X-Forwarded-For": "203.0.113.9, 198.51.100.3"}, 6)
    assert first == [400] * 5 + [429]
    second = _many_identities(api, {"X-Forwarded-For": "203.0.113.9, 198.51.100.4"}, 1)
    assert second == [400]
    health = api.get("/api/health", token=cast.superuser, headers={"X-Forwarded-For": "1.2.3.4"})
    assert health.json()["data"]["realIP"] == "1.2.3.4"
