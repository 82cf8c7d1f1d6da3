"""What some pages' samples need beyond a bare server, and the checks of their examples.

A page's rig is entered before its server starts. ``env`` is added to the server's
environment (and so to the worker's and the samples'): push credentials that point at
loopback fakes of FCM and APNs, a shorter webhook backoff, and, on PostgreSQL, a Redis
of the page's own, so that no other run's Celery worker can take the page's background
tasks (webhook deliveries, pushes, hook jobs). After the page's samples ran, ``verify``
checks the page's examples that are shown rather than run (the blocks whose language is
in ``verifies``: JSON payloads and answers) against what the live server really sends
or answers, and returns the blocks it checked; the page test asserts it checked them all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests import services
from tests.docs.samples import Block
from tests.push.fakes import FakeApns, FakeFcm, pem, self_signed
from tests.reliability.live import Instance, wait_for
from tests.webhooks.conftest import Receiver

# Values that differ from run to run: an example matches when both are of the same kind.
VARYING = {
    "record id": re.compile(r"^[a-z0-9]{15}$"),
    "collection id": re.compile(r"^pbc_\d+$"),
    "date": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$"),
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """How ``actual`` differs from a documented example: keys, types and values, where
    values of a kind in ``VARYING`` (ids, dates) only need to be of the same kind."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        if set(expected) != set(actual):
            found.append(f"{where or '.'}: keys {sorted(expected)} != {sorted(actual)}")
        for key in set(expected) & set(actual):
            found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in differences(*pair, f"{where}[{i}]")
        ]
    same_type = type(expected) is type(actual) or (_number(expected) and _number(actual))
    if same_type and expected == actual:  # 40 and 40.0 are one JSON number
        return []
    if isinstance(expected, str) and isinstance(actual, str):
        kinds = [
            k for k, pattern in VARYING.items() if pattern.match(expected) and pattern.match(actual)
        ]
        if kinds:
            return []
    return [f"{where}: documented {expected!r}, real {actual!r}"]


def example(page_blocks: list[Block], lang: str, containing: str = "") -> tuple[Block, Any]:
    """The one block of ``lang`` whose text has ``containing``, and its parsed JSON."""
    [block] = [b for b in page_blocks if b.lang == lang and containing in b.code]
    return block, json.loads(block.code)


class PageRig:
    verifies: tuple[str, ...] = ()
    own_redis = False  # background tasks: on PostgreSQL, a Redis no other run's worker uses

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env: dict[str, str] = {}
        self.stack = ExitStack()

    def __enter__(self) -> PageRig:
        if self.own_redis and os.environ.get("REDIS_URL"):
            self.env["REDIS_URL"] = self.redis()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def start(self) -> None:
        """Start what the page needs and set ``env``."""

    def verify(self, page_blocks: list[Block], live: Instance) -> list[Block]:
        return []

    def redis(self) -> str:
        port = services.free_port()
        server = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.stack.callback(services.stop_process, server)
        url = f"redis://127.0.0.1:{port}/0"
        services.wait_until(lambda: services.redis_answers(url), 10, "the page's Redis")
        return url


class HooksRig(PageRig):
    """hooks.md: its hooks files' job runs on the worker (PostgreSQL)."""

    own_redis = True


class ApiExtensionsRig(PageRig):
    """api-extensions.md: the aggregate answer shown is the one its curl sample gets."""

    verifies = ("json",)

    def verify(self, page_blocks: list[Block], live: Instance) -> list[Block]:
        block, expected = example(page_blocks, "json", '"group"')
        [curl] = [b for b in page_blocks if b.kind == "sh" and "/aggregate?" in b.code]
        path = re.search(r'"\$BAAS_URL(/api/collections/[^"]+)"', curl.code)
        assert path, curl.where
        with live.client() as guest:  # as the curl sample asks: no token
            answer = guest.get(path[1])
        assert answer.status_code == 200, answer.text
        found = differences(expected, answer.json())
        assert not found, f"{block.where} is not what {curl.where} answers:\n" + "\n".join(found)
        return [block]


class WebhooksRig(PageRig):
    """webhooks.md: the payload shown is what a receiver gets for a post like it, with
    the headers the page lists and a signature that verifies."""

    verifies = ("json",)
    own_redis = True

    def start(self) -> None:
        self.env["BAAS_WEBHOOK_BACKOFF"] = "1"  # a receiver still starting is retried soon

    def verify(self, page_blocks: list[Block], live: Instance) -> list[Block]:
        from baas.webhooks import signing

        block, expected = example(page_blocks, "json", '"event"')
        record = expected["data"]["record"]
        receiver = Receiver(port=services.free_port())
        receiver.up()
        try:
            hook = live.api(
                "POST",
                "/api/webhooks",
                json={"collection": "posts", "events": ["create"], "url": receiver.url},
            )
            assert hook.status_code == 200, hook.text
            values = {k: record[k] for k in ("title", "status")}
            made = live.api("POST", "/api/collections/posts/records", json=values)
            assert made.status_code == 200, made.text
            wait_for(lambda: receiver.received, 60, "the documented delivery")
        finally:
            receiver.down()
        [got] = receiver.received
        body = json.loads(got.body)
        found = differences(expected, body)
        assert not found, f"{block.where} is not what a receiver gets:\n" + "\n".join(found)
        assert body["data"]["record"]["id"] == made.json()["id"]
        headers = {k.lower(): v for k, v in got.headers.items()}
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"] == "baas-webhooks/1"
        assert headers["x-baas-event"] == "create" and headers["x-baas-delivery"] == body["id"]
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", headers["x-baas-signature"])
        assert signing.verify(hook.json()["secret"], got.body, headers["x-baas-signature"])
        return [block]


