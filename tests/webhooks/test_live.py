"""Webhooks end to end against a live baas: a loopback receiver gets signed deliveries.

SQLite runs embedded (deliveries on the server's thread pool, retries on timers);
PostgreSQL runs in production mode (Celery worker, its own Redis): same scenarios.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import orjson
import pytest

from baas.webhooks import signing
from tests import services
from tests.webhooks.conftest import BACKOFF, Receiver
from tests.webhooks.live import Stack


@pytest.fixture(autouse=True)
def _no_db_needed(db: None) -> None:
    """The live server has its own database; this only satisfies pytest-django."""


def make_collection(stack: Stack, **extra: Any) -> dict[str, Any]:
    name = f"posts_{uuid.uuid4().hex[:8]}"
    fields = [{"name": "title", "type": "text"}, {"name": "status", "type": "text"}]
    fields.append({"name": "note", "type": "text", "hidden": True})
    return stack.ok(
        "POST", "/api/collections", {"name": name, "type": "base", "fields": fields, **extra}
    )


def make_webhook(stack: Stack, receiver: Receiver, collection: str, **extra: Any) -> dict[str, Any]:
    body = {"collection": collection, "events": ["create", "update", "delete"], "url": receiver.url}
    return stack.ok("POST", "/api/webhooks", body | extra)


def test_a_receiver_down_then_up_gets_the_event_after_retries_with_backoff(
    stack: Stack, receiver: Receiver
) -> None:
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"])
    record = stack.ok("POST", f"/api/collections/{posts['name']}/records", {"title": "hi"})
    [queued] = stack.deliveries(hook["id"])  # logged before the write answered
    services.wait_until(
        lambda: stack.delivery(queued["id"])["attempts"] >= 2, 60, "two failed attempts"
    )
    receiver.up()
    done = stack.wait_status(queued["id"], "delivered")

    *failed, last = done["log"]
    assert [a["attempt"] for a in done["log"]] == list(range(1, len(done["log"]) + 1))
    assert len(failed) >= 2
    for entry in failed:
        assert entry["statusCode"] is None and "ConnectError" in entry["error"]
    assert [a["retryIn"] for a in failed] == [BACKOFF * 2**i for i in range(len(failed))]
    assert last["statusCode"] == 200 and last["response"] == "thanks"
    assert last["retryIn"] is None and done["nextAttemptAt"] == ""
    assert all(a["durationMs"] >= 0 and a["started"] for a in done["log"])
    [got] = receiver.received
    body = orjson.loads(got.body)
    assert body["event"] == "create" and body["id"] == queued["id"]
    assert body["data"]["collection"] == {"id": posts["id"], "name": posts["name"]}
    assert body["data"]["record"]["id"] == record["id"]
    assert body["data"]["record"]["title"] == "hi"
    assert "note" in body["data"]["record"]  # hidden fields included, as a superuser sees them


def test_the_signature_verifies_with_the_secret_shown_once(
    stack: Stack, receiver: Receiver
) -> None:
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"])
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    shown = stack.ok("GET", f"/api/webhooks/{hook['id']}")
    assert "secret" not in shown and secret not in orjson.dumps(shown).decode()
    stack.ok("POST", f"/api/collections/{posts['name']}/records", {"title": "signed"})
    [queued] = stack.deliveries(hook["id"])
    stack.wait_status(queued["id"], "delivered")
    [got] = receiver.received
    header = got.headers[signing.HEADER]
    assert header.startswith("t=") and ",v1=" in header
    assert signing.verify(secret, got.body, header)
    assert not signing.verify(secret + "x", got.body, header)
    assert not signing.verify(secret, got.body.replace(b"signed", b"forged"), header)
    assert got.headers["X-Baas-Event"] == "create"
    assert got.headers["X-Baas-Delivery"] == queued["id"]


def test_a_hanging_receiver_never_holds_up_the_write(stack: Stack, receiver: Receiver) -> None:
    # The receiver answers only once released, and the test releases it only after the
    # write has answered: a write that waited for the receiver would never answer.
    receiver.hang = threading.Event()
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"])
    answer = stack.call("POST", f"/api/collections/{posts['name']}/records", {"title": "fast"})
    assert answer.status_code == 200
    [queued] = stack.deliveries(hook["id"])
    services.wait_until(lambda: len(receiver.received) == 1, 60, "the call in flight")
    assert stack.delivery(queued["id"])["status"] == "pending"
    receiver.hang.set()
    done = stack.wait_status(queued["id"], "delivered")
    assert [a["statusCode"] for a in done["log"]] == [200]


def test_replay_sends_the_same_event_again_as_a_new_delivery(
    stack: Stack, receiver: Receiver
) -> None:
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"])
    record = stack.ok("POST", f"/api/collections/{posts['name']}/records", {"title": "again"})
    [first] = stack.deliveries(hook["id"])
    stack.wait_status(first["id"], "delivered")
    replayed = stack.ok("POST", f"/api/webhooks/deliveries/{first['id']}/replay")["delivery"]
    done = stack.wait_status(replayed, "delivered")
    assert done["replayOf"] == first["id"] and done["event"] == "create"
    one, two = (orjson.loads(r.body) for r in receiver.received)
    assert one["data"] == two["data"] and two["data"]["record"]["id"] == record["id"]
    assert (one["id"], two["id"]) == (first["id"], replayed)
    assert [d["id"] for d in stack.deliveries(hook["id"])] == [replayed, first["id"]]


def test_a_record_the_filter_excludes_sends_nothing(stack: Stack, receiver: Receiver) -> None:
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"], filter="status = 'published'")
    path = f"/api/collections/{posts['name']}/records"
    stack.ok("POST", path, {"title": "draft", "status": "draft"})
    assert stack.deliveries(hook["id"]) == []
    shown = stack.ok("POST", path, {"title": "out", "status": "published"})
    [queued] = stack.deliveries(hook["id"])
    stack.wait_status(queued["id"], "delivered")
    [got] = receiver.received
    assert orjson.loads(got.body)["data"]["record"]["id"] == shown["id"]


def test_update_delete_and_events_not_subscribed(stack: Stack, receiver: Receiver) -> None:
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(stack, receiver, posts["name"], events=["delete"])
    path = f"/api/collections/{posts['name']}/records"
    record = stack.ok("POST", path, {"title": "a"})
    stack.ok("PATCH", f"{path}/{record['id']}", {"title": "b"})
    assert stack.deliveries(hook["id"]) == []
    stack.ok("DELETE", f"{path}/{record['id']}")
    [queued] = stack.deliveries(hook["id"])
    stack.wait_status(queued["id"], "delivered")
    body = orjson.loads(receiver.received[0].body)
    assert body["event"] == "delete" and body["data"]["record"]["title"] == "b"


def test_auth_signup_and_signin_events(stack: Stack, receiver: Receiver) -> None:
    receiver.up()
    hook = make_webhook(stack, receiver, "users", events=["auth.signup", "auth.signin"])
    email = f"u{uuid.uuid4().hex[:8]}@example.com"
    user = {"email": email, "password": "password123", "passwordConfirm": "password123"}
    created = stack.call("POST", "/api/collections/users/records", user, token=None)
    assert created.status_code == 200, created.text
    signed = stack.call(
        "POST",
        "/api/collections/users/auth-with-password",
        {"identity": email, "password": "password123"},
        token=None,
    )
    assert signed.status_code == 200, signed.text
    services.wait_until(lambda: len(receiver.received) == 2, 60, "both auth events")
    bodies = sorted((orjson.loads(r.body) for r in receiver.received), key=lambda b: b["event"])
    assert [b["event"] for b in bodies] == ["auth.signin", "auth.signup"]
    signin, signup = bodies
    assert signin["data"]["method"] == "password"
    for body in bodies:
        assert body["data"]["record"]["email"] == email
        assert "password" not in body["data"]["record"]
        assert "tokenKey" not in body["data"]["record"]
    assert signup["data"]["record"]["id"] == created.json()["id"]
    assert hook["id"]


def test_send_test_event(stack: Stack, receiver: Receiver) -> None:
    receiver.up()
    hook = make_webhook(stack, receiver, "*", events=["create"])
    sent = stack.ok("POST", f"/api/webhooks/{hook['id']}/test")["delivery"]
    stack.wait_status(sent, "delivered")
    assert orjson.loads(receiver.received[0].body)["event"] == "test"
    stack.ok("DELETE", f"/api/webhooks/{hook['id']}")


def test_a_delete_is_filtered_on_the_records_last_state(stack: Stack, receiver: Receiver) -> None:
    receiver.up()
    posts = make_collection(stack)
    hook = make_webhook(
        stack, receiver, posts["name"], events=["delete"], filter="status = 'published'"
    )
    path = f"/api/collections/{posts['name']}/records"
    draft = stack.ok("POST", path, {"title": "d", "status": "draft"})
    shown = stack.ok("POST", path, {"title": "p", "status": "published"})
    stack.ok("DELETE", f"{path}/{draft['id']}")
    stack.ok("DELETE", f"{path}/{shown['id']}")
    [queued] = stack.deliveries(hook["id"])
    stack.wait_status(queued["id"], "delivered")
    [got] = receiver.received
    body = orjson.loads(got.body)
    assert body["event"] == "delete"
    assert body["data"]["record"]["id"] == shown["id"]
    assert body["data"]["record"]["status"] == "published"
