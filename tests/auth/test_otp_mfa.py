"""OTP sign-in and the MFA flow (wire-api §4.2, §4.4)."""

from __future__ import annotations

import time

import pytest

from baas.api.errors import FORM_MESSAGE
from tests.auth.scenarios import Scenario, run
from tests.cast import PASSWORD, make_user, sign_in

USERS = "/api/collections/users"
INVALID = "Invalid or expired OTP."


@pytest.fixture
def otp_on(configure):
    configure("users", otp={"enabled": True})


SCENARIOS = [
    Scenario(
        "blank email",
        "POST",
        f"{USERS}/request-otp",
        400,
        {},
        contains={"message": FORM_MESSAGE, "data.email.code": "validation_required"},
    ),
    Scenario(
        "malformed email",
        "POST",
        f"{USERS}/request-otp",
        400,
        {"email": "nope"},
        contains={"data.email.code": "validation_is_email"},
    ),
    Scenario(
        "blank otp fields",
        "POST",
        f"{USERS}/auth-with-otp",
        400,
        {},
        contains={
            "data.otpId.code": "validation_required",
            "data.password.code": "validation_required",
        },
    ),
    Scenario(
        "unknown otp",
        "POST",
        f"{USERS}/auth-with-otp",
        400,
        {"otpId": "abcdefghijklmno", "password": "12345678"},
        contains={"message": INVALID},
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_otp_scenarios(api, cast, mailbox, otp_on, scenario):
    run(api, scenario)


def test_otp_disabled_is_403(api, cast):
    response = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"})
    assert response.status_code == 403


def test_otp_end_to_end(api, cast, mailbox, otp_on):
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    mail = mailbox.wait_for("owner@example.com")
    assert mail.subject == "OTP for Acme"
    code = mail.otp()
    assert len(code) == 8
    wrong = api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": "00000000"})
    assert (wrong.status_code, wrong.json()["message"]) == (400, INVALID)
    data = api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code}).json()
    assert set(data) == {"token", "record"}
    assert data["record"]["verified"] is True  # the OTP proved the address
    again = api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert (again.status_code, again.json()["message"]) == (400, INVALID)  # single use