class PushRig(PageRig):
    """push.md: the services are loopback fakes of FCM and APNs (tests/push/fakes.py). The
    send body shown is accepted as it stands, and FCM and APNs get the payloads shown;
    the hooks file's reply reaches the post author's device."""

    verifies = ("json",)
    own_redis = True

    def start(self) -> None:
        self.fcm = FakeFcm(services.free_port())
        cert, key = self_signed(self.tmp)
        self.apns = FakeApns(services.free_port(), cert, key)
        self.fcm.start()
        self.stack.callback(self.fcm.stop)
        self.apns.start()
        self.stack.callback(self.apns.stop)
        credentials = self.tmp / "service-account.json"
        credentials.write_text(self.fcm.service_account())
        self.env.update(
            BAAS_FCM_PROJECT_ID=self.fcm.project,
            BAAS_FCM_CREDENTIALS=str(credentials),
            BAAS_FCM_ENDPOINT=self.fcm.url,
            BAAS_APNS_KEY_ID=self.apns.key_id,
            BAAS_APNS_TEAM_ID=self.apns.team_id,
            BAAS_APNS_KEY=pem(self.apns.signing_key),
            BAAS_APNS_TOPIC=self.apns.topic,
            BAAS_APNS_ENDPOINT=self.apns.url,
            BAAS_APNS_CA_FILE=str(cert),
            BAAS_PUSH_BACKOFF="0.3",
        )

    def verify(self, page_blocks: list[Block], live: Instance) -> list[Block]:
        self.hook_reply_reached_the_author(live)
        send, body = example(page_blocks, "json", '"user"')
        fcm_block, fcm_message = example(page_blocks, "json", '"message"')
        apns_block, apns_payload = example(page_blocks, "json", '"aps"')

        email, password = "pat@example.com", "pat's password"
        made = live.api(
            "POST",
            "/api/collections/users/records",
            json={"email": email, "password": password, "passwordConfirm": password},
        )
        assert made.status_code == 200, made.text
        pat = live.sign_in("users", email, password)
        for platform, token in (("fcm", "fcm-of-pat"), ("apns", "apns-of-pat")):
            device = {"platform": platform, "token": token}
            added = live.api(
                "POST", "/api/push/devices", json=device, headers={"Authorization": pat}
            )
            assert added.status_code == 200, added.text
        sent = live.api("POST", "/api/push/send", json={**body, "user": made.json()["id"]})
        assert sent.status_code == 200, f"{send.where}: {sent.text}"
        note = f"/api/push/notifications/{sent.json()['id']}"

        def settled() -> Any:
            devices = live.api("GET", note).json()["devices"]
            return all(d["status"] != "pending" for d in devices) and devices

        devices = wait_for(settled, 60, "the documented send to settle")
        assert sorted((d["platform"], d["status"]) for d in devices) == [
            ("apns", "sent"),
            ("fcm", "sent"),
        ]

        [fcm] = [c for c in self.fcm.calls if c.body["message"]["token"] == "fcm-of-pat"]
        assert fcm.path == f"/v1/projects/{self.fcm.project}/messages:send"
        assert fcm.headers["Authorization"] == f"Bearer {self.fcm.access_token}"
        fcm_message["message"]["token"] = "fcm-of-pat"  # "<device token>"
        assert fcm.body == fcm_message, f"{fcm_block.where}: FCM got {fcm.body}"

        [apns] = [c for c in self.apns.calls if c.path == "/3/device/apns-of-pat"]
        assert apns.http_version == "2"
        assert apns.headers["authorization"].startswith("bearer ")
        assert apns.headers["apns-topic"] == self.apns.topic
        assert (apns.headers["apns-push-type"], apns.headers["apns-priority"]) == ("alert", "10")
        assert apns.body == apns_payload, f"{apns_block.where}: APNs got {apns.body}"
        return [send, fcm_block, apns_block]

    def hook_reply_reached_the_author(self, live: Instance) -> None:
        """The page's reply: its post's author's device got the hooks file's notification."""
        [reply] = live.api("GET", "/api/collections/replies/records").json()["items"]
        post = live.api("GET", f"/api/collections/posts/records/{reply['post']}").json()
        author = live.api("GET", f"/api/collections/users/records/{post['author']}").json()
        assert author["email"] == "ana@example.com", author
        expected = {
            "token": "token-from-the-firebase-sdk",  # the device Ana registered
            "notification": {"title": "New reply", "body": reply["text"][:100]},
            "data": {"postId": post["id"]},
        }

        def told() -> bool:
            return expected in [c.body["message"] for c in self.fcm.calls]

        wait_for(told, 60, "the hook's push to the post's author")


RIGS: dict[str, type[PageRig]] = {
    "hooks.md": HooksRig,
    "api-extensions.md": ApiExtensionsRig,
    "webhooks.md": WebhooksRig,
    "push.md": PushRig,
}
