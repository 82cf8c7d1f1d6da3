"""The Dart ``pocketbase`` SDK works against us unchanged: its HTTP, reproduced byte for byte.

No Dart toolchain runs here, so this module replays what the SDK sends and decodes what it
would decode. Reference: ``pocketbase`` 0.25.0 on pub (github.com/pocketbase/dart-sdk,
commit 873bd72, the version tests/docs/pocketbase_dart_api.json documents), read from its
source and re-written in ``tests/sdk/dart_wire``:

- ``client.py``: ``PocketBase.send`` over dart:io. Lower-case header names,
  ``user-agent: Dart/… (dart:io)``, ``accept-encoding: gzip``, ``content-length`` on
  every request (``0`` on a GET or an empty POST/DELETE), ``content-type:
  application/json`` even without a body, ``authorization: <raw JWT>`` (no ``Bearer``)
  while the token's ``exp`` is in the future, ``accept-language`` always. Queries are
  encoded with ``Uri.encodeQueryComponent`` (space → ``+``, ``,`` → ``%2C``), ``null``
  values dropped, lists repeated, ``bool`` → ``true``/``false``. Files go in one
  ``multipart/form-data`` built like package:http's ``MultipartRequest``: boundary
  ``dart-http-boundary-`` + 51 of ``+_-.0-9A-Za-z``, lower-case part headers, a single
  ``@jsonPayload`` part holding the whole body (with ``content-type: text/plain;
  charset=utf-8`` and ``content-transfer-encoding: binary`` when it is not ASCII), file
  parts ``content-type`` first, non-ASCII filenames as raw UTF-8.
- ``models.py``: the generated ``fromJson`` casts (``json['x'] as String?`` …) of every
  DTO the services return, raising where the app would throw a ``TypeError``.
- ``sse.py``: ``SseClient`` (a bare GET; its ``^(\\w+)[\\s\\:]+(.*)?$`` line parser; a
  message per blank line; clientId from the ``id:`` field) and ``RealtimeService``
  (subscription keys ``topic?options=<encodeQueryComponent(json)>``, the whole list
  POSTed after each change, the connection dropped when none is left).
- ``sdk.py``: the services' paths, query maps and bodies.

Not reproduced: Dart's retry timers, reconnection and ``onDisconnect`` (a reconnect
repeats the ``PB_CONNECT`` handshake and subscription POST tested here, but no test
drops a connection), the web (``fetch``) transport, and the ``authWithOAuth2`` code
exchange with a real provider (outside this machine; the ``@oauth2`` realtime bridge
before it, and the exchange's error answer, are covered). Two SDK methods have no
endpoint here yet and so no test: ``pb.sql.run`` (``POST /api/sql``) and
``collections.dryRunViewQuery`` (``POST /api/collections/meta/dry-run-view``); both
answer 404. Note for the second: the 0.40.6 binary answers it with an object
``{fields, sample}`` while SDK 0.25.0 reads a list, so it fails against the peer too.

Every test runs twice: against a real ``baas serve`` of its own (tests/reliability/live.py;
without Redis, so that auth mail goes out in-process to a loopback SMTP sink) and against
the real ``pocketbase`` binary 0.40.6 (tests/sdk/dart_wire/peer.py), the reference: an
assertion that holds on both is what the SDK can rely on.
"""

from __future__ import annotations

import http.client
import io
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.auth.smtp_sink import Mailbox, smtp_sink
from tests.reliability.live import PASSWORD, SUPERUSER, instance, wait_for
from tests.sdk.dart_wire import models
from tests.sdk.dart_wire.client import (
    BOUNDARY_CHARACTERS,
    BOUNDARY_PREFIX,
    ClientException,
    DartClient,
    MultipartFile,
    dart_filter,
    http_request,
)
from tests.sdk.dart_wire.peer import pocketbase
from tests.sdk.dart_wire.sdk import (
    Batch,
    CollectionService,
    RecordService,
    file_token,
    file_url,
)
from tests.sdk.dart_wire.sse import RealtimeService, subscription_key

SUPERUSERS_ID = "pbc_3142635823"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a3a60000000049454e44ae426082"
)


@dataclass
class World:
    server: str  # "baas" or "pocketbase" (the reference)
    url: str
    mailbox: Mailbox
    admin: DartClient
    users_id: str
    posts_id: str

    def client(self, lang: str = "en-US") -> DartClient:
        return DartClient(self.url, lang=lang)


@contextmanager
def server(kind: str, root: Path) -> Iterator[str]:
    if kind == "pocketbase":
        with pocketbase(root, SUPERUSER, PASSWORD) as url:
            yield url
        return
    with instance(root, REDIS_URL=None) as live:  # no Redis: auth mail goes out in-process
        live.sign_in_superuser()
        yield live.url


