"""Push credentials through the settings API (``push.fcm``, ``push.apns``): superusers
set them, the secrets are write-only, and an enabled platform there takes precedence
over the environment's ``BAAS_FCM_*`` / ``BAAS_APNS_*``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import override_settings

from baas.config import PushConfig
from baas.push import senders
from baas.settings_api import service
from tests import services
from tests.push.fakes import FakeApns, FakeFcm, pem, self_signed
from tests.push.test_push import new_user, register, settled
from tests.webhooks.live import Stack, live_stack

EC_KEY = pem(ec.generate_private_key(ec.SECP256R1()))
SERVICE_ACCOUNT = json.dumps(
    {"type": "service_account", "client_email": "a@b.iam", "private_key": "-----BEGIN…"}
)
FCM = {"enabled": True, "projectId": "from-settings", "credentials": SERVICE_ACCOUNT}
APNS = {"enabled": True, "keyId": "K1", "teamId": "T1", "key": EC_KEY, "topic": "com.settings"}
ENV = PushConfig(
    fcm_project_id="from-env",
    fcm_credentials='{"client_email": "env"}',
    apns_key_id="ENVKEY",
    apns_team_id="ENVTEAM",
    apns_key="env key",
    apns_topic="com.env",
)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    service.forget()
    yield
    service.forget()


def patch(api: Any, token: str | None, push: dict[str, Any]) -> Any:
    return api.patch("/api/settings", json={"push": push}, token=token)


def save(api: Any, token: str, push: dict[str, Any]) -> None:
    answer = patch(api, token, push)
    assert answer.status_code == 200, answer.content


@pytest.mark.django_db
def test_superusers_set_credentials_that_are_never_shown(
    api: Any, cast: Any, superuser_token: str
) -> None:
    assert patch(api, cast.owner, {"fcm": FCM}).status_code == 403
    saved = patch(api, superuser_token, {"fcm": FCM, "apns": APNS})
    assert saved.status_code == 200, saved.content
    for answer in (saved, api.get("/api/settings", token=superuser_token)):
        push = answer.json()["push"]
        assert push["fcm"] == {"enabled": True, "projectId": "from-settings"}
        assert "key" not in push["apns"] and push["apns"]["keyId"] == "K1"
        assert "BEGIN" not in answer.content.decode()
    # a later change without the secrets keeps them
    assert patch(api, superuser_token, {"apns": {"topic": "com.other"}}).status_code == 200
    service.forget()
    stored = service.current()["push"]
    assert stored["fcm"]["credentials"] == SERVICE_ACCOUNT
    assert (stored["apns"]["key"], stored["apns"]["topic"]) == (EC_KEY, "com.other")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("push", "path", "code"),
    [
        ({"fcm": {**FCM, "projectId": " "}}, ("fcm", "projectId"), "validation_required"),
        ({"fcm": {"enabled": True, "projectId": "p"}}, ("fcm", "credentials"), "validation_required"),
        ({"fcm": {**FCM, "credentials": "{nope"}}, ("fcm", "credentials"), "validation_invalid_credentials"),
        ({"fcm": {**FCM, "credentials": '{"a": 1}'}}, ("fcm", "credentials"), "validation_invalid_credentials"),
        ({"apns": {**APNS, "topic": ""}}, ("apns", "topic"), "validation_required"),
        ({"apns": {**APNS, "key": "not a key"}}, ("apns", "key"), "validation_invalid_key"),
        (
            {"apns": {**APNS, "key": pem(rsa.generate_private_key(65537, 2048))}},
            ("apns", "key"),
            "validation_invalid_key",
        ),
    ],
)  # fmt: skip
def test_bad_credentials_are_field_errors(
    api: Any, superuser_token: str, push: dict[str, Any], path: tuple[str, str], code: str
) -> None:
    answer = patch(api, superuser_token, push)
    assert answer.status_code == 400, answer.content
    section, key = path
    assert answer.json()["data"]["push"][section][key]["code"] == code
    service.forget()
    assert service.current()["push"]["fcm"]["enabled"] is False  # nothing saved


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"fcm": {"enabled": "yes"}}, {"apns": []}, {"maxDays": 1.5}])
def test_wrong_types_are_refused(api: Any, superuser_token: str, body: dict[str, Any]) -> None:
    assert patch(api, superuser_token, body).status_code == 400


@pytest.mark.django_db
def test_an_enabled_platform_in_the_settings_wins_over_the_environment(
    api: Any, superuser_token: str
) -> None:
    with override_settings(BAAS_PUSH=ENV):
        assert senders.config() == ENV  # nothing enabled in the settings: the environment
        save(api, superuser_token, {"apns": APNS})
        conf = senders.config()
        assert (conf.apns_key_id, conf.apns_team_id, conf.apns_key, conf.apns_topic) == (
            "K1",
            "T1",
            EC_KEY.strip(),
            "com.settings",
        )
        assert conf.apns_endpoint == PushConfig.apns_endpoint
        assert (conf.fcm_project_id, conf.fcm_credentials) == ("from-env", ENV.fcm_credentials)
        save(api, superuser_token, {"fcm": FCM, "apns": {"sandbox": True}})
        conf = senders.config()
        assert (conf.fcm_project_id, conf.fcm_credentials) == ("from-settings", SERVICE_ACCOUNT)
        assert conf.apns_endpoint == senders.APNS_SANDBOX
        save(api, superuser_token, {"fcm": {"enabled": False}, "apns": {"enabled": False}})
        assert senders.config() == ENV  # stored but disabled: the environment again
    testing = PushConfig(apns_endpoint="https://127.0.0.1:1")
    with override_settings(BAAS_PUSH=testing):
        save(api, superuser_token, {"apns": {"enabled": True, "sandbox": True}})
        assert senders.config().apns_endpoint == "https://127.0.0.1:1"  # a set endpoint wins


# --- live: credentials set through the API reach FCM and APNs --------------------------


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, FakeFcm, FakeApns]]:
    """A live baas with the fakes' endpoints but no credentials in its environment."""
    tmp: Path = tmp_path_factory.mktemp("push-settings")
    fcm = FakeFcm(services.free_port())
    cert, key = self_signed(tmp)
    apns = FakeApns(services.free_port(), cert, key)
    fcm.start()
    apns.start()
    try:
        with live_stack(
            tmp,
            BAAS_FCM_ENDPOINT=fcm.url,
            BAAS_APNS_ENDPOINT=apns.url,
            BAAS_APNS_CA_FILE=str(cert),
            BAAS_PUSH_BACKOFF="0.3",
        ) as stack:
            yield stack, fcm, apns
    finally:
        fcm.stop()
        apns.stop()


