"""Verification, password reset and email change, end to end through a real SMTP sink."""

from __future__ import annotations

import time

import pytest
from django.test import TestCase, override_settings

from baas.api.errors import FORM_MESSAGE
from baas.auth.tasks import drain
from tests.auth.scenarios import Scenario, run
from tests.cast import PASSWORD, sign_in
from tests.services import free_port

USERS = "/api/collections/users"

SCENARIOS = [
    Scenario(
        "verification: blank email",
        "POST",
        f"{USERS}/request-verification",
        400,
        {},
        contains={"message": FORM_MESSAGE, "data.email.code": "validation_required"},
    ),
    Scenario(
        "verification: malformed email",
        "POST",
        f"{USERS}/request-verification",
        400,
        {"email": "not-an-email"},
        contains={"data.email.code": "validation_is_email"},
    ),
    Scenario(
        "verification: unknown email is a 204 too",
        "POST",
        f"{USERS}/request-verification",
        204,
        {"email": "nobody@example.com"},
    ),
    Scenario(
        "verification: bad token",
        "POST",
        f"{USERS}/confirm-verification",
        400,
        {"token": "x.y.z"},
        contains={"data.token.code": "validation_invalid_token_claims"},
    ),
    Scenario(
        "reset: unknown email is a 204",
        "POST",
        f"{USERS}/request-password-reset",
        204,
        {"email": "nobody@example.com"},
    ),
    Scenario(
        "reset: blank fields",
        "POST",
        f"{USERS}/confirm-password-reset",
        400,
        {},
        contains={
            "data.token.code": "validation_required",
            "data.password.code": "validation_required",
            "data.passwordConfirm.code": "validation_required",
        },
    ),
    Scenario(
        "reset: bad token",
        "POST",
        f"{USERS}/confirm-password-reset",
        400,
        {"token": "x.y.z", "password": "long-enough", "passwordConfirm": "long-enough"},
        contains={"data.token.code": "validation_invalid_token"},
    ),
    Scenario(
        "email change: needs auth",
        "POST",
        f"{USERS}/request-email-change",
        401,
        {"newEmail": "new@example.com"},
    ),
    Scenario(
        "email change: malformed",
        "POST",
        f"{USERS}/request-email-change",
        400,
        {"newEmail": "nope"},
        auth="owner",
        contains={"data.newEmail.code": "validation_is_email"},
    ),
    Scenario(
        "email change: taken address",
        "POST",
        f"{USERS}/request-email-change",
        400,
        {"newEmail": "other@example.com"},
        auth="owner",
        contains={"data.newEmail.code": "validation_invalid_new_email"},
    ),
    Scenario(
        "email change: the current address",
        "POST",
        f"{USERS}/request-email-change",
        400,
        {"newEmail": "owner@example.com"},
        auth="owner",
        contains={"data.newEmail.code": "validation_not_in_invalid"},
    ),
    Scenario(
        "email change: token and password errors come together",
        "POST",
        f"{USERS}/confirm-email-change",
        400,
        {"token": "x.y.z", "password": "wrong"},
        contains={
            "data.token.code": "validation_invalid_token_payload",
            "data.password.code": "validation_invalid_password",
        },
    ),
    Scenario(
        "email change: superuser token on users",
        "POST",
        f"{USERS}/request-email-change",
        403,
        {"newEmail": "new@example.com"},
        auth="superuser",
    ),
    Scenario(
        "email change: bad token",
        "POST",
        f"{USERS}/confirm-email-change",
        400,
        {"token": "x.y.z", "password": PASSWORD},
        contains={"data.token.code": "validation_invalid_token_payload"},
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_email_flow_scenarios(api, cast, mailbox, scenario):
    run(api, scenario, {"owner": cast.owner, "superuser": cast.superuser})
    assert mailbox.mails == []  # no failure path sends anything


def test_verification_end_to_end(api, cast, mailbox):
    sent = api.post(f"{USERS}/request-verification", json={"email": "owner@example.com"})
    assert sent.status_code == 204 and sent.content == b""
    mail = mailbox.wait_for("owner@example.com")
    assert mail.subject == "Verify your Acme email"
    assert "http://localhost:8090/_/#/auth/confirm-verification/" in mail.html
    token = mail.link_token()
    assert api.post(f"{USERS}/confirm-verification", json={"token": token}).status_code == 204
    me = api.get(f"{USERS}/records/{cast.owner_id}", token=cast.superuser).json()
    assert me["verified"] is True
    # a verified account gets no second mail
    mailbox.clear()
    api.post(f"{USERS}/request-verification", json={"email": "owner@example.com"})
    assert mailbox.to("owner@example.com") == []


def test_password_reset_end_to_end(api, cast, mailbox):
    assert (
        api.post(f"{USERS}/request-password-reset", json={"email": "owner@example.com"}).status_code
        == 204
    )
    token = mailbox.wait_for("owner@example.com").link_token()
    confirm = f"{USERS}/confirm-password-reset"
    short = api.post(
        confirm, json={"token": token, "password": "short", "passwordConfirm": "short"}
    )
    assert short.json()["data"]["password"]["code"] == "validation_length_out_of_range"
    mismatch = api.post(
        confirm, json={"token": token, "password": "new-password-1", "passwordConfirm": "other-one"}
    )
    assert mismatch.json()["data"]["passwordConfirm"]["code"] == "validation_values_mismatch"
    body = {"token": token, "password": "new-password-1", "passwordConfirm": "new-password-1"}
    assert api.post(confirm, json=body).status_code == 204
    # the reset rotated tokenKey: the old session and the used link are both dead
    assert api.post(f"{USERS}/auth-refresh", token=cast.owner).status_code == 401
    assert api.post(confirm, json=body).status_code == 400
    assert sign_in(api, "users", "owner@example.com", "new-password-1")["record"]["verified"]


def test_email_change_end_to_end(api, cast, mailbox):
    url = f"{USERS}/request-email-change"
    assert (
        api.post(url, json={"newEmail": "fresh@example.com"}, token=cast.owner).status_code == 204
    )
    mail = mailbox.wait_for("fresh@example.com")
    assert mail.subject == "Confirm your Acme new email address"
    token = mail.link_token()
    confirm = f"{USERS}/confirm-email-change"
    wrong = api.post(confirm, json={"token": token, "password": "wrong-password"})
    assert wrong.json()["data"]["password"]["code"] == "validation_invalid_password"
    assert api.post(confirm, json={"token": token, "password": PASSWORD}).status_code == 204
    assert api.post(f"{USERS}/auth-refresh", token=cast.owner).status_code == 401
    data = sign_in(api, "users", "fresh@example.com")
    assert data["record"]["email"] == "fresh@example.com" and data["record"]["verified"]
    assert api.post(confirm, json={"token": token, "password": PASSWORD}).status_code == 400


def test_email_change_reports_a_mail_failure(api, cast, mailbox):
    with override_settings(EMAIL_PORT=free_port()):  # nothing listens there
        failed = api.post(
            f"{USERS}/request-email-change", json={"newEmail": "x@example.com"}, token=cast.owner
        )
    assert failed.status_code == 400
    assert failed.json()["message"] == "Failed to request email change."


def test_known_and_unknown_addresses_get_the_same_answer(api, cast, mailbox):
    for endpoint in ("request-verification", "request-password-reset"):
        known = api.post(f"{USERS}/{endpoint}", json={"email": "other@example.com"})
        unknown = api.post(f"{USERS}/{endpoint}", json={"email": "ghost@example.com"})
        assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
        assert dict(known.headers).keys() == dict(unknown.headers).keys()


def test_mail_to_one_address_is_capped_silently(api, cast, mailbox):
    for _ in range(5):
        response = api.post(f"{USERS}/request-password-reset", json={"email": "owner@example.com"})
        assert response.status_code == 204
    assert len(mailbox.to("owner@example.com")) == 3


def test_mail_requests_from_one_address_get_429(api, cast, mailbox):
    statuses = [
        api.post(f"{USERS}/request-password-reset", json={"email": f"n{i}@example.com"}).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [204] * 30 and statuses[30] == 429


def test_template_placeholders(api, cast, mailbox, configure):
    configure(
        "users",
        resetPasswordTemplate={
            "subject": "Reset for {RECORD:email}",
            "body": "<p>{APP_NAME} {RECORD:name} {RECORD:tokenKey}"
            ' <a href="{APP_URL}/r/confirm-password-reset/{TOKEN}">go</a></p>',
        },
    )
    api.patch(f"{USERS}/records/{cast.owner_id}", json={"name": "<Ann>"}, token=cast.superuser)
    api.post(f"{USERS}/request-password-reset", json={"email": "owner@example.com"})
    mail = mailbox.wait_for("owner@example.com")
    assert mail.subject == "Reset for owner@example.com"
    assert "Acme &lt;Ann&gt;  <a" in mail.html  # values escaped; tokenKey never rendered
    assert mail.link_token().count(".") == 2


def test_a_slow_mail_server_does_not_show_in_the_answer_time(api, cast, mailbox):
    """Embedded mode: SMTP happens off the request, so known and unknown look alike."""
    mailbox.delay = 1.0

    def timed(email: str) -> float:
        start = time.monotonic()
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = api.client.post(
                f"{USERS}/request-password-reset", {"email": email}, content_type="application/json"
            )
        assert response.status_code == 204
        return time.monotonic() - start

    assert timed("owner@example.com") < 0.5
    assert timed("ghost@example.com") < 0.5
    drain()
    assert mailbox.to("owner@example.com")
