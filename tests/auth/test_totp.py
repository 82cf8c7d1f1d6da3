"""TOTP authenticators and recovery codes as a second factor (beyond the peer)."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.cast import PASSWORD

USERS = "/api/collections/users"
X = "/api/x/collections/users"


def _code(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def _enrol(api, cast) -> tuple[str, list[str]]:
    started = api.post(f"{X}/totp", token=cast.owner).json()
    assert started["otpauthURL"].startswith("otpauth://totp/Acme%3Aowner%40example.com?secret=")
    bad = api.post(f"{X}/totp/confirm", json={"code": "000000"}, token=cast.owner)
    assert (
        bad.status_code == 400 and bad.json()["data"]["code"]["code"] == "validation_invalid_code"
    )
    done = api.post(f"{X}/totp/confirm", json={"code": _code(started["secret"])}, token=cast.owner)
    assert done.status_code == 200, done.content
    codes = done.json()["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return started["secret"], codes


def _password_step(api) -> str:
    first = api.post(
        f"{USERS}/auth-with-password", json={"identity": "owner@example.com", "password": PASSWORD}
    )
    assert first.status_code == 401, first.content
    return first.json()["mfaId"]


def test_enrolment_needs_a_signed_in_user(api, cast):
    assert api.post(f"{X}/totp").status_code == 401
    assert api.post(f"{X}/totp", token=cast.superuser).status_code == 403


def test_totp_becomes_a_second_factor(api, cast):
    secret, _ = _enrol(api, cast)
    mfa_id = _password_step(api)
    wrong = api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": "123456"})
    assert wrong.status_code == 400
    code = _code(secret, -1)  # one step of clock drift is tolerated
    done = api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": code})
    assert done.status_code == 200, done.content
    assert done.json()["record"]["id"] == cast.owner_id
    # the code cannot be replayed, and the MFA session is spent
    mfa_id = _password_step(api)
    replay = api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": code})
    assert replay.status_code == 400


def test_recovery_codes_work_once(api, cast):
    _, codes = _enrol(api, cast)
    mfa_id = _password_step(api)
    assert (
        api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": codes[3]}).status_code == 200
    )
    mfa_id = _password_step(api)
    assert (
        api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": codes[3]}).status_code == 400
    )


def test_bad_mfa_session(api, cast):
    _enrol(api, cast)
    response = api.post(f"{X}/auth-with-totp", json={"mfaId": "nothere00000000", "code": "1"})
    assert response.status_code == 400


def test_removing_totp_needs_a_code_and_ends_the_second_step(api, cast):
    secret, codes = _enrol(api, cast)
    assert api.delete(f"{X}/totp", json={"code": "000000"}, token=cast.owner).status_code == 400
    assert api.delete(f"{X}/totp", json={"code": codes[0]}, token=cast.owner).status_code == 204
    signed = api.post(
        f"{USERS}/auth-with-password", json={"identity": "owner@example.com", "password": PASSWORD}
    )
    assert signed.status_code == 200


def test_guessing_codes_is_rate_limited(api, cast):
    _enrol(api, cast)
    mfa_id = _password_step(api)
    statuses = [
        api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": f"{i:06d}"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


def test_secrets_are_sealed_at_rest_and_codes_spent_in_the_database(api, cast, settings):
    """The secret is never stored in clear; replays are refused from the database (so
    every worker agrees without a shared cache); a rotated SECRET_KEY still decrypts."""
    from baas.auth.models import SecondFactor

    secret, _ = _enrol(api, cast)
    factor = SecondFactor.objects.get(record_id=cast.owner_id, kind=SecondFactor.TOTP)
    assert "secret" not in factor.data and secret not in str(factor.data)
    code = _code(secret)
    assert list(factor.data["used"]) == [code]  # the confirmation spent it
    mfa_id = _password_step(api)
    assert api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": code}).status_code == 400
    # rotation: the old key moves to SECRET_KEY_FALLBACKS
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    factor.data = {k: v for k, v in factor.data.items() if k != "used"}
    factor.save()
    mfa_id = _password_step(api)
    done = api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": code})
    assert done.status_code == 200, done.content


def test_a_secret_stored_in_clear_still_works_and_is_sealed_on_use(api, cast):
    from baas.auth.models import SecondFactor

    secret, _ = _enrol(api, cast)
    factor = SecondFactor.objects.get(record_id=cast.owner_id, kind=SecondFactor.TOTP)
    factor.data = {"secret": secret}  # as rows made before sealing look
    factor.save()
    mfa_id = _password_step(api)
    done = api.post(f"{X}/auth-with-totp", json={"mfaId": mfa_id, "code": _code(secret, 1)})
    assert done.status_code == 200, done.content
    factor.refresh_from_db()
    assert "secret" not in factor.data and "sealed" in factor.data