def test_credentials_set_through_the_api_are_used_by_the_senders(
    db: None, bare: tuple[Stack, FakeFcm, FakeApns]
) -> None:
    stack, fcm, apns = bare
    user_id, token = new_user(stack)
    assert register(stack, token, "fcm", "fcm-settings-device").status_code == 200
    assert register(stack, token, "apns", "apnssettingsdevice").status_code == 200
    before = settled(stack, stack.ok("POST", "/api/push/send", {"user": user_id, "title": "t"}))
    assert [d["status"] for d in before["devices"]] == ["failed", "failed"]
    assert all("not configured" in d["error"] for d in before["devices"])

    push = {
        "fcm": {"enabled": True, "projectId": fcm.project, "credentials": fcm.service_account()},
        "apns": {
            "enabled": True,
            "keyId": apns.key_id,
            "teamId": apns.team_id,
            "key": pem(apns.signing_key),
            "topic": apns.topic,
        },
    }
    answer = stack.call("PATCH", "/api/settings", {"push": push})
    assert answer.status_code == 200, answer.text
    assert (
        "PRIVATE KEY" not in answer.text
        and "PRIVATE KEY" not in stack.call("GET", "/api/settings").text
    )

    last: list[Any] = []

    def delivered() -> bool:  # each worker reads the settings anew within 2 s
        sent = stack.ok("POST", "/api/push/send", {"user": user_id, "title": "after"})
        last[:] = settled(stack, sent)["devices"]
        return [d["status"] for d in last] == ["sent", "sent"]

    try:
        services.wait_until(delivered, 60, "a push with the saved credentials", interval=1)
    except services.ServiceError as exc:
        raise AssertionError(last) from exc
    assert any(c.body["message"]["token"] == "fcm-settings-device" for c in fcm.calls)
    assert any(c.path == "/3/device/apnssettingsdevice" for c in apns.calls)
    assert fcm.token_requests[-1]["claims"]["iss"] == fcm.client_email