@pytest.fixture(scope="module", params=["baas", "pocketbase"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    kind = request.param
    with smtp_sink() as mailbox, server(kind, tmp_path_factory.mktemp(kind)) as url:
        admin = DartClient(url)
        RecordService(admin, "_superusers").auth_with_password(SUPERUSER, PASSWORD)
        admin.send(
            "/api/settings",
            method="PATCH",
            body={
                "smtp": {"enabled": True, "host": mailbox.host, "port": mailbox.port},
                "batch": {"enabled": True, "maxRequests": 50, "timeout": 10},
            },
        )
        users = CollectionService(admin).get_one("users")
        posts = CollectionService(admin).create(
            {
                "name": "dart_posts",
                "type": "base",
                "listRule": "",
                "viewRule": "",
                "createRule": "",
                "updateRule": "",
                "deleteRule": "",
                "fields": [
                    {"name": "title", "type": "text", "required": True},
                    {"name": "views", "type": "number"},
                    {"name": "ratio", "type": "number"},
                    {"name": "published", "type": "bool"},
                    {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
                    {"name": "meta", "type": "json"},
                    {"name": "when", "type": "date"},
                    {"name": "docs", "type": "file", "maxSelect": 5, "maxSize": 1048576},
                    {
                        "name": "cover",
                        "type": "file",
                        "maxSelect": 1,
                        "protected": True,
                        "thumbs": ["10x10"],
                    },
                    {
                        "name": "author",
                        "type": "relation",
                        "collectionId": users["id"],
                        "maxSelect": 1,
                    },
                    {"name": "created", "type": "autodate", "onCreate": True},
                    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
                ],
            }
        )
        yield World(kind, url, mailbox, admin, users["id"], posts["id"])


def sign_up(world: World, email: str, **extra: Any) -> dict[str, Any]:
    guest = world.client()
    return RecordService(guest, "users").create(
        {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    )


def signed_in(world: World, email: str) -> DartClient:
    client = world.client()
    RecordService(client, "users").auth_with_password(email, PASSWORD)
    return client


def header(client: DartClient, name: str, index: int = -1) -> str | None:
    return dict(client.sent[index].headers).get(name)


# ---- transport -------------------------------------------------------------------------


def test_health_check_and_the_headers_every_request_carries(world: World) -> None:
    client = world.client(lang="bg-BG")
    health = models.health_check(client.send("/api/health"))
    assert health["code"] == 200 and health["message"] == "API is healthy."
    sent = dict(client.sent[-1].headers)
    assert sent["content-type"] == "application/json"
    assert sent["content-length"] == "0"
    assert sent["accept-language"] == "bg-BG"
    assert sent["user-agent"].startswith("Dart/")
    assert "authorization" not in sent  # an empty AuthStore is not valid


def test_superuser_auth_fills_the_auth_store_the_way_the_sdk_reads_it(world: World) -> None:
    client = world.client()
    auth = RecordService(client, "_superusers").auth_with_password(SUPERUSER, PASSWORD)
    assert models.token_is_valid(auth["token"])
    payload = models.token_payload(auth["token"])
    assert isinstance(payload["exp"], int)
    record = auth["record"]
    assert record["collectionId"] == SUPERUSERS_ID
    assert record["collectionName"] == "_superusers"
    assert record["email"] == SUPERUSER
    assert isinstance(auth["meta"], dict)
    # the raw JWT, no "Bearer", is what the next request carries
    client.send("/api/collections", query={"perPage": 1})
    assert header(client, "authorization") == auth["token"]


def test_an_expired_token_is_not_sent(world: World) -> None:
    client = world.client()
    expired = "e30." + "eyJleHAiOjEwfQ" + ".c2ln"  # {"exp":10}
    client.save(expired, {"id": "x"})
    assert not client.is_valid
    RecordService(client, "dart_posts").get_list()
    assert header(client, "authorization") is None


def test_errors_become_client_exceptions_with_the_response_map(world: World) -> None:
    guest = RecordService(world.client(), "dart_posts")
    with pytest.raises(ClientException) as missing:
        guest.get_one("doesnotexist123")
    assert missing.value.status == 404
    assert missing.value.response["status"] == 404
    assert isinstance(missing.value.response["message"], str)
    assert missing.value.response["data"] == {}
    with pytest.raises(ClientException) as invalid:
        guest.create({"views": 1})
    assert invalid.value.status == 400
    data = invalid.value.response["data"]
    assert data["title"]["code"] == "validation_required"
    assert isinstance(data["title"]["message"], str)
    with pytest.raises(ClientException) as forbidden:
        CollectionService(world.client()).get_list()
    assert forbidden.value.status in (401, 403)
    assert set(forbidden.value.response) >= {"status", "message", "data"}


def test_one_kept_alive_connection_like_reuse_http_client(world: World) -> None:
    client = world.client()
    client.connection = http.client.HTTPConnection(urlsplit(world.url).netloc, timeout=60)
    try:
        posts = RecordService(client, "dart_posts")
        created = posts.create({"title": "kept alive"})
        socket_used = client.connection.sock
        assert posts.get_one(created["id"])["title"] == "kept alive"
        assert posts.update(created["id"], {"views": 2})["views"] == 2
        assert posts.delete(created["id"]) is None
        with pytest.raises(ClientException):
            posts.get_one(created["id"])
        assert models.health_check(client.send("/api/health"))["code"] == 200
        assert client.connection.sock is socket_used  # every answer left it open
    finally:
        client.connection.close()


# ---- records ---------------------------------------------------------------------------


def test_records_crud_with_dart_query_encoding(world: World) -> None:
    posts = RecordService(world.admin, "dart_posts")
    author = sign_up(world, "author@example.com", name="Ann")
    created = posts.create(
        {
            "title": 'He said "hi" & left',
            "views": 3,
            "ratio": 1.5,
            "published": True,
            "tags": ["a", "c"],
            "meta": {"k": [1, 2]},
            "when": "2024-05-06 07:08:09.000Z",
            "author": author["id"],
        },
        expand="author",
    )
    assert header(world.admin, "content-type") == "application/json"
    assert created["collectionId"] == world.posts_id
    assert created["collectionName"] == "dart_posts"
    assert created["views"] == 3 and created["ratio"] == 1.5 and created["published"] is True
    assert created["tags"] == ["a", "c"] and created["meta"] == {"k": [1, 2]}
    assert created["when"] == "2024-05-06 07:08:09.000Z"
    assert created["docs"] == [] and created["cover"] == ""
    assert created["expand"]["author"]["id"] == author["id"]
    assert isinstance(created["created"], str) and isinstance(created["updated"], str)

    filter_ = dart_filter(
        "title = {:title} && when >= {:when} && published = {:published} && views > {:views}",
        {
            "title": 'He said "hi" & left',
            "when": "2024-01-01 00:00:00.000Z",
            "published": True,
            "views": 2,
        },
    )
    found = posts.get_list(
        filter=filter_,
        sort="-created,title",
        expand="author",
        fields="id,title,expand.author.name",
        query={"tag": ["x y", "z"], "none": None},  # an app's own params: ignored
    )
    target = world.admin.sent[-1].target
    assert "tag=x+y&tag=z&page=1" in target and "none" not in target
    assert "skipTotal=false" in target and "page=1&perPage=30" in target
    assert "+%26%26+" in target and "fields=id%2Ctitle%2Cexpand.author.name" in target
    assert found["page"] == 1 and found["perPage"] == 30
    assert found["totalItems"] == 1 and found["totalPages"] == 1
    assert found["items"] == [
        {"id": created["id"], "title": 'He said "hi" & left', "expand": {"author": {"name": "Ann"}}}
    ]

    one = posts.get_first_list_item(dart_filter("id = {:id}", {"id": created["id"]}))
    assert one["id"] == created["id"]
    assert "skipTotal=true" in world.admin.sent[-1].target
    with pytest.raises(ClientException):
        posts.get_first_list_item('title = "nothing like this"')

    updated = posts.update(created["id"], {"views": 4, "tags+": "b", "published": False})
    assert updated["views"] == 4 and updated["tags"] == ["a", "c", "b"]
    assert updated["published"] is False
    assert posts.get_one(created["id"], fields="views")["views"] == 4
    assert posts.delete(created["id"]) is None  # 204, empty body
    with pytest.raises(ClientException) as gone:
        posts.get_one(created["id"])
    assert gone.value.status == 404


def test_get_full_list_pages_until_a_short_page(world: World) -> None:
    posts = RecordService(world.admin, "dart_posts")
    for n in range(5):
        posts.create({"title": f"full-list {n}", "views": n})
    before = len(world.admin.sent)
    items = posts.get_full_list(batch=2, filter='title ~ "full-list"', sort="views")
    assert [i["views"] for i in items] == [0, 1, 2, 3, 4]
    targets = [s.target for s in world.admin.sent[before:]]
    assert len(targets) == 3  # 2 + 2 + 1
    assert all("skipTotal=true" in t and "perPage=2" in t for t in targets)
    answer = world.admin.send(
        "/api/collections/dart_posts/records", query={"page": 1, "perPage": 2, "skipTotal": True}
    )
    assert answer["totalItems"] == -1 and answer["totalPages"] == -1


def test_multipart_exactly_as_dart_builds_it(world: World) -> None:
    posts = RecordService(world.admin, "dart_posts")
    created = posts.create(
        {"title": "Zoë’s ✓ upload", "views": 1, "tags": ["a", "b"]},
        files=[
            MultipartFile("docs", b"first", "notes.txt"),
            MultipartFile("docs", b"second", "résumé ünï.txt"),
            MultipartFile("cover", PNG, "pixel.png", "image/png"),
        ],
    )
    sent = world.admin.sent[-1]
    content_type = dict(sent.headers)["content-type"]
    boundary = content_type.split("boundary=", 1)[1]
    assert content_type == f"multipart/form-data; boundary={boundary}"
    assert boundary.startswith(BOUNDARY_PREFIX) and len(boundary) == 70
    assert set(boundary[len(BOUNDARY_PREFIX) :]) <= set(BOUNDARY_CHARACTERS)
    assert b"content-transfer-encoding: binary" in sent.body  # the non-ASCII @jsonPayload
    assert created["title"] == "Zoë’s ✓ upload" and created["tags"] == ["a", "b"]
    assert len(created["docs"]) == 2 and created["cover"].endswith(".png")
    first, second = created["docs"]
    assert first.startswith("notes_") and second.endswith(".txt")

    # `docs+` as a file field appends; `docs-` in the JSON payload removes
    updated = posts.update(
        created["id"],
        {"docs-": [first]},
        files=[MultipartFile("docs+", b"third", "more.txt")],
    )
    assert len(updated["docs"]) == 2 and first not in updated["docs"]
    assert updated["docs"][0] == second and updated["docs"][1].startswith("more_")

    plain = http_request("GET", file_url(world.admin, updated, second), {}, b"")
    assert plain.status == 200 and plain.raw == b"second"
    download = http_request("GET", file_url(world.admin, updated, second, download=True), {}, b"")
    assert download.status == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert "download=" in file_url(world.admin, updated, second, download=True)


def test_protected_files_need_the_dart_file_token(world: World) -> None:
    collections = CollectionService(world.admin)
    posts = RecordService(world.admin, "dart_posts")
    record = posts.create(
        {"title": "protected"}, files=[MultipartFile("cover", PNG, "p.png", "image/png")]
    )
    collections.update("dart_posts", {"viewRule": '@request.auth.id != ""'})
    try:
        bare = http_request("GET", file_url(world.admin, record, record["cover"]), {}, b"")
        assert bare.status == 404
        token = file_token(world.admin)
        sent = world.admin.sent[-1]
        assert sent.method == "POST" and dict(sent.headers)["content-length"] == "0"
        url = file_url(world.admin, record, record["cover"], token=token, thumb="10x10")
        answer = http_request("GET", url, {}, b"")
        assert answer.status == 200 and answer.headers["content-type"] == "image/png"
        # without a collectionId the SDK falls back to the collection name
        by_name = {"id": record["id"], "collectionName": "dart_posts"}
        url = file_url(world.admin, by_name, record["cover"], token=token)
        assert http_request("GET", url, {}, b"").status == 200
    finally:
        collections.update("dart_posts", {"viewRule": ""})


# ---- auth ------------------------------------------------------------------------------


def test_auth_methods_password_refresh_and_impersonate(world: World) -> None:
    sign_up(world, "pat@example.com")
    guest = world.client()
    users = RecordService(guest, "users")
    methods = users.list_auth_methods()
    assert "fields=mfa%2Cotp%2Cpassword%2Coauth2" in guest.sent[-1].target
    assert methods["password"]["enabled"] is True
    assert methods["password"]["identityFields"] == ["email"]
    assert methods["oauth2"]["enabled"] is False and methods["oauth2"]["providers"] == []
    assert methods["mfa"] == {"duration": 0, "enabled": False}
    assert methods["otp"] == {"duration": 0, "enabled": False}

    auth = users.auth_with_password("pat@example.com", PASSWORD)
    assert auth["record"]["email"] == "pat@example.com"
    assert auth["record"]["collectionName"] == "users"
    assert guest.token == auth["token"] and guest.is_valid

    time.sleep(1.1)  # a new `iat`, so a new token
    refreshed = users.auth_refresh()
    sent = dict(guest.sent[-1].headers)
    assert sent["content-length"] == "0" and sent["content-type"] == "application/json"
    assert sent["authorization"] == auth["token"]
    assert refreshed["token"] != auth["token"]
    assert refreshed["record"]["id"] == auth["record"]["id"]

    impersonated = RecordService(world.admin, "users").impersonate(auth["record"]["id"], 0)
    assert impersonated.is_valid and impersonated.record is not None
    assert impersonated.record["id"] == auth["record"]["id"]
    request = impersonated.sent[0]
    assert request.body == b'{"duration":0}'
    assert dict(request.headers)["authorization"] == world.admin.token
    own = RecordService(impersonated, "users").get_one(auth["record"]["id"])
    assert own["email"] == "pat@example.com"


def test_email_flows_update_the_auth_store_like_the_sdk(world: World) -> None:
    world.mailbox.clear()
    sign_up(world, "vera@example.com")
    client = signed_in(world, "vera@example.com")
    users = RecordService(client, "users")
    assert client.record is not None and client.record["verified"] is False

    assert users.request_verification("vera@example.com") is None
    token = world.mailbox.wait_for("vera@example.com", 30).link_token()
    assert users.confirm_verification(token) is None
    assert client.record["verified"] is True
    assert users.get_one(client.record["id"])["verified"] is True

    world.mailbox.clear()
    assert users.request_password_reset("vera@example.com") is None
    reset = world.mailbox.wait_for("vera@example.com", 30).link_token()
    assert users.confirm_password_reset(reset, "new-password-1", "new-password-1") is None
    RecordService(world.client(), "users").auth_with_password("vera@example.com", "new-password-1")

    client = world.client()
    users = RecordService(client, "users")
    users.auth_with_password("vera@example.com", "new-password-1")
    world.mailbox.clear()
    assert users.request_email_change("vera.new@example.com") is None
    change = world.mailbox.wait_for("vera.new@example.com", 30).link_token()
    assert users.confirm_email_change(change, "new-password-1") is None
    assert client.token == "" and client.record is None  # the SDK clears its store
    RecordService(world.client(), "users").auth_with_password(
        "vera.new@example.com", "new-password-1"
    )


def test_otp_and_mfa_with_the_mfa_id_from_the_401(world: World) -> None:
    collections = CollectionService(world.admin)
    collections.update("users", {"otp": {"enabled": True, "duration": 300, "length": 6}})
    try:
        world.mailbox.clear()
        sign_up(world, "otto@example.com")
        client = world.client()
        users = RecordService(client, "users")
        methods = users.list_auth_methods()
        assert methods["otp"] == {"duration": 300, "enabled": True}
        otp = users.request_otp("otto@example.com")
        assert otp["otpId"]
        code = world.mailbox.wait_for("otto@example.com", 30).otp()
        # The peer marks the OTP as sent to the address (which is what verifies it and
        # replaces the password) after its mail goes out: the mail can reach the sink first.
        otps = RecordService(world.admin, "_otps")
        sent = f"id = '{otp['otpId']}' && sentTo = 'otto@example.com'"
        wait_for(lambda: otps.get_list(filter=sent)["totalItems"] == 1, 30, "the OTP marked sent")
        auth = users.auth_with_otp(otp["otpId"], code)
        assert auth["record"]["email"] == "otto@example.com" and client.is_valid
        # otto was unverified: the code verified the address and, the password not being
        # proven by this sign-in, it was replaced with a random one (account pre-hijacking)
        with pytest.raises(ClientException) as old_password:
            RecordService(world.client(), "users").auth_with_password("otto@example.com", PASSWORD)
        assert old_password.value.status == 400

        # a second user, signing in with the password first (MFA): the password is kept
        sign_up(world, "mia@example.com")
        collections.update("users", {"mfa": {"enabled": True, "duration": 600, "rule": ""}})
        client = world.client()
        users = RecordService(client, "users")
        with pytest.raises(ClientException) as first_factor:
            users.auth_with_password("mia@example.com", PASSWORD)
        assert first_factor.value.status == 401
        mfa_id = first_factor.value.response["mfaId"]
        assert isinstance(mfa_id, str) and mfa_id
        assert client.token == ""
        world.mailbox.clear()
        otp = users.request_otp("mia@example.com")
        code = world.mailbox.wait_for("mia@example.com", 30).otp()
        auth = users.auth_with_otp(otp["otpId"], code, body={"mfaId": mfa_id})
        assert auth["record"]["email"] == "mia@example.com" and client.is_valid
    finally:
        collections.update("users", {"mfa": {"enabled": False}, "otp": {"enabled": False}})


def test_oauth2_all_in_one_over_the_oauth2_realtime_topic(world: World) -> None:
    collections = CollectionService(world.admin)
    collections.update(
        "users",
        {
            "oauth2": {
                "enabled": True,
                "providers": [{"name": "google", "clientId": "cid", "clientSecret": "secret"}],
            }
        },
    )
    try:
        client = world.client()
        users = RecordService(client, "users")
        provider = next(
            p for p in users.list_auth_methods()["oauth2"]["providers"] if p["name"] == "google"
        )
        assert provider["authURL"].endswith("redirect_uri=")
        assert provider["codeVerifier"] and provider["state"]
        providers = collections.get_all_oauth2_providers()
        assert any(p["name"] == "google" and p["displayName"] for p in providers)

        realtime = RealtimeService(client)
        realtime.subscribe("@oauth2")
        assert realtime.client_id
        redirect_url = client.base_url + "/api/oauth2-redirect"
        auth_url = urlsplit(provider["authURL"] + redirect_url)
        params = {k: v[0] for k, v in parse_qs(auth_url.query).items()}
        assert params["redirect_uri"] == redirect_url
        # the provider sends the browser back with the state the SDK put in (its clientId)
        back = http_request(
            "GET", f"{redirect_url}?state={realtime.client_id}&code=the-code", {}, b""
        )
        assert back.status in (302, 303, 307)
        assert realtime.sse is not None
        event = realtime.sse.next("@oauth2").json_data()
        assert event["state"] == realtime.client_id
        assert models.string(event, "code") == "the-code"
        assert models.string(event, "error") == ""
        realtime.unsubscribe()
        # the code exchange itself needs the provider (off this machine); what the SDK
        # gets for a provider the collection does not have is a plain 400 error map
        with pytest.raises(ClientException) as unknown:
            users.auth_with_oauth2_code("nosuchprovider", "c", "v", redirect_url)
        assert unknown.value.status == 400
        assert set(unknown.value.response) == {"status", "message", "data"}
    finally:
        collections.update("users", {"oauth2": {"enabled": False, "providers": []}})


# ---- realtime --------------------------------------------------------------------------


def test_realtime_like_the_dart_client(world: World) -> None:
    author = sign_up(world, "rita@example.com", name="Rita")
    client = signed_in(world, "rita@example.com")  # users may expand only themselves
    realtime = RealtimeService(client)
    wanted = 'title ~ "keep me" && views >= 0'
    key = realtime.subscribe("dart_posts/*", filter=wanted, expand="author")
    assert "title+~+%5C%22keep+me%5C%22+%26%26" in key  # encodeQueryComponent: space is +
    assert realtime.connect_message is not None
    assert realtime.connect_message.json_data() == {"clientId": realtime.client_id}
    posts = RecordService(world.admin, "dart_posts")
    posts.create({"title": "drop this one", "author": author["id"]})
    kept = posts.create({"title": "please keep me", "author": author["id"]})
    assert realtime.sse is not None
    message = realtime.sse.next(key)
    assert message.id == realtime.client_id
    event = models.record_subscription_event(message.json_data())
    assert event["action"] == "create"
    assert event["record"]["id"] == kept["id"]
    assert event["record"]["expand"]["author"]["name"] == "Rita"
    assert all(m.event != key for m in realtime.sse.drain())  # the other one was filtered out

    single = realtime.subscribe(f"dart_posts/{kept['id']}")
    assert single == f"dart_posts/{kept['id']}"
    posts.update(kept["id"], {"views": 9})
    assert models.record_subscription_event(realtime.sse.next(single).json_data())["action"] == (
        "update"
    )
    # unsubscribing one topic posts the rest; the filtered key still gets its events
    realtime.unsubscribe(f"dart_posts/{kept['id']}")
    assert client.sent[-1].body.decode().endswith(f'"subscriptions":["{key}"]}}')
    posts.delete(kept["id"])
    actions = []
    while "delete" not in actions:  # the update above may still be queued for this key
        actions.append(
            models.record_subscription_event(realtime.sse.next(key).json_data())["action"]
        )
    assert actions in (["delete"], ["update", "delete"])
    realtime.unsubscribe()
    assert realtime.sse is None


def test_realtime_options_headers_and_fields(world: World) -> None:
    sign_up(world, "rhea@example.com")
    client = signed_in(world, "rhea@example.com")
    realtime = RealtimeService(client)
    key = realtime.subscribe(
        "dart_posts/*", fields="id,title", headers={"X-Token": "a b"}, query={"page": 2}
    )
    assert key == subscription_key(
        "dart_posts/*", fields="id,title", headers={"X-Token": "a b"}, query={"page": 2}
    )
    assert header(client, "authorization") == client.token  # the POST carries the auth
    created = RecordService(world.admin, "dart_posts").create({"title": "with fields"})
    assert realtime.sse is not None
    event = realtime.sse.next(key).json_data()
    assert event["record"] == {"id": created["id"], "title": "with fields"}
    assert client.record is not None
    me = client.record["id"]
    own = realtime.subscribe(f"users/{me}")
    realtime.unsubscribe_by_prefix("dart_posts")  # collection("dart_posts").unsubscribe()
    assert client.sent[-1].body.decode().endswith(f'"subscriptions":["users/{me}"]}}')
    RecordService(client, "users").update(me, {"name": "R"})
    event = models.record_subscription_event(realtime.sse.next(own).json_data())
    assert event["action"] == "update" and event["record"]["name"] == "R"
    realtime.unsubscribe()
    assert realtime.sse is None


# ---- batch -----------------------------------------------------------------------------


def test_batch_with_files_and_upsert(world: World) -> None:
    posts = RecordService(world.admin, "dart_posts")
    existing = posts.create({"title": "batch target"})
    doomed = posts.create({"title": "batch doomed"})
    batch = Batch(world.admin)
    batch.create(
        "dart_posts",
        {"title": "batch created"},
        files=[MultipartFile("docs", b"in a batch", "b.txt")],
    )
    batch.upsert("dart_posts", {"id": existing["id"], "title": "batch upserted"}, fields="id,title")
    batch.update("dart_posts", existing["id"], {"views": 7})
    batch.delete("dart_posts", doomed["id"])
    results = batch.send()
    body = world.admin.sent[-1].body
    assert b'name="requests.0.docs"; filename="b.txt"' in body
    assert b'"url":"/api/collections/dart_posts/records?fields=id%2Ctitle"' in body
    assert [r["status"] for r in results] == [200, 200, 200, 204]
    assert results[0]["body"]["title"] == "batch created"
    assert len(results[0]["body"]["docs"]) == 1
    assert results[1]["body"] == {"id": existing["id"], "title": "batch upserted"}
    assert results[2]["body"]["views"] == 7
    assert results[3]["body"] is None


# ---- collections -----------------------------------------------------------------------


def test_collections_service_and_import_of_dart_models(world: World) -> None:
    collections = CollectionService(world.admin)
    created = collections.create(
        {"name": "dart_notes", "type": "base", "fields": [{"name": "body", "type": "text"}]}
    )
    assert created["type"] == "base" and created["listRule"] is None
    assert any(f["name"] == "body" for f in created["fields"])
    listed = collections.get_list(filter='name = "dart_notes"')
    assert [c["name"] for c in listed["items"]] == ["dart_notes"]
    assert collections.get_first_list_item('name = "dart_notes"')["id"] == created["id"]
    updated = collections.update("dart_notes", {"listRule": ""})
    assert updated["listRule"] == ""

    scaffolds = collections.get_scaffolds()
    assert set(scaffolds) >= {"auth", "base", "view"}
    assert scaffolds["auth"]["passwordAuth"]["enabled"] is True

    everything = collections.get_full_list(batch=200)
    names = {c["name"] for c in everything}
    assert {"users", "_superusers", "dart_posts", "dart_notes"} <= names
    # `import` sends the models back through toJson: nulls for every absent option. (Auth
    # collections are left out: their token secrets come back as null, which the peer
    # refuses with "cannot be blank"; we keep the stored ones.)
    models_out = [c for c in everything if c["name"] in ("dart_notes", "dart_posts")]
    for model in models_out:
        if model["name"] == "dart_notes":
            model["fields"].append({"name": "extra", "type": "number"})
    assert all("authRule" in m and m["authRule"] is None for m in models_out if m["type"] == "base")
    assert collections.import_(models_out) is None
    notes = collections.get_one("dart_notes")
    assert [f["name"] for f in notes["fields"] if f["name"] in ("body", "extra")] == [
        "body",
        "extra",
    ]
    assert collections.get_one("dart_posts")["fields"] == next(
        c["fields"] for c in everything if c["name"] == "dart_posts"
    )

    notes_records = RecordService(world.admin, "dart_notes")
    notes_records.create({"body": "x"})
    assert collections.truncate("dart_notes") is None
    assert notes_records.get_list()["totalItems"] == 0
    assert collections.delete("dart_notes") is None


# ---- admin services --------------------------------------------------------------------


def test_settings_service(world: World) -> None:
    settings = world.admin.send("/api/settings")
    assert isinstance(settings, dict) and settings["meta"]["appName"]
    changed = world.admin.send(
        "/api/settings", method="PATCH", body={"meta": {"appName": "Dart wire"}}
    )
    assert changed["meta"]["appName"] == "Dart wire"
    with pytest.raises(ClientException) as s3:
        world.admin.send("/api/settings/test/s3", method="POST", body={"filesystem": "storage"})
    assert s3.value.status == 400 and isinstance(s3.value.response["message"], str)
    world.mailbox.clear()
    # testEmail's `collection` argument defaults to null and is sent as such
    answer = world.admin.send(
        "/api/settings/test/email",
        method="POST",
        body={"email": "probe@example.com", "template": "verification", "collection": None},
    )
    assert answer is None
    assert world.mailbox.wait_for("probe@example.com", 30).subject


def test_generate_apple_client_secret(world: World) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = {
        "clientId": "com.example.app",
        "teamId": "TEAM123456",
        "keyId": "KEY1234567",
        "privateKey": pem,
        "duration": 3600,
    }
    answer = world.admin.send(
        "/api/settings/apple/generate-client-secret", method="POST", body=body
    )
    secret = models.string(answer, "secret")
    assert secret
    assert jwt.get_unverified_header(secret) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
    claims = jwt.decode(
        secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com"
    )
    assert claims["iss"] == "TEAM123456" and claims["sub"] == "com.example.app"
    assert claims["exp"] - claims["iat"] == 3600
    with pytest.raises(ClientException) as invalid:
        world.admin.send(
            "/api/settings/apple/generate-client-secret",
            method="POST",
            body={**body, "teamId": "short", "duration": 0},
        )
    assert invalid.value.status == 400
    assert set(invalid.value.response["data"]) == {"teamId", "duration"}
    with pytest.raises(ClientException) as bad_key:
        world.admin.send(
            "/api/settings/apple/generate-client-secret",
            method="POST",
            body={**body, "privateKey": "not a key"},
        )
    assert bad_key.value.status == 400


def test_logs_service(world: World) -> None:
    world.admin.send("/api/health")
    logs = wait_for(
        lambda: models.result_list(
            world.admin.send(
                "/api/logs", query={"page": 1, "perPage": 5, "filter": None, "sort": "-created"}
            ),
            models.log_model,
        )["items"],
        30,
        "request logs",
    )
    first = logs[0]
    assert first["id"] and first["created"] and isinstance(first["data"], dict)
    one = models.log_model(world.admin.send(f"/api/logs/{first['id']}"))
    assert one["id"] == first["id"] and one["level"] == first["level"]
    stats = [models.log_stat(s) for s in world.admin.send("/api/logs/stats")]
    assert stats and all(s["total"] > 0 and s["date"] for s in stats)
    assert world.admin.send("/api/logs", method="DELETE") is None


def test_backups_and_crons_services(world: World) -> None:
    admin = world.admin
    assert admin.send("/api/backups", method="POST", body={"name": "dart_backup.zip"}) is None
    infos = [models.backup_file_info(i) for i in admin.send("/api/backups")]
    mine = next(i for i in infos if i["key"] == "dart_backup.zip")
    assert mine["size"] > 0 and mine["modified"]

    token = file_token(admin)
    url = admin.base_url + "/api/backups/dart_backup.zip?token=" + token
    download = http_request("GET", url, {}, b"")
    assert download.status == 200
    archive = zipfile.ZipFile(io.BytesIO(download.raw))
    assert archive.namelist()

    answer = admin.send(
        "/api/backups/upload",
        method="POST",
        files=[MultipartFile("file", download.raw, "dart_uploaded.zip", "application/zip")],
    )
    assert answer is None
    assert b'name="@jsonPayload"\r\n\r\n{}\r\n' in admin.sent[-1].body
    keys = {i["key"] for i in map(models.backup_file_info, admin.send("/api/backups"))}
    assert "dart_uploaded.zip" in keys
    assert admin.send("/api/backups/dart_uploaded.zip", method="DELETE") is None

    jobs = [models.cron_job(j) for j in admin.send("/api/crons")]
    assert jobs and all(j["id"] and j["expression"] for j in jobs)
    assert admin.send(f"/api/crons/{jobs[0]['id']}", method="POST") is None


def test_backup_restore_last(world: World) -> None:
    """Restore restarts the app, so it runs after everything else that uses the server."""
    admin = world.admin
    assert admin.send("/api/backups/dart_backup.zip/restore", method="POST") is None

    def healthy_again() -> bool:
        answer = http_request("GET", admin.base_url + "/api/health", {}, b"", timeout=5)
        return answer.status == 200

    wait_for(healthy_again, 120, "the server back after restore", interval=0.5)
    wait_for(
        lambda: (
            models.result_list(admin.send("/api/collections/dart_posts/records"))["items"]
            is not None
        ),
        60,
        "records readable after restore",
        interval=0.5,
    )
