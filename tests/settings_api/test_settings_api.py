"""``GET|PATCH /api/settings`` and the test endpoints (wire-api §7.3)."""

from __future__ import annotations

import email
import threading
from email import policy

import pytest

from baas.settings_api import service
from tests.services import free_port

SECRET_PATHS = [("smtp", "password"), ("s3", "secret"), ("backups", "s3", "secret")]


@pytest.mark.parametrize(
    "token, status",
    [("guest", 401), ("owner", 403), ("superuser", 200)],
)
def test_only_superusers_read_settings(api, cast, token, status):
    response = api.get("/api/settings", token=getattr(cast, token) if token != "guest" else None)
    assert response.status_code == status


def test_a_fresh_instance_has_the_peer_defaults_and_no_secrets(api, superuser_token):
    data = api.get("/api/settings", token=superuser_token).json()
    assert data["meta"]["appName"] == "Acme"
    assert data["meta"]["appURL"] == "http://localhost:8090"
    assert data["batch"] == {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}
    assert data["rateLimits"]["enabled"] is False
    assert {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2} in data[
        "rateLimits"
    ]["rules"]
    assert len(data["rateLimits"]["rules"]) == 4
    assert data["logs"] == {
        "maxDays": 5,
        "minLevel": 0,
        "logIP": True,
        "logAuthId": False,
        "maxDataSize": 0,
    }
    assert data["trustedProxy"] == {"headers": [], "useLeftmostIP": False}
    assert data["superuserIPs"] == []
    assert "password" not in data["smtp"]
    assert "secret" not in data["s3"]
    assert "secret" not in data["backups"]["s3"]


def test_patch_merges_nested_objects_and_keeps_secrets_write_only(api, superuser_token):
    response = api.patch(
        "/api/settings",
        json={
            "meta": {"appName": "Shop"},
            "smtp": {"enabled": True, "host": "mail.local", "port": 2525, "password": "s3cr3t"},
        },
        token=superuser_token,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["meta"]["appName"] == "Shop"
    assert data["meta"]["appURL"] == "http://localhost:8090"  # untouched sibling kept
    assert data["smtp"]["host"] == "mail.local"
    assert "password" not in data["smtp"]
    assert "s3cr3t" not in response.content.decode()
    assert service.current()["smtp"]["password"] == "s3cr3t"
    # A later patch without the secret keeps it.
    api.patch("/api/settings", json={"smtp": {"port": 2526}}, token=superuser_token)
    service.forget()
    assert service.current()["smtp"]["password"] == "s3cr3t"
    assert service.current()["smtp"]["port"] == 2526


@pytest.mark.parametrize(
    "body, path, code",
    [
        ({"meta": {"appName": ""}}, ("meta", "appName"), "validation_required"),
        ({"meta": {"appURL": "notaurl"}}, ("meta", "appURL"), "validation_is_url"),
        ({"smtp": {"enabled": True, "host": ""}}, ("smtp", "host"), "validation_required"),
        (
            {"logs": {"maxDays": -1}},
            ("logs", "maxDays"),
            "validation_min_greater_equal_than_required",
        ),
        (
            {"s3": {"enabled": True, "bucket": "b"}},
            ("s3", "endpoint"),
            "validation_required",
        ),
        ({"backups": {"cron": "every day"}}, ("backups", "cron"), "validation_invalid_cron"),
        (
            {"rateLimits": {"rules": [{"label": "", "duration": 0, "maxRequests": 1}]}},
            ("rateLimits", "rules", "0", "label"),
            "validation_required",
        ),
        ({"superuserIPs": ["not-an-ip"]}, ("superuserIPs", "0"), "validation_is_ip"),
        (
            {"cors": {"allowedOrigins": ["ftp://x"]}},
            ("cors", "allowedOrigins", "0"),
            "validation_is_url",
        ),
    ],
)
def test_invalid_values_are_field_errors_and_nothing_is_saved(
    api, superuser_token, body, path, code
):
    response = api.patch("/api/settings", json=body, token=superuser_token)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["message"] == "An error occurred while saving the new settings."
    node = data["data"]
    for key in path:
        node = node[key]
    assert node["code"] == code
    assert api.get("/api/settings", token=superuser_token).json()["meta"]["appName"] == "Acme"


@pytest.mark.parametrize(
    "body", [{"smtp": {"port": "x"}}, {"meta": "x"}, {"batch": {"enabled": "yes"}}, []]
)
def test_wrong_json_types_are_a_load_error(api, superuser_token, body):
    response = api.patch("/api/settings", json=body, token=superuser_token)
    assert response.status_code == 400
    assert response.json()["message"] == "An error occurred while loading the submitted data."


def test_unknown_keys_are_ignored(api, superuser_token):
    response = api.patch("/api/settings", json={"nope": 1, "meta": {"x": 2}}, token=superuser_token)
    assert response.status_code == 200
    assert "nope" not in response.json()
    assert "x" not in response.json()["meta"]


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []
            self.arrived = threading.Event()

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self.arrived.set()
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


def test_test_email_sends_the_chosen_template_through_smtp(api, superuser_token, smtp_sink):
    port, sink = smtp_sink
    api.patch(
        "/api/settings",
        json={
            "meta": {"appName": "Shop"},
            "smtp": {"enabled": True, "host": "127.0.0.1", "port": port},
        },
        token=superuser_token,
    )
    response = api.post(
        "/api/settings/test/email",
        json={"email": "to@example.com", "template": "password-reset", "collection": "users"},
        token=superuser_token,
    )
    assert response.status_code == 204, response.content
    assert sink.arrived.wait(5)
    message = sink.messages[0]
    assert message["To"] == "to@example.com"
    assert "Shop" in message["Subject"]
    assert "Support <support@example.com>" in message["From"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "email"),
        ({"email": "a@example.com"}, "template"),
        ({"email": "a@example.com", "template": "nope"}, "template"),
    ],
)
def test_test_email_validates_its_body(api, superuser_token, body, field):
    response = api.post("/api/settings/test/email", json=body, token=superuser_token)
    assert response.status_code == 400
    assert field in response.json()["data"]


def test_test_email_with_smtp_disabled_says_so(api, superuser_token):
    response = api.post(
        "/api/settings/test/email",
        json={"email": "a@example.com", "template": "verification"},
        token=superuser_token,
    )
    assert response.status_code == 400
    assert "SMTP is disabled" in response.json()["message"]


def test_s3_connection_test_against_a_real_s3_server(api, superuser_token, s3_server):
    options = s3_server.storage_options()
    body = {
        "s3": {
            "enabled": True,
            "bucket": options["bucket_name"],
            "region": "us-east-1",
            "endpoint": options["endpoint_url"],
            "accessKey": options["access_key"],
            "secret": options["secret_key"],
            "forcePathStyle": True,
        }
    }
    assert api.patch("/api/settings", json=body, token=superuser_token).status_code == 200
    ok = api.post("/api/settings/test/s3", json={"filesystem": "storage"}, token=superuser_token)
    assert ok.status_code == 204, ok.content

    api.patch("/api/settings", json={"s3": {"secret": "wrong-secret"}}, token=superuser_token)
    bad = api.post("/api/settings/test/s3", json={"filesystem": "storage"}, token=superuser_token)
    assert bad.status_code == 400
    assert "Failed to initialize the S3 storage" in bad.json()["message"]
    assert "wrong-secret" not in bad.content.decode()


def test_s3_test_needs_a_filesystem_name(api, superuser_token):
    response = api.post("/api/settings/test/s3", json={}, token=superuser_token)
    assert response.status_code == 400
    assert response.json()["data"]["filesystem"]["code"] == "validation_required"
