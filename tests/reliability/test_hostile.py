"""Bad input against every endpoint of the URLconf: never a 5xx, always the envelope, no
partial writes (DESIGN §9).

The routes are read from ``baas.urls`` (``get_resolver``), so an endpoint added later
is swept without touching this file: its path parameters get the real values below
when their name is known, ``x`` otherwise. Each request is checked:

- the status is below 500;
- under ``/api/``, an error answer is the envelope ``{status, message, data}`` with
  ``status`` equal to the HTTP status and ``data`` an object;
- an error answer changed nothing: no row of any table (request logs aside) and no
  stored file. A cheap write counter is read after every request; when it moved
  under an error answer, the full contents of every table are compared.

Layers: malformed bodies on every route and method (``test_bodies``); hostile path
segments (``test_path_segments``); forged, expired and other users' tokens
(``test_tokens``); hostile filters, sorts and list parameters (``test_list_queries``);
and, against a live server, oversized headers and bodies (``test_http_limits``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.cast import PASSWORD

JSON = "application/json"
GUEST = None

# ---- bodies -----------------------------------------------------------------------------------


def _deep_dict(depth: int) -> Any:
    node: Any = "leaf"
    for _ in range(depth):
        node = {"a": node}
    return node


def _multipart(
    parts: list[tuple[str, str | None, bytes]], boundary: str = "hostileboundary"
) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


WRONG_TYPES = {
    "title": {"$gt": ""},
    "n": "NaN",
    "owner": ["x"] * 300,
    "data": _deep_dict(200),
    "tags": {"a": 1},
    "doc": 12,
    "id": "../../x",
    "email": 5,
    "identity": ["a"],
    "password": None,
    "passwordConfirm": {"x": 1},
    "token": 7,
    "requests": "x",
    "name": {"a": 1},
    "type": ["base"],
    "fields": "x",
    "indexes": [None],
    "listRule": 1,
    "viewQuery": {"a": 1},
    "file": "x",
    "subscriptions": 3,
    "duration": "∞",
    "otpId": [1],
    "meta": [],
    "logs": "x",
}

BODIES: dict[str, tuple[bytes, str]] = {
    "json-malformed": (b'{"title": ', JSON),
    "json-array": (b"[1, 2, 3]", JSON),
    "json-scalar": (b'"x"', JSON),
    "json-null": (b"null", JSON),
    "json-deep": (b"[" * 5000 + b"]" * 5000, JSON),
    "json-wrong-types": (json.dumps(WRONG_TYPES).encode(), JSON),
    "utf8-invalid": (b'{"title": "\xff\xfe\xfd", "\xc3": 1}', JSON),
    "multipart-truncated": (
        b'--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello',
        "multipart/form-data; boundary=x",
    ),
    "multipart-no-boundary": (b"abc", "multipart/form-data"),
    "multipart-hostile": (
        _multipart(
            [
                ("@jsonPayload", None, b'{"title": '),
                ("doc", "../../../etc/passwd", b"root:x:0:0"),
                ("doc", "..", b"x"),
                ("title", None, b"\xff\xfe"),
                ("file", "a.zip", b"PK\x03\x04 not really"),
            ]
        ),
        "multipart/form-data; boundary=hostileboundary",
    ),
    "urlencoded-garbage": (
        b"%%%&&&===%zz&title[]=1&title[a]=2",
        "application/x-www-form-urlencoded",
    ),
    "xml": (b"<?xml version='1.0'?><a/>", "application/xml"),
}
BODIES_BY_METHOD = {
    "POST": list(BODIES),
    "PATCH": [
        "json-malformed",
        "json-array",
        "json-wrong-types",
        "utf8-invalid",
        "multipart-hostile",
        "xml",
    ],
    "PUT": ["json-malformed", "json-wrong-types"],
    "GET": [],
    "HEAD": [],
    "OPTIONS": [],
    "DELETE": [],  # last: a bodiless DELETE of a real target is legitimate and may succeed
}
HOSTILE_SEGMENTS = [
    "..",
    "%2e%2e",
    "..%2F..%2Fdata.db",
    "%00",
    "%FF%FE",
    "a" * 400,
    "%27%20OR%201%3D1--",
    "%25s%25n",
]


# ---- the world and its checks -------------------------------------------------------------------


@dataclass
class World:
    tokens: dict[str, str | None]
    values: dict[str, list[str]]
    storage: Path
    seen: list[str] = field(default_factory=list)


@pytest.fixture
def world(api: Any, cast: Any, make_collection: Any, tmp_path: Path) -> Iterator[World]:
    storage = tmp_path / "storage"
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A backup made in-process on SQLite waits for the test's open transaction: not long.
    with override_settings(
        STORAGES=storages, BAAS_BACKUPS_DIR=tmp_path / "backups", BAAS_BACKUP_LOCK_WAIT=0.2
    ):
        from baas.settings_api import service

        service.forget()
        su = cast.superuser
        # request logs off: the one write every request makes, on purpose
        assert (
            api.patch(
                "/api/settings", json={"logs": {"maxDays": 0}, "batch": {"enabled": True}}, token=su
            ).status_code
            == 200
        )
        rules = {
            "listRule": "",
            "viewRule": "",
            "createRule": "@request.auth.id != ''",
            "updateRule": "owner = @request.auth.id",
            "deleteRule": "owner = @request.auth.id",
        }
        fields = [
            {"name": "title", "type": "text", "required": True},
            {"name": "n", "type": "number"},
            {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            {"name": "data", "type": "json"},
            {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
        ]
        make_collection({"name": "hostile", **rules, "fields": fields})
        make_collection({"name": "victim", "fields": [{"name": "t", "type": "text"}]})
        mine = api.post(
            "/api/collections/hostile/records",
            json={"title": "mine", "owner": cast.owner_id},
            files={"doc": ("doc.txt", b"secret", "text/plain")},
            token=cast.owner,
        ).json()
        theirs = api.post(
            "/api/collections/hostile/records",
            json={"title": "theirs", "owner": cast.other_id},
            token=cast.other,
        ).json()
        expired = _expired_token(cast.owner_id)
        yield World(
            tokens={
                "superuser": su,
                "owner": cast.owner,
                "guest": GUEST,
                "forged": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                + "eyJpZCI6IngiLCJjb2xsZWN0aW9uSWQiOiJwYmNfMzE0MjYzNTgyMyIsInR5cGUiOiJhdXRoIn0.",
                "expired": expired,
                "garbage": "Bearer \x7f\x00garbage",
                "apikey": "baas_" + "x" * 40,
            },
            values={
                "collection": ["hostile", "users"],
                "id_or_name": ["victim"],
                "record_id": [mine["id"], theirs["id"], cast.other_id],
                "filename": [mine["doc"]],
                "name": ["hostile"],
                "section": ["application"],
                "kind": ["email"],
                "action": ["create"],
            },
            storage=storage,
        )
        service.forget()


def _expired_token(user_id: str) -> str:
    from baas.auth import records, tokens

    found = records.load("_pb_users_auth_", user_id)
    assert found is not None
    return tokens.issue(found[0], found[1], duration=-60)


def routes() -> list[str]:
    """Every URL pattern of the URLconf, as text (``<conv:name>`` kept)."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                text = str(pattern.pattern)
                yield prefix + (
                    "api/unknown/endpoint" if text == "^api/" else text.lstrip("^").rstrip("$")
                )

    return list(dict.fromkeys(walk(get_resolver().url_patterns, "")))


PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def concrete(route: str, values: dict[str, list[str]], limit: int = 4) -> list[str]:
    names = PARAM.findall(route)
    choices = [values.get(name, ["x"]) for name in names]
    paths = []
    for combo in itertools.islice(itertools.product(*choices), limit):
        path = route
        for value in combo:
            path = PARAM.sub(quote(value, safe=""), path, count=1)
        paths.append("/" + path)
    return paths


class Ledger:
    """Whether anything was written: a cheap counter per request, a full snapshot on doubt."""

    def __init__(self, storage: Path):
        self.storage = storage
        self.snapshot = self.full()
        self.counter = self.writes()

    def writes(self) -> int:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            return int(connection.connection.total_changes)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            )
            return int(cursor.fetchone()[0])

    def full(self) -> dict[str, str]:
        tables = {}
        for table in sorted(connection.introspection.table_names()):
            if table in ("_logs", "django_session"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                rows = sorted(repr(row) for row in cursor.fetchall())
            tables[table] = hashlib.sha1("\n".join(rows).encode()).hexdigest()
        tables["<storage>"] = self.files()
        return tables

    def files(self) -> str:
        found = sorted(
            str(p.relative_to(self.storage)) for p in self.storage.rglob("*") if p.is_file()
        )
        return hashlib.sha1("\n".join(found).encode()).hexdigest()

    def after(self, status: int, what: str) -> None:
        counter, files = self.writes(), self.files()
        if counter == self.counter and files == self.snapshot["<storage>"]:
            return  # nothing written
        self.counter = counter
        now = self.full()
        if status >= 400:
            changed = sorted(
                t for t in set(now) | set(self.snapshot) if now.get(t) != self.snapshot.get(t)
            )
            assert not changed, f"{what} answered {status} and changed {changed}"
        self.snapshot = now


def problem(response: Any, method: str, path: str, label: str) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    where = f"{method} {path[:120]} [{label}] -> {status}"
    if status >= 500:
        return f"{where}: {response.content[:200]!r}"
    if status < 400 or method == "HEAD" or not path.startswith("/api/"):
        return None
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"{where}: not JSON ({response.get('Content-Type')})"
    body = json.loads(response.content)
    if not (isinstance(body, dict) and set(body) == {"status", "message", "data"}):
        return f"{where}: not the envelope: {body!r:.200}"
    if body["status"] != status or not isinstance(body["data"], dict) or not body["message"]:
        return f"{where}: envelope fields: {body!r:.200}"
    return None


class Findings(list):
    def check(self, response: Any, method: str, path: str, label: str) -> None:
        found = problem(response, method, path, label)
        if found:
            self.append(found)

    def written(self, ledger: Ledger, status: int, what: str) -> None:
        try:
            ledger.after(status, what)
        except AssertionError as exc:
            self.append(str(exc))

    def assert_none(self) -> None:
        unique = list(dict.fromkeys(self))
        assert not unique, f"{len(unique)} problem(s):\n" + "\n".join(unique[:60])


def send(
    api: Any, method: str, path: str, token: str | None, body: str | None, query: str = ""
) -> Any:
    content, content_type = BODIES[body] if body else (b"", "application/octet-stream")
    headers = {"Authorization": token} if token else {}
    return isolated(
        lambda: api.client.generic(
            method, path, content, content_type=content_type, headers=headers, QUERY_STRING=query
        )
    )


def get(api: Any, path: str, query: str, token: str | None) -> Any:
    headers = {"Authorization": token} if token else {}
    return isolated(lambda: api.client.get(path, QUERY_STRING=query, headers=headers))


def isolated(call: Any) -> Any:
    """Each request in a savepoint of the test's transaction: on PostgreSQL a statement
    that failed (and was answered 4xx) would otherwise abort the whole test transaction,
    which a real server, in autocommit, never shares between requests."""
    from django.db import DatabaseError, transaction

    savepoint = transaction.savepoint()
    response = call()
    if connection.needs_rollback:  # a failed ORM statement marked the block
        transaction.set_rollback(False)  # first: Django refuses any statement until then
        transaction.savepoint_rollback(savepoint)
        return response
    try:
        transaction.savepoint_commit(savepoint)
    except DatabaseError:
        transaction.savepoint_rollback(savepoint)
    return response


def sweep(api: Any, world: World, requests: list[tuple[str, str, str | None, str | None]]) -> int:
    """Send each (method, path, token, body), checking every answer; DELETEs last."""
    ledger, findings = Ledger(world.storage), Findings()
    ordered = sorted(requests, key=lambda r: r[0] == "DELETE")
    import time

    slow = []
    for method, path, token, body in ordered:
        label = f"{body or 'no body'}"
        started = time.perf_counter()
        response = send(api, method, path, token, body)
        slow.append((time.perf_counter() - started, method, path[:80], label))
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # the test client closes it once consumed
        findings.check(response, method, path, label)
        findings.written(ledger, response.status_code, f"{method} {path} [{label}]")
    print("slowest:", sorted(slow, reverse=True)[:10])  # shown when the test fails
    findings.assert_none()
    return len(ordered)


def api_routes() -> list[str]:
    return [r for r in routes() if r.startswith("api/")]


# ---- the layers ---------------------------------------------------------------------------------


def test_the_sweep_covers_every_route_of_the_urlconf() -> None:
    listed = routes()
    assert len(listed) > 60
    for expected in (
        "api/backups/<str:key>/restore",
        "api/crons/<str:job_id>",
        "api/batch",
        "api/unknown/endpoint",
    ):
        assert expected in listed


def test_bodies(api: Any, world: World) -> None:
    """Every route, every method, each malformed body, as the superuser (the deepest path)."""
    requests = []
    for route in routes():
        token = world.tokens["superuser"] if route.startswith("api/") else None
        for path in concrete(route, world.values):
            for method, bodies in BODIES_BY_METHOD.items():
                if not route.startswith("api/") and method not in ("GET", "POST"):
                    continue
                for body in bodies or [None]:
                    requests.append((method, path, token, body))
    assert sweep(api, world, requests) > 1000


def test_path_segments(api: Any, world: World) -> None:
    """Each path parameter replaced by traversal, NUL, invalid UTF-8, huge and SQL-ish text."""
    requests = []
    for route in api_routes():
        names = PARAM.findall(route)
        for index, segment in itertools.product(range(len(names)), HOSTILE_SEGMENTS):
            path = route
            for position, _ in enumerate(names):
                value = (
                    segment
                    if position == index
                    else quote(world.values.get(names[position], ["x"])[0], safe="")
                )
                path = PARAM.sub(value, path, count=1)
            for method, body in (("GET", None), ("PATCH", "json-wrong-types"), ("DELETE", None)):
                requests.append((method, "/" + path, world.tokens["superuser"], body))
    assert sweep(api, world, requests) > 300


def test_tokens(api: Any, world: World) -> None:
    """Forged (alg none), expired, garbage and API-key-shaped tokens are guests; other users'
    records stay theirs."""
    requests = []
    for route in api_routes():
        for path in concrete(route, world.values):
            for name in ("forged", "expired", "garbage", "apikey", "owner", "guest"):
                for method, body in (
                    ("GET", None),
                    ("POST", "json-wrong-types"),
                    ("PATCH", "json-wrong-types"),
                ):
                    requests.append((method, path, world.tokens[name], body))
    assert sweep(api, world, requests) > 500


FILTERS = [
    "'",
    "(((((((((((",
    "(" * 3000 + "id='x'" + ")" * 3000,
    "title = 'x' || 1=1",
    "id = 'x'; DROP TABLE _collections; --",
    "@request.auth.id != ''",
    "@collection.users.email ?= 'a'",
    "title ~ '%'",
    "title ~ '\\\\'",
    "data.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a = 1",
    "owner.owner.owner.owner.owner.owner.id = 'x'",
    "n > 1e309",
    "n > -9223372036854775809",
    "created > @now && created < @yesterday",
    "strftime('%s', created, 'x') = 1",
    "geoDistance(1,2,3) > 0",
    "title = \x00",
    "title = 'a\x00b'",
    "title = '\\ud800'",
    "a" * 20000,
    " || ".join(["title = 'x'"] * 2000),
]
SORTS = [
    "-",
    "+",
    "---title",
    "@random",
    "title,title,title",
    "x" * 5000,
    "owner.owner.email",
    "@rowid",
    "-data.a.b",
]
LIST_PARAMS = [
    {"page": "99999999999999999999"},
    {"page": "-5"},
    {"perPage": "1e309"},
    {"perPage": "99999999999999999999"},
    {"page": "NaN"},
    {"skipTotal": "maybe"},
    {"expand": "owner.owner.owner.owner.owner.owner.owner.owner"},
    {"expand": "," * 500},
    {"fields": "*:excerpt(99999999999999999999,true)"},
    {"fields": "title:excerpt(-1)"},
]


def test_list_queries(api: Any, world: World) -> None:
    """Hostile filters, sorts and list parameters on every list endpoint."""
    from urllib.parse import urlencode

    lists = [
        "/api/collections/hostile/records",
        "/api/collections/users/records",
        "/api/collections",
        "/api/logs",
    ]
    queries = [{"filter": f} for f in FILTERS] + [{"sort": s} for s in SORTS] + LIST_PARAMS
    raw = ["filter=%ED%A0%80%FF%FE", "sort=%C0%AF", "expand=%00", "filter=" + "%28" * 20000]
    ledger, findings = Ledger(world.storage), Findings()
    for path, query, who in itertools.product(lists, queries, ("superuser", "owner")):
        encoded = urlencode(query)
        response = get(api, path, encoded, world.tokens[who])
        findings.check(response, "GET", path, f"{who} {encoded[:80]}")
        findings.written(ledger, response.status_code, f"GET {path}?{encoded[:80]}")
    for path, encoded in itertools.product(lists, raw):  # invalid UTF-8 in the query string
        response = get(api, path, encoded, world.tokens["owner"])
        findings.check(response, "GET", path, encoded[:40])
    findings.assert_none()


def test_batch_of_hostile_requests_writes_nothing(api: Any, world: World) -> None:
    """Inside a batch: hostile sub-requests roll the whole batch back."""
    su = world.tokens["superuser"]
    good = {"method": "POST", "url": "/api/collections/hostile/records", "body": {"title": "ok"}}
    ledger, findings = Ledger(world.storage), Findings()
    for bad in [
        {"method": "POST", "url": "/api/collections/hostile/records", "body": WRONG_TYPES},
        {"method": "PATCH", "url": "/api/collections/hostile/records/..%2F..", "body": {}},
        {"method": "DELETE", "url": "/api/collections/_superusers/records/x"},
        {"method": "POST", "url": "/api/backups", "body": {}},
        {
            "method": "POST",
            "url": "http://evil.example/api/collections/hostile/records",
            "body": {},
        },
        {"method": "POST", "url": "/api/collections/hostile/records", "body": "x"},
        {"method": ["POST"], "url": 5},
        "not an object",
    ]:
        response = api.post("/api/batch", json={"requests": [good, good, bad]}, token=su)
        findings.check(response, "POST", "/api/batch", json.dumps(bad)[:60])
        if response.status_code != 400:
            findings.append(f"batch with {bad}: {response.status_code}")
        findings.written(ledger, response.status_code, f"batch with {bad}")
    for count in (0, 51, 10_000):
        response = api.post("/api/batch", json={"requests": [good] * count}, token=su)
        findings.check(response, "POST", "/api/batch", f"{count} requests")
        findings.written(ledger, response.status_code, f"batch of {count}")
    findings.assert_none()


# ---- against a live server: HTTP limits -----------------------------------------------------------


def _raw(url: str, payload: bytes, timeout: float = 15) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(payload)
        chunks = b""
        try:
            while chunk := sock.recv(65536):
                chunks += chunk
                if b"\r\n\r\n" in chunks:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return chunks


def _status(raw: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(match.group(1)) if match else None  # None: the server closed the connection


def test_http_limits(baas_server: Any) -> None:
    """Oversized headers, a huge body, a lying Content-Length and garbage request lines:
    a 4xx or a closed connection, never a 5xx, and the server keeps serving."""
    url = str(baas_server)
    records = "/api/collections/users/records"
    cases = {
        "huge header": f"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 200_000}\r\n\r\n".encode(),
        "many headers": (
            "GET /api/health HTTP/1.1\r\nHost: x\r\n"
            + "".join(f"X-{i}: v\r\n" for i in range(5000))
            + "\r\n"
        ).encode(),
        "huge token": f"GET {records} HTTP/1.1\r\nHost: x\r\nAuthorization: {'a' * 60_000}\r\n\r\n".encode(),
        "huge url": f"GET /api/{'a' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        "garbage line": b"\x00\xff\xfe GARBAGE\r\n\r\n",
        "lying length": (
            f"POST {records} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\nConnection: close\r\n\r\n{}"
        ).encode(),
        "negative length": (
            f"POST {records} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: -1\r\nConnection: close\r\n\r\n{}"
        ).encode(),
        "huge json": (
            f"POST {records} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {40 << 20}\r\nConnection: close\r\n\r\n".encode()
            + b'{"email": "'
            + b"a" * (40 << 20)
            + b'"}'
        ),
    }
    for label, payload in cases.items():
        status = _status(_raw(url, payload, timeout=5 if label == "lying length" else 30))
        assert status is None or 400 <= status < 500 or status == 200, (label, status)
        health = _raw(url, b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _status(health) == 200, (label, health[:200])
    assert "Internal Server Error" not in baas_server.log()


def test_sign_in_with_hostile_identities(api: Any, world: World) -> None:
    """The password flow with odd identities and passwords: 400s, no writes."""
    ledger, findings = Ledger(world.storage), Findings()
    for identity, password in [
        ("owner@example.com", "x" * 100_000),
        ("owner@example.com' OR '1'='1", PASSWORD),
        ("\x00owner@example.com", PASSWORD),
        ("OWNER@EXAMPLE.COM ", "wrong"),
        ({"$ne": ""}, PASSWORD),
        ("a" * 100_000, "x"),
    ]:
        response = api.post(
            "/api/collections/users/auth-with-password",
            json={"identity": identity, "password": password},
        )
        findings.check(
            response, "POST", "/api/collections/users/auth-with-password", str(identity)[:40]
        )
        findings.written(ledger, response.status_code, f"sign-in as {str(identity)[:40]}")
    findings.assert_none()
