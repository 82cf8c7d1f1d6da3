"""Push end to end: devices registered over the API, sends reaching fake FCM and APNs.

SQLite runs embedded (sends on the server's thread pool); PostgreSQL in production mode
(a Celery worker, its own Redis). The fakes stand in for Google and Apple only.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest

from tests import services
from tests.push.conftest import PushRig
from tests.webhooks.live import Stack

PASSWORD = "password123"


@pytest.fixture(autouse=True)
def _no_db_needed(db: None) -> None:
    """The live server has its own database; this only satisfies pytest-django."""


def new_user(stack: Stack) -> tuple[str, str]:
    """A fresh user of ``users``: (id, token)."""
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    made = stack.ok("POST", "/api/collections/users/records", body)
    signed = stack.call(
        "POST",
        "/api/collections/users/auth-with-password",
        {"identity": email, "password": PASSWORD},
        token=None,
    )
    assert signed.status_code == 200, signed.text
    return made["id"], signed.json()["token"]


def register(stack: Stack, token: str, platform: str, device: str, topics: Any = None) -> Any:
    body: dict[str, Any] = {"platform": platform, "token": device}
    if topics is not None:
        body["topics"] = topics
    return stack.call("POST", "/api/push/devices", body, token=token)


def settled(stack: Stack, sent: dict[str, Any]) -> dict[str, Any]:
    path = f"/api/push/notifications/{sent['id']}"

    def done() -> bool:
        return all(d["status"] != "pending" for d in stack.ok("GET", path)["devices"])

    services.wait_until(done, 60, "the push to settle")
    return stack.ok("GET", path)


def uid() -> str:
    return uuid.uuid4().hex[:12]


def test_a_push_reaches_fcm_and_apns_with_the_right_payloads(rig: PushRig) -> None:
    stack = rig.stack
    user_id, token = new_user(stack)
    fcm_token, apns_token = f"fcm-{uid()}", f"apns{uid()}"
    assert register(stack, token, "fcm", fcm_token).status_code == 200
    assert register(stack, token, "apns", apns_token).status_code == 200
    body = {"user": user_id, "title": "Hello", "body": "You have mail", "data": {"k": "v"}}
    sent = stack.ok("POST", "/api/push/send", body)
    assert {d["platform"] for d in sent["devices"]} == {"fcm", "apns"}
    result = settled(stack, sent)
    assert sorted(d["status"] for d in result["devices"]) == ["sent", "sent"]

    [fcm_call] = [c for c in rig.fcm.calls if c.body["message"]["token"] == fcm_token]
    assert fcm_call.path == f"/v1/projects/{rig.fcm.project}/messages:send"
    assert fcm_call.headers["Authorization"] == f"Bearer {rig.fcm.access_token}"
    assert fcm_call.body == {
        "message": {
            "token": fcm_token,
            "notification": {"title": "Hello", "body": "You have mail"},
            "data": {"k": "v"},
        }
    }
    grant = rig.fcm.token_requests[0]
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant["claims"]["iss"] == rig.fcm.client_email
    assert grant["claims"]["scope"] == "https://www.googleapis.com/auth/firebase.messaging"

    [apns_call] = [c for c in rig.apns.calls if c.path == f"/3/device/{apns_token}"]
    assert apns_call.http_version == "2"
    assert apns_call.body == {
        "aps": {"alert": {"title": "Hello", "body": "You have mail"}},
        "k": "v",
    }
    assert apns_call.headers["apns-topic"] == rig.apns.topic
    assert apns_call.headers["apns-push-type"] == "alert"
    bearer = apns_call.headers["authorization"].removeprefix("bearer ")
    assert jwt.get_unverified_header(bearer) == {
        "alg": "ES256",
        "kid": rig.apns.key_id,
        "typ": "JWT",
    }
    claims = jwt.decode(bearer, rig.apns.signing_key.public_key(), algorithms=["ES256"])
    assert claims["iss"] == rig.apns.team_id


def test_dead_tokens_are_removed_and_live_ones_kept(rig: PushRig) -> None:
    stack = rig.stack
    user_id, token = new_user(stack)
    devices = [("fcm", f"dead-{uid()}"), ("apns", f"dead{uid()}"), ("apns", f"bad{uid()}")]
    devices.append(("fcm", f"live-{uid()}"))
    for platform, device in devices:
        assert register(stack, token, platform, device).status_code == 200
    sent = stack.ok("POST", "/api/push/send", {"user": user_id, "title": "t"})
    result = settled(stack, sent)
    by_status = sorted(d["status"] for d in result["devices"])
    assert by_status == ["removed", "removed", "removed", "sent"]
    left = stack.call("GET", "/api/push/devices", token=token).json()
    assert [d["token"] for d in left] == [devices[-1][1]]


def test_a_transient_failure_is_retried(rig: PushRig) -> None:
    stack = rig.stack
    user_id, token = new_user(stack)
    flaky = f"flaky-{uid()}"
    register(stack, token, "fcm", flaky)
    result = settled(stack, stack.ok("POST", "/api/push/send", {"user": user_id, "body": "b"}))
    [device] = result["devices"]
    assert (device["status"], device["attempts"]) == ("sent", 2)
    calls = [c for c in rig.fcm.calls if c.body["message"]["token"] == flaky]
    assert len(calls) == 2


def test_a_topic_reaches_its_subscribers_only(rig: PushRig) -> None:
    stack = rig.stack
    topic = f"news-{uid()}"
    _, one = new_user(stack)
    _, two = new_user(stack)
    register(stack, one, "fcm", f"sub-{uid()}", [topic])
    register(stack, two, "apns", f"sub{uid()}", [topic, "other"])
    register(stack, two, "fcm", f"nosub-{uid()}", ["other"])
    result = settled(stack, stack.ok("POST", "/api/push/send", {"topic": topic, "title": "t"}))
    assert sorted(d["platform"] for d in result["devices"]) == ["apns", "fcm"]
    assert all(d["status"] == "sent" for d in result["devices"])


def test_users_register_and_delete_only_their_own_devices(rig: PushRig) -> None:
    stack = rig.stack
    _, mine = new_user(stack)
    _, theirs = new_user(stack)
    device = register(stack, mine, "fcm", f"own-{uid()}").json()
    assert (
        stack.call("DELETE", f"/api/push/devices/{device['id']}", token=theirs).status_code == 404
    )
    gone = stack.call("DELETE", "/api/push/devices", {"token": device["token"]}, token=theirs)
    assert gone.status_code == 404
    assert stack.call("GET", "/api/push/devices", token=theirs).json() == []
    assert [d["id"] for d in stack.call("GET", "/api/push/devices", token=mine).json()] == [
        device["id"]
    ]
    assert register(stack, None, "fcm", "x").status_code == 401  # type: ignore[arg-type]
    assert stack.call("DELETE", f"/api/push/devices/{device['id']}", token=mine).status_code == 204
    assert stack.call("GET", "/api/push/devices", token=mine).json() == []


def test_a_token_signed_in_elsewhere_moves_to_the_new_user(rig: PushRig) -> None:
    stack = rig.stack
    _, first = new_user(stack)
    _, second = new_user(stack)
    shared = f"phone-{uid()}"
    register(stack, first, "apns", shared)
    register(stack, second, "apns", shared)
    assert stack.call("GET", "/api/push/devices", token=first).json() == []
    assert [d["token"] for d in stack.call("GET", "/api/push/devices", token=second).json()] == [
        shared
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "sms", "token": "t"}, "platform"),
        ({"platform": "fcm"}, "token"),
        ({"platform": "fcm", "token": "t", "topics": "news"}, "topics"),
        ({"platform": "fcm", "token": "t", "topics": [""]}, "topics"),
    ],
)
def test_bad_devices_are_field_errors(rig: PushRig, body: dict, field: str) -> None:
    _, token = new_user(rig.stack)
    answer = rig.stack.call("POST", "/api/push/devices", body, token=token)
    assert answer.status_code == 400 and field in answer.json()["data"]


def test_only_superusers_send_and_read_notifications(rig: PushRig) -> None:
    stack = rig.stack
    user_id, token = new_user(stack)
    body = {"user": user_id, "title": "t"}
    assert stack.call("POST", "/api/push/send", body, token=token).status_code == 403
    assert stack.call("POST", "/api/push/send", body, token=None).status_code == 401
    assert stack.call("POST", "/api/push/send", {"title": "t"}).status_code == 400
    both = {"user": user_id, "topic": "x", "title": "t"}
    assert stack.call("POST", "/api/push/send", both).status_code == 400
    assert stack.call("POST", "/api/push/send", {"user": user_id}).status_code == 400
    assert stack.call("GET", "/api/push/notifications/nope").status_code == 404