def test_unknown_email_gets_an_otp_id_and_no_mail(api, cast, mailbox, otp_on):
    known = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"})
    unknown = api.post(f"{USERS}/request-otp", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert len(known.json()["otpId"]) == len(unknown.json()["otpId"]) == 15
    mailbox.wait_for("owner@example.com")
    assert mailbox.to("ghost@example.com") == []
    guess = api.post(
        f"{USERS}/auth-with-otp", json={"otpId": unknown.json()["otpId"], "password": "12345678"}
    )
    assert guess.json()["message"] == INVALID


def test_expired_otp(api, cast, mailbox, configure):
    configure("users", otp={"enabled": True, "duration": 1})
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    code = mailbox.wait_for("owner@example.com").otp()
    time.sleep(1.3)
    late = api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert late.json()["message"] == INVALID


def test_guessing_an_otp_burns_it(api, cast, mailbox, otp_on):
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    code = mailbox.wait_for("owner@example.com").otp()
    for _ in range(5):
        api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": "00000000"})
    response = api.post(f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert response.status_code in (400, 429)


def test_mfa_needs_a_second_different_method(api, cast, mailbox, configure):
    configure("users", otp={"enabled": True}, mfa={"enabled": True})
    body = {"identity": "owner@example.com", "password": PASSWORD}
    first = api.post(f"{USERS}/auth-with-password", json=body)
    assert first.status_code == 401
    mfa_id = first.json()["mfaId"]
    assert set(first.json()) == {"mfaId"}  # not the error envelope
    same = api.post(f"{USERS}/auth-with-password", json={**body, "mfaId": mfa_id})
    assert same.json()["message"] == "A different authentication method is required."
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    code = mailbox.wait_for("owner@example.com").otp()
    foreign = api.post(
        f"{USERS}/auth-with-otp?mfaId=nothere00000000", json={"otpId": otp_id, "password": code}
    )
    assert foreign.status_code == 400
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    code = mailbox.to("owner@example.com")[-1].otp()
    done = api.post(
        f"{USERS}/auth-with-otp?mfaId={mfa_id}", json={"otpId": otp_id, "password": code}
    )
    assert done.status_code == 200, done.content
    assert done.json()["record"]["id"] == cast.owner_id
    # the MFA session is spent
    again = api.post(
        f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code, "mfaId": mfa_id}
    )
    assert again.status_code == 400


def test_mfa_of_another_user_is_refused(api, cast, mailbox, configure):
    configure("users", otp={"enabled": True}, mfa={"enabled": True})
    other = api.post(
        f"{USERS}/auth-with-password", json={"identity": "other@example.com", "password": PASSWORD}
    ).json()["mfaId"]
    otp_id = api.post(f"{USERS}/request-otp", json={"email": "owner@example.com"}).json()["otpId"]
    code = mailbox.wait_for("owner@example.com").otp()
    response = api.post(
        f"{USERS}/auth-with-otp", json={"otpId": otp_id, "password": code, "mfaId": other}
    )
    assert (response.status_code, response.json()["message"]) == (400, "Invalid MFA session.")


def otp_sign_in(api, mailbox, email, mfa_id=""):
    mailbox.clear()
    otp_id = api.post(f"{USERS}/request-otp", json={"email": email}).json()["otpId"]
    code = mailbox.wait_for(email).otp()
    query = f"?mfaId={mfa_id}" if mfa_id else ""
    return api.post(f"{USERS}/auth-with-otp{query}", json={"otpId": otp_id, "password": code})


def test_first_otp_sign_in_of_an_unverified_account_replaces_its_password(
    api, cast, mailbox, otp_on, superuser_token
):
    """Account pre-hijacking: someone registered the address with a password of theirs.
    Once the address's owner signs in with a code sent there, that password no longer
    works and the tokens issued with it are revoked (as the peer does)."""
    made = make_user(api, "squatted@example.com", superuser_token)
    assert made["verified"] is False
    squatter = sign_in(api, "users", "squatted@example.com")["token"]

    answer = otp_sign_in(api, mailbox, "squatted@example.com")
    assert answer.status_code == 200, answer.content
    assert answer.json()["record"]["verified"] is True
    body = {"identity": "squatted@example.com", "password": PASSWORD}
    assert api.post(f"{USERS}/auth-with-password", json=body).status_code == 400
    assert api.post(f"{USERS}/auth-refresh", token=squatter).status_code == 401
    assert api.post(f"{USERS}/auth-refresh", token=answer.json()["token"]).status_code == 200


def test_otp_sign_in_of_a_verified_account_keeps_its_password(
    api, cast, mailbox, otp_on, superuser_token
):
    made = make_user(api, "kept@example.com", superuser_token, verified=True)
    assert made["verified"] is True
    before = sign_in(api, "users", "kept@example.com")["token"]
    assert otp_sign_in(api, mailbox, "kept@example.com").status_code == 200
    sign_in(api, "users", "kept@example.com")  # the password still works
    assert api.post(f"{USERS}/auth-refresh", token=before).status_code == 200


def test_otp_after_the_password_as_mfa_keeps_the_password(
    api, cast, mailbox, configure, superuser_token
):
    """With MFA the password was proven a moment ago: verifying keeps it (as the peer)."""
    configure("users", otp={"enabled": True}, mfa={"enabled": True})
    make_user(api, "both@example.com", superuser_token)
    body = {"identity": "both@example.com", "password": PASSWORD}
    first = api.post(f"{USERS}/auth-with-password", json=body)
    assert first.status_code == 401
    done = otp_sign_in(api, mailbox, "both@example.com", first.json()["mfaId"])
    assert done.status_code == 200, done.content
    assert done.json()["record"]["verified"] is True
    again = api.post(f"{USERS}/auth-with-password", json=body)
    assert again.status_code == 401  # the right password: on to the second factor
