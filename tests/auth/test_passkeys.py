"""Passkeys (WebAuthn) through a software authenticator (beyond the peer)."""

from __future__ import annotations

from tests.auth.authenticator import SoftAuthenticator
from tests.cast import PASSWORD

X = "/api/x/collections/users"


def _register(api, cast, device: SoftAuthenticator) -> dict:
    begun = api.post(f"{X}/passkeys", token=cast.owner).json()
    assert begun["options"]["publicKey"]["rp"]["id"] == "localhost"
    body = {
        "ceremonyId": begun["ceremonyId"],
        "credential": device.create(begun["options"]),
        "name": "phone",
    }
    done = api.post(f"{X}/passkeys/register", json=body, token=cast.owner)
    assert done.status_code == 200, done.content
    # a ceremony id works once
    again = api.post(f"{X}/passkeys/register", json=body, token=cast.owner)
    assert again.status_code == 400
    return done.json()


def _login(api, device: SoftAuthenticator, mfa_id: str = "", **kwargs) -> object:
    begun = api.post(f"{X}/passkey-options", json={"mfaId": mfa_id} if mfa_id else {}).json()
    body = {"ceremonyId": begun["ceremonyId"], "credential": device.get(begun["options"], **kwargs)}
    if mfa_id:
        body["mfaId"] = mfa_id
    return api.post(f"{X}/auth-with-passkey", json=body)


def test_register_and_sign_in_without_a_password(api, cast):
    device = SoftAuthenticator()
    created = _register(api, cast, device)
    assert api.get(f"{X}/passkeys", token=cast.owner).json()[0]["name"] == "phone"
    signed = _login(api, device)  # discoverable: no email needed
    assert signed.status_code == 200, signed.content
    assert signed.json()["record"]["id"] == cast.owner_id
    assert "allowCredentials" not in str(api.post(f"{X}/passkey-options", json={}).json())
    assert api.delete(f"{X}/passkeys/{created['id']}", token=cast.owner).status_code == 204
    assert _login(api, device).status_code == 400


def test_registration_needs_sign_in(api, cast):
    assert api.post(f"{X}/passkeys").status_code == 401


def test_unknown_or_wrong_authenticators_fail(api, cast):
    device = SoftAuthenticator()
    _register(api, cast, device)
    stranger = SoftAuthenticator()
    assert _login(api, stranger).status_code == 400
    forger = SoftAuthenticator(credential_id=device.credential_id)  # same id, other key
    assert _login(api, forger).status_code == 400
    assert _login(api, device, user_verified=False).status_code == 400
    phishing = SoftAuthenticator(
        origin="http://evil.localhost:8090", key=device.key, credential_id=device.credential_id
    )
    phishing.counter = 100
    assert _login(api, phishing).status_code == 400


def test_replayed_counter_is_refused(api, cast):
    device = SoftAuthenticator()
    _register(api, cast, device)
    assert _login(api, device).status_code == 200
    device.counter = 0  # a clone that lags behind the original
    assert _login(api, device).status_code == 400


def test_bad_ceremony(api, cast):
    response = api.post(f"{X}/auth-with-passkey", json={"ceremonyId": "nope", "credential": {}})
    assert response.status_code == 400


def test_passkey_as_the_second_factor(api, cast, configure):
    device = SoftAuthenticator()
    _register(api, cast, device)
    configure("users", mfa={"enabled": True})
    first = api.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "owner@example.com", "password": PASSWORD},
    )
    mfa_id = first.json()["mfaId"]
    options = api.post(f"{X}/passkey-options", json={"mfaId": mfa_id}).json()["options"]
    assert len(options["publicKey"]["allowCredentials"]) == 1
    done = _login(api, device, mfa_id=mfa_id)
    assert done.status_code == 200, done.content
    assert done.json()["record"]["id"] == cast.owner_id
