"""Services going away under a live server, and coming back (no restart of baas).

- PostgreSQL down: every request that needs it answers 503 in the envelope, quickly,
  signed in or not; once the database is back, requests succeed by themselves.
- Redis down: writes succeed; realtime keeps delivering within the process; rate
  limits are off (never a 500); when Redis returns, the realtime bus publishes again
  and rate limits count again.
- S3 down: covered where the storage is, ``tests/storage/test_lifecycle.py``
  (``test_unreachable_s3_is_a_clean_503_and_no_record``: the write fails cleanly and
  leaves no record; ``test_download_from_unreachable_s3_is_a_clean_503``). Backups to
  an unreachable S3 are below.
- SMTP down: ``test_mail_retries.py``.

The PostgreSQL and Redis here are throwaway ones (``outage_services``), never the
machine's shared services.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import redis as redis_client

from tests.realtime.live import SSEClient
from tests.reliability.live import PASSWORD, Instance, instance, wait_for
from tests.reliability.outage_services import pg_cluster, redis_server

SECRET = "outage-test-secret-0b7d4f1e9a3c6b7c4e1a9b3f6d2e8a5c"
UNAVAILABLE = {
    "status": 503,
    "message": "Service temporarily unavailable. Please try again.",
    "data": {},
}
GUEST = {"Authorization": ""}


def notes(live: Instance) -> None:
    live.sign_in_superuser()
    answer = live.api(
        "POST",
        "/api/collections",
        json={
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "deleteRule": "",
            "fields": [{"name": "text", "type": "text"}, {"name": "file", "type": "file"}],
        },
    )
    assert answer.status_code == 200, answer.text


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


# ---- PostgreSQL -------------------------------------------------------------------------------


def test_postgres_outage_is_a_503_and_recovers_by_itself(tmp_path: Path) -> None:
    with (
        pg_cluster() as pg,
        instance(tmp_path, DATABASE_URL=pg.url(), REDIS_URL=None, BAAS_SECRET_KEY=SECRET) as live,
    ):
        notes(live)
        kept = live.api("POST", "/api/collections/notes/records", json={"text": "kept"}).json()
        pg.stop()  # the server's connections are cut
        calls = [
            ("GET", "/api/collections/notes/records", GUEST, None),
            ("POST", "/api/collections/notes/records", GUEST, {"text": "lost"}),
            (
                "GET",
                "/api/collections/notes/records",
                {},
                None,
            ),  # a token: the auth middleware reads
            ("GET", "/api/collections", {}, None),
            (
                "POST",
                "/api/collections/_superusers/auth-with-password",
                GUEST,
                {"identity": "a@b.co", "password": "x"},
            ),
            ("GET", "/api/health", {}, None),
        ]
        for method, path, headers, body in calls:
            answer, took = timed(lambda: live.api(method, path, headers=headers, json=body))  # noqa: B023
            assert answer.status_code == 503, (method, path, answer.text)
            assert answer.json() == UNAVAILABLE
            assert took < 6, (method, path, took)
        assert live.api("GET", "/api/health", headers=GUEST).status_code == 200  # the process is up
        pg.start()

        def answering() -> bool:
            return (
                live.api("GET", "/api/collections/notes/records", headers=GUEST).status_code == 200
            )

        wait_for(answering, 20, "requests to succeed again")
        items = live.api("GET", "/api/collections/notes/records").json()["items"]
        assert [item["id"] for item in items] == [kept["id"]]
        assert (
            live.api("POST", "/api/collections/notes/records", json={"text": "new"}).status_code
            == 200
        )
        assert live.api("GET", "/api/health").json()["data"]["database"]["status"] == "ok"


# ---- Redis ------------------------------------------------------------------------------------


def _fail_sign_in(live: Instance, email: str) -> int:
    return live.api(
        "POST",
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": "not-the-password"},
        headers=GUEST,
    ).status_code


def test_redis_outage_keeps_writes_and_degrades_realtime_and_rate_limits(tmp_path: Path) -> None:
    with (
        redis_server() as redis,
        instance(tmp_path, REDIS_URL=redis.url, BAAS_SECRET_KEY=SECRET) as live,
    ):
        notes(live)
        user_email = f"u-{uuid.uuid4().hex[:8]}@example.com"
        made = live.api(
            "POST",
            "/api/collections/users/records",
            json={"email": user_email, "password": PASSWORD, "passwordConfirm": PASSWORD},
        )
        assert made.status_code == 200, made.text
        user_token = live.sign_in("users", user_email)
        sse = SSEClient(live.url)
        assert sse.subscribe("notes").status_code == 204
        redis.stop()

        # What needs Redis answers a clean 503 (a passkey ceremony's state lives in the
        # cache); TOTP enrolment needs no cache and works.
        x_users = "/api/x/collections/users"
        ceremony = live.api("POST", f"{x_users}/passkeys", headers={"Authorization": user_token})
        assert ceremony.status_code == 503 and ceremony.json()["status"] == 503, ceremony.text
        totp = live.api("POST", f"{x_users}/totp", headers={"Authorization": user_token})
        assert totp.status_code == 200, totp.text

        created, took = timed(
            lambda: live.api("POST", "/api/collections/notes/records", json={"text": "a"})
        )
        assert created.status_code == 200, created.text
        assert took < 5
        event = sse.next(10)  # delivered inside the process while the bus is down
        assert event is not None and event.data["record"]["id"] == created.json()["id"]
        with_file = live.api(
            "POST", "/api/collections/notes/records", files={"file": ("a.txt", b"hi", "text/plain")}
        ).json()
        folder = live.data_dir / "storage" / with_file["collectionId"] / with_file["id"]
        deleted, took = timed(
            lambda: live.api("DELETE", f"/api/collections/notes/records/{with_file['id']}")
        )
        assert deleted.status_code == 204 and took < 5
        wait_for(lambda: not folder.exists(), 5, "the deleted record's files (deleted inline)")

        email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        assert {_fail_sign_in(live, email) for _ in range(12)} == {400}  # limits off, never a 500
        assert live.api("GET", "/api/health").json()["data"]["redis"]["status"] == "unavailable"

        redis.start()
        wait_for(
            lambda: live.api("GET", "/api/health").json()["data"]["redis"]["status"] == "ok",
            10,
            "health to see Redis",
        )
        # rate limits count again: the 11th failure in a row for one identity is a 429
        email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        answers = [_fail_sign_in(live, email) for _ in range(11)]
        assert answers[:10] == [400] * 10 and answers[10] == 429
        # and the realtime bus publishes on Redis again
        listener = redis_client.Redis.from_url(redis.url).pubsub()
        listener.psubscribe("baas:rt:*")
        listener.get_message(timeout=1)  # the psubscribe confirmation
        again = live.api("POST", "/api/collections/notes/records", json={"text": "b"}).json()

        def published() -> bool:
            message = listener.get_message(timeout=0.5)
            return bool(message and again["id"].encode() in message["data"])

        wait_for(published, 10, "the realtime bus to publish on Redis")
        sse.close()
        listener.close()


# ---- S3 for backups -----------------------------------------------------------------------------


def test_backups_to_an_unreachable_s3_fail_cleanly(tmp_path: Path) -> None:
    from tests.services import free_port

    with instance(tmp_path, REDIS_URL=None) as live:
        live.sign_in_superuser()
        config = {
            "enabled": True,
            "bucket": "b",
            "region": "us-east-1",
            "endpoint": f"http://127.0.0.1:{free_port()}",
            "accessKey": "k",
            "secret": "s",
            "forcePathStyle": True,
        }
        assert (
            live.api("PATCH", "/api/settings", json={"backups": {"s3": config}}).status_code == 200
        )
        for method, path, body in [
            ("GET", "/api/backups", None),
            ("POST", "/api/backups", {"name": "x.zip"}),
            ("DELETE", "/api/backups/x.zip", None),
        ]:
            answer, took = timed(lambda: live.api(method, path, json=body))  # noqa: B023
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json() == UNAVAILABLE
            assert took < 15
        leftovers = [
            p.name for p in (live.data_dir / "backups").iterdir() if p.name.startswith(".tmp")
        ]
        assert leftovers == []
        assert json.loads(live.api("GET", "/api/health").text)["data"]["canBackup"] is True
